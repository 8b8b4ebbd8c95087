//! What a change does: git revisions, changed-since, diff.

pub mod changed;
pub mod diff;
pub mod git;
