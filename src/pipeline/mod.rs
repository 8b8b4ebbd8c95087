//! The check, render and diff orchestration.

pub mod check;
pub mod diff;
pub mod render;
