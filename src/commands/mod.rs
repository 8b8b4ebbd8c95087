//! Commands beside check, render and diff.

pub(crate) mod convert;
#[cfg(test)]
mod docs;
pub(crate) mod explain;
pub(crate) mod graph;
pub(crate) mod init;
pub(crate) mod new;
pub(crate) mod owners;
pub(crate) mod policy;
pub(crate) mod scaffold;
pub(crate) mod schema;

use std::path::Path;

use crate::diag::error::Error;
use crate::load::repo::Repo;
use crate::pipeline::check;

/// The catalog of a repository for the commands that read it, not check it: its
/// findings are `paved check`'s to report, but a broken paved.yaml is an error.
pub(crate) fn catalog(root: &Path, today: &str) -> Result<check::Outcome, Error> {
    let checked = check::run(&Repo::work_tree(root), today, None)?;
    if checked.config_invalid {
        return Err(Error::Usage(String::from(
            "paved.yaml has errors; `paved check` shows them",
        )));
    }
    Ok(checked)
}
