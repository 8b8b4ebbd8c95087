//! `paved schema`: the JSON Schemas of intents and paved.yaml, for editors.

use std::path::{Path, PathBuf};

use crate::diag::error::Error;
use crate::load::schema::FILES;

/// The schemas' names, one a line.
pub(crate) fn list() -> String {
    names().map(|n| format!("{n}\n")).collect()
}

/// The schema called `name` (`service`, `team`, `config` or `common`).
pub(crate) fn text(name: &str) -> Result<&'static str, Error> {
    match FILES.iter().find(|(file, _)| schema_name(file) == name) {
        Some((_, text)) => Ok(text),
        None => Err(Error::Usage(format!(
            "unknown schema `{name}`; schemas: {}",
            names().collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// Write every schema into `dir`, made if missing; the paths written, in order.
pub(crate) fn export(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut written = Vec::new();
    for (file, text) in FILES {
        let path = dir.join(file);
        std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
        written.push(path);
    }
    Ok(written)
}

fn names() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|(file, _)| schema_name(file))
}

fn schema_name(file: &str) -> &str {
    file.trim_end_matches(".schema.json")
}
