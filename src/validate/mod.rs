//! Checks over the whole catalog: references, then policies.

pub mod policy;
pub mod resolve;
