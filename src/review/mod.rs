//! What a change does: git revisions, changed-since, diff.

pub mod changed;
pub(crate) mod diff;
pub(crate) mod git;
