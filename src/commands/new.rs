//! `paved new`: a service's or a team's intent, checked alone and then with the rest of
//! the repository before it is kept.

use std::collections::BTreeSet;
use std::path::Path;

use crate::commands::scaffold::{self, File, ServiceRequest, TeamRequest};
use crate::diag::error::Error;
use crate::diag::finding::{Finding, Severity, Stats};
use crate::load::repo::Repo;
use crate::load::schema::Schemas;
use crate::pipeline::check;

/// What became of a new intent file.
#[derive(Debug)]
pub(crate) enum Added {
    /// Written at this path.
    Written(String),
    /// Not kept: with it, the repository has these errors it did not have before.
    Refused {
        path: String,
        findings: Vec<Finding>,
        stats: Stats,
    },
}

/// The intent file of a new service, for the repository at `root` (`checked`).
pub(crate) fn service(
    root: &Path,
    checked: &check::Outcome,
    request: &ServiceRequest,
) -> Result<File, Error> {
    scaffold::check_service(request, &checked.catalog, &checked.platform).map_err(Error::Usage)?;
    scaffold::service(
        root,
        &checked.config,
        &checked.platform,
        request,
        scaffold::local_schemas(root),
    )
    .map_err(Error::Usage)
}

/// The intent file of a new team, for the repository at `root` (`checked`).
pub(crate) fn team(
    root: &Path,
    checked: &check::Outcome,
    request: &TeamRequest,
) -> Result<File, Error> {
    scaffold::check_team(request, &checked.catalog).map_err(Error::Usage)?;
    scaffold::team(root, request, scaffold::local_schemas(root)).map_err(Error::Usage)
}

/// Write `file` into the repository at `root` (`checked` before), unless it is not a
/// valid intent or the repository has errors with it that it did not have without.
pub(crate) fn add(
    root: &Path,
    checked: check::Outcome,
    file: File,
    today: &str,
) -> Result<Added, Error> {
    let schemas = Schemas::new().map_err(Error::Internal)?;
    scaffold::validate(&file, &schemas).map_err(Error::Usage)?;
    // What the platform needs for it (a Kafka cluster, an on-call contact for tier 1...)
    // shows only in a check of the whole repository with the new file in it: the file
    // is written, checked with the rest, and taken back if it brings errors.
    let key = |f: &Finding| {
        (
            f.code_name().to_string(),
            f.location.file.path.clone(),
            f.message.clone(),
        )
    };
    let errors = |findings: &[Finding]| -> Vec<Finding> {
        findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .cloned()
            .collect()
    };
    let before: BTreeSet<_> = errors(&checked.findings).iter().map(key).collect();
    let folder = root.join(&file.path).parent().map(Path::to_path_buf);
    let new_folder = folder.as_ref().filter(|f| !f.exists()).cloned();
    scaffold::write(root, std::slice::from_ref(&file), false).map_err(Error::Usage)?;
    let after = check::run(&Repo::work_tree(root), today, None);
    let introduced: Vec<Finding> = match &after {
        Ok(after) => errors(&after.findings)
            .into_iter()
            .filter(|f| !before.contains(&key(f)))
            .collect(),
        Err(_) => Vec::new(),
    };
    let after = match after {
        Ok(after) => after,
        Err(e) => {
            take_back(root, &file.path, new_folder.as_deref());
            return Err(e);
        }
    };
    if !introduced.is_empty() {
        take_back(root, &file.path, new_folder.as_deref());
        return Ok(Added::Refused {
            path: file.path,
            findings: introduced,
            stats: after.stats,
        });
    }
    // The process ends next: freeing the catalog one by one would only add to its run
    // time.
    std::mem::forget(checked);
    Ok(Added::Written(file.path))
}

/// Remove a file `paved new` wrote, and the folder it made for it.
fn take_back(root: &Path, path: &str, new_folder: Option<&Path>) {
    let _ = std::fs::remove_file(root.join(path));
    if let Some(folder) = new_folder {
        let _ = std::fs::remove_dir(folder);
    }
}
