//! paved: the golden-path engine of an internal developer platform.
//!
//! The library never prints: commands return their output as values and the binary
//! writes them. ARCHITECTURE.md describes the folders below, one per pipeline stage.

pub mod cli;
pub mod commands;
pub mod diag;
pub mod load;
pub mod model;
pub mod pipeline;
pub mod render;
pub mod report;
pub mod review;
pub mod syntax;
pub mod types;
pub mod validate;
pub mod write;
