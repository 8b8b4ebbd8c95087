//! Reading a revision of the monorepo straight from git objects: no checkout, no
//! temporary work tree on disk.

use std::path::Path;

use crate::repo::{Entry, Snapshot};

/// The files under `root` as they are at `revision` of the git repository holding
/// `root`, for the loaders to read: paved.yaml, the platform's folder, ignore files
/// and YAML files outside the output folder. Other files are not read.
pub fn snapshot(root: &Path, revision: &str) -> Result<Snapshot, String> {
    let repository = gix::discover(root)
        .map_err(|e| format!("{} is not in a git repository: {e}", root.display()))?;
    let workdir = repository
        .workdir()
        .ok_or_else(|| String::from("the git repository has no work tree"))?;
    let root = root
        .canonicalize()
        .map_err(|e| format!("{}: {e}", root.display()))?;
    let workdir = workdir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", workdir.display()))?;
    let prefix = root.strip_prefix(&workdir).unwrap_or(Path::new(""));
    let id = repository.rev_parse_single(revision).map_err(|e| {
        let shallow = if repository.is_shallow().unwrap_or(false) {
            "; this clone is shallow: fetch the base, for example with `git fetch --deepen=50 origin` or `actions/checkout` with `fetch-depth: 0`"
        } else {
            "; fetch it first, for example `git fetch origin main`"
        };
        format!("the revision `{revision}` is not in this clone ({e}){shallow}")
    })?;
    let mut tree = id
        .object()
        .and_then(|object| object.peel_to_tree())
        .map_err(|e| format!("`{revision}` does not name a commit or tree: {e}"))?;
    if !prefix.as_os_str().is_empty() {
        tree = match tree
            .lookup_entry_by_path(prefix)
            .map_err(|e| e.to_string())?
        {
            Some(entry) if entry.mode().is_tree() => entry
                .object()
                .and_then(|object| object.peel_to_tree())
                .map_err(|e| e.to_string())?,
            // The folder did not exist at that revision: an empty monorepo.
            _ => return Ok(Snapshot::default()),
        };
    }
    let entries = tree
        .traverse()
        .breadthfirst
        .files()
        .map_err(|e| format!("cannot read the tree of `{revision}`: {e}"))?;
    let read = |oid| {
        repository
            .find_object(oid)
            .map(|object| object.detach().data)
            .map_err(|e| format!("cannot read {oid} of `{revision}`: {e}"))
    };
    // The output folder holds generated files only: they are rendered, not read.
    let mut config = Snapshot::default();
    if let Some(entry) = entries
        .iter()
        .find(|e| e.filepath == crate::config::FILE_NAME && e.mode.is_blob())
    {
        config.files.insert(
            crate::config::FILE_NAME.to_string(),
            Entry::File(read(entry.oid)?),
        );
    }
    let output = crate::config::load(
        &crate::repo::Repo::Snapshot(config),
        &crate::schema::Schemas::new()?,
    )
    .map(|loaded| format!("{}/", loaded.config.output.trim_end_matches('/')))
    .unwrap_or_default();
    let wanted = |path: &str| {
        let name = path.rsplit('/').next().unwrap_or(path);
        if !output.is_empty() && path.starts_with(&output) {
            return false;
        }
        path == crate::config::FILE_NAME
            || path.starts_with(&format!("{}/", crate::platform::DIR))
            || matches!(name, ".gitignore" | ".ignore" | ".pavedignore")
            || path.ends_with(".yaml")
            || path.ends_with(".yml")
    };
    let mut snapshot = Snapshot::default();
    for entry in &entries {
        let path = entry.filepath.to_string();
        if !wanted(&path) {
            continue;
        }
        match entry.mode.kind() {
            gix::object::tree::EntryKind::Blob | gix::object::tree::EntryKind::BlobExecutable => {
                snapshot.files.insert(path, Entry::File(read(entry.oid)?));
            }
            gix::object::tree::EntryKind::Link => {
                let target = String::from_utf8_lossy(&read(entry.oid)?).into_owned();
                snapshot.files.insert(path, Entry::Link(target));
            }
            gix::object::tree::EntryKind::Tree | gix::object::tree::EntryKind::Commit => {}
        }
    }
    Ok(snapshot)
}
