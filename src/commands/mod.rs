//! Commands beside check, render and diff.

pub mod convert;
pub mod docs;
pub mod explain;
pub mod graph;
pub mod init;
pub mod new;
pub mod owners;
pub mod policy;
pub mod scaffold;
pub mod schema;

use std::path::Path;

use crate::diag::error::Error;
use crate::load::repo::Repo;
use crate::pipeline::check;

/// The catalog of a repository for the commands that read it, not check it: its
/// findings are `paved check`'s to report, but a broken paved.yaml is an error.
pub fn catalog(root: &Path, today: &str) -> Result<check::Outcome, Error> {
    let checked = check::run(&Repo::work_tree(root), today, None)?;
    if checked.config_invalid {
        return Err(Error::Usage(String::from(
            "paved.yaml has errors; `paved check` shows them",
        )));
    }
    Ok(checked)
}
