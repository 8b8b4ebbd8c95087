//! `paved init`: a folder becomes a paved monorepo.

use std::path::Path;

use crate::commands::scaffold::{self, File};
use crate::diag::error::Error;

/// Write paved.yaml, the team `team`, an example service it owns, CI workflows and
/// editor schemas into `root`, for the organisation `org` [default: from the folder's
/// name]; with `force`, over files that exist. The files written, in order.
pub(crate) fn init(
    root: &Path,
    team: &str,
    org: Option<&str>,
    force: bool,
) -> Result<Vec<File>, Error> {
    let org = match org {
        Some(org) => org.to_string(),
        None => folder_name(root),
    };
    let files = scaffold::init_files(root, &org, team).map_err(Error::Usage)?;
    scaffold::write(root, &files, force).map_err(Error::Usage)?;
    Ok(files)
}

/// An organisation name from a folder's name: lowercase letters, digits and `-`.
fn folder_name(root: &Path) -> String {
    let name = root
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    // It names clusters and domains too (`<org>-staging`): kept short.
    crate::load::schema::dns_label(&name, 40).unwrap_or_else(|| String::from("example"))
}
