//! The check, render and diff orchestration.

pub mod check;
pub(crate) mod diff;
pub(crate) mod render;
