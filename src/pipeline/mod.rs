//! The check orchestration.

pub mod check;
