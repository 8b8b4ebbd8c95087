//! Diagnostics: source files and positions, finding codes, findings, errors, masking.

pub mod codes;
pub mod error;
pub mod finding;
pub(crate) mod mask;
pub mod origin;
pub(crate) mod timings;
