//! paved: the golden-path engine of an internal developer platform.
//!
//! The library never prints: commands return their output as values and the binary
//! writes them.

pub mod app;
pub mod changed;
pub mod check;
pub mod cli;
pub mod codes;
pub mod config;
pub mod diff;
pub mod discover;
pub mod docs;
pub mod error;
pub mod finding;
pub mod git;
pub mod graph;
pub mod guard;
pub mod intent;
pub mod lock;
pub mod mask;
pub mod memo;
pub mod output;
pub mod owners;
pub mod placeholder;
pub mod plan;
pub mod platform;
pub mod policy;
pub mod prompt;
pub mod render;
pub mod repo;
pub mod report;
pub mod resolve;
pub mod resource_types;
pub mod scaffold;
pub mod schema;
pub mod score;
pub mod source;
pub mod timings;
pub mod yaml;
