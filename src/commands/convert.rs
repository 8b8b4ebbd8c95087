//! `paved convert score FILE`: the Service intents a Score file's workloads become.

use std::path::{Path, PathBuf};

use crate::diag::error::Error;
use crate::diag::finding::{self, Finding, Severity, Stats};
use crate::load::repo::Repo;
use crate::load::schema;
use crate::syntax::source::SourceFile;

/// What a Score file converts to.
#[derive(Debug)]
pub(crate) struct Converted {
    /// The Service intents, as YAML documents; none when the findings have errors.
    pub services: Option<String>,
    /// Sorted by position.
    pub findings: Vec<Finding>,
    pub stats: Stats,
}

/// Convert the Score file at `path` (`file` as the user named it). The paved.yaml of
/// the repository at `root` may name the owner of workloads that name none; a failure
/// to find that repository is reported once the file is read.
pub(crate) fn score(
    path: &Path,
    file: &Path,
    root: Result<PathBuf, Error>,
) -> Result<Converted, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let schemas = schema::Schemas::new().map_err(Error::Internal)?;
    let config = crate::load::config::load(&Repo::work_tree(&root?), &schemas)
        .map(|loaded| loaded.config)
        .unwrap_or_default();
    let source = std::sync::Arc::new(SourceFile::new(
        file.to_string_lossy().replace('\\', "/"),
        text,
    ));
    let mut findings = Vec::new();
    let services = crate::load::score::convert_file(
        &source,
        &schemas,
        config.default_owner.as_deref(),
        config.limits.yaml,
        &mut findings,
    );
    finding::sort(&mut findings);
    let failed = findings.iter().any(|f| f.severity == Severity::Error);
    if services.is_empty() && !failed {
        return Err(Error::Usage(format!(
            "{}: no Score workload (apiVersion: score.dev/v1b1) in this file",
            file.display()
        )));
    }
    let stats = Stats {
        files: 1,
        intent_files: 1,
        intents: services.len(),
    };
    Ok(Converted {
        services: (!failed).then(|| crate::syntax::yaml_out::documents(&services)),
        findings,
        stats,
    })
}
