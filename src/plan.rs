//! The desired tree against the output folder and paved's manifest: what to create,
//! update and delete, and what must not be touched.
//!
//! paved owns exactly the files its manifest lists (with the hash it wrote). It never
//! overwrites or deletes a file it did not write, and it refuses to overwrite or
//! delete one that was edited by hand since (unless forced), so nothing is lost.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::render::names::sha256_hex;

/// Where the manifest lives, relative to the output folder.
pub const MANIFEST: &str = ".paved/manifest.json";

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    /// Path (relative to the output folder) to the SHA-256 of the bytes paved wrote.
    pub files: BTreeMap<String, String>,
}

impl Manifest {
    pub fn of(files: &BTreeMap<String, Vec<u8>>) -> Self {
        Self {
            version: 1,
            files: files
                .iter()
                .map(|(path, bytes)| (path.clone(), sha256_hex(bytes)))
                .collect(),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut text = serde_json::to_string_pretty(self).expect("manifests serialize");
        text.push('\n');
        text.into_bytes()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Action {
    Create,
    Update,
    Delete,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub path: String,
    pub action: Action,
    /// What is on disk now (for updates and deletes).
    pub old: Option<Vec<u8>>,
    /// What paved wants there (for creates and updates).
    pub new: Option<Vec<u8>>,
}

/// A path paved wants to write or delete but must not, as things stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// A generated file changed since paved wrote it.
    Edited { path: String, delete: bool },
    /// A file paved never wrote sits where it wants to write.
    Foreign { path: String },
    /// A symbolic link on the way: paved never writes through one.
    Symlink { path: String },
}

#[derive(Debug, Default)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub unchanged: usize,
    pub conflicts: Vec<Conflict>,
    /// The manifest after applying the plan.
    pub manifest: Manifest,
    /// Whether the manifest on disk differs from `manifest`.
    pub manifest_changed: bool,
}

impl Plan {
    pub fn count(&self, action: Action) -> usize {
        self.changes.iter().filter(|c| c.action == action).count()
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && !self.manifest_changed
    }
}

/// Read the manifest; an unreadable or malformed one counts as empty, so that paved
/// then owns nothing and touches nothing it finds.
pub fn read_manifest(output: &Path) -> Manifest {
    std::fs::read(output.join(MANIFEST))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Compare `desired` (paths relative to `output`) with the folder. `in_scope` limits
/// the comparison (for example to one environment); files out of scope keep their
/// manifest entries.
pub fn plan(
    output: &Path,
    desired: &BTreeMap<String, Vec<u8>>,
    in_scope: &dyn Fn(&str) -> bool,
    force: bool,
) -> std::io::Result<Plan> {
    let old_manifest = read_manifest(output);
    let mut plan = Plan::default();
    let mut manifest = Manifest {
        version: 1,
        files: old_manifest
            .files
            .iter()
            .filter(|(path, _)| !in_scope(path))
            .map(|(p, h)| (p.clone(), h.clone()))
            .collect(),
    };
    let mut checked_dirs = std::collections::HashSet::new();
    for (path, bytes) in desired.iter().filter(|(p, _)| in_scope(p)) {
        let hash = sha256_hex(bytes);
        manifest.files.insert(path.clone(), hash.clone());
        if let Some(link) = symlink_on_path(output, path, &mut checked_dirs) {
            plan.conflicts.push(Conflict::Symlink { path: link });
            continue;
        }
        let on_disk = read_if_file(&output.join(path))?;
        match on_disk {
            None => plan.changes.push(Change {
                path: path.clone(),
                action: Action::Create,
                old: None,
                new: Some(bytes.clone()),
            }),
            Some(existing) if &existing == bytes => plan.unchanged += 1,
            Some(existing) => {
                let owned = old_manifest.files.get(path);
                let edited = owned.is_some_and(|h| *h != sha256_hex(&existing));
                if owned.is_none() && !force {
                    plan.conflicts
                        .push(Conflict::Foreign { path: path.clone() });
                    continue;
                }
                if edited && !force {
                    plan.conflicts.push(Conflict::Edited {
                        path: path.clone(),
                        delete: false,
                    });
                    continue;
                }
                plan.changes.push(Change {
                    path: path.clone(),
                    action: Action::Update,
                    old: Some(existing),
                    new: Some(bytes.clone()),
                });
            }
        }
    }
    for (path, hash) in old_manifest.files.iter().filter(|(p, _)| in_scope(p)) {
        if desired.contains_key(path) {
            continue;
        }
        if symlink_on_path(output, path, &mut checked_dirs).is_some() {
            // Nothing behind a link is paved's to delete.
            continue;
        }
        let Some(existing) = read_if_file(&output.join(path))? else {
            continue;
        };
        if sha256_hex(&existing) != *hash && !force {
            plan.conflicts.push(Conflict::Edited {
                path: path.clone(),
                delete: true,
            });
            manifest.files.insert(path.clone(), hash.clone());
            continue;
        }
        plan.changes.push(Change {
            path: path.clone(),
            action: Action::Delete,
            old: Some(existing),
            new: None,
        });
    }
    plan.changes.sort_by(|a, b| a.path.cmp(&b.path));
    plan.manifest_changed = manifest != old_manifest;
    plan.manifest = manifest;
    Ok(plan)
}

fn read_if_file(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() => std::fs::read(path).map(Some),
        // A folder or something else where a file should be: treated as foreign by
        // the write, which fails without touching it.
        Ok(_) => Ok(Some(Vec::new())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The first symbolic link among `path`'s ancestors under `output` (or the file
/// itself), as a path relative to `output`.
fn symlink_on_path(
    output: &Path,
    path: &str,
    checked: &mut std::collections::HashSet<PathBuf>,
) -> Option<String> {
    let mut current = PathBuf::new();
    let components: Vec<&str> = path.split('/').collect();
    for (i, component) in components.iter().enumerate() {
        current.push(component);
        let is_dir = i + 1 < components.len();
        if is_dir && checked.contains(&current) {
            continue;
        }
        match std::fs::symlink_metadata(output.join(&current)) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Some(current.to_string_lossy().replace('\\', "/"));
            }
            Ok(_) if is_dir => {
                checked.insert(current.clone());
            }
            Ok(_) => {}
            // Nothing there: nothing below can be a link either.
            Err(_) => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn tree(files: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        files
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
            .collect()
    }

    fn write_manifest(out: &Path, files: &BTreeMap<String, Vec<u8>>) {
        fs::create_dir_all(out.join(".paved")).unwrap();
        fs::write(out.join(MANIFEST), Manifest::of(files).to_bytes()).unwrap();
    }

    #[test]
    fn create_update_delete_and_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let before = tree(&[("a.yaml", "1"), ("b.yaml", "2"), ("gone.yaml", "3")]);
        for (p, c) in &before {
            fs::write(out.join(p), c).unwrap();
        }
        write_manifest(out, &before);
        fs::write(out.join("mine.txt"), "not paved's").unwrap();
        let desired = tree(&[("a.yaml", "1"), ("b.yaml", "22"), ("new/c.yaml", "4")]);
        let plan = plan(out, &desired, &|_| true, false).unwrap();
        assert!(plan.conflicts.is_empty());
        assert_eq!(plan.unchanged, 1);
        let actions: Vec<(&str, Action)> = plan
            .changes
            .iter()
            .map(|c| (c.path.as_str(), c.action))
            .collect();
        assert_eq!(
            actions,
            [
                ("b.yaml", Action::Update),
                ("gone.yaml", Action::Delete),
                ("new/c.yaml", Action::Create)
            ]
        );
        assert!(!plan.manifest.files.contains_key("mine.txt"));
    }

    #[test]
    fn hand_edits_and_foreign_files_are_conflicts() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let before = tree(&[("a.yaml", "1"), ("b.yaml", "2")]);
        write_manifest(out, &before);
        fs::write(out.join("a.yaml"), "edited").unwrap();
        fs::write(out.join("b.yaml"), "edited too").unwrap();
        fs::write(out.join("c.yaml"), "someone else's").unwrap();
        let desired = tree(&[("a.yaml", "11"), ("c.yaml", "3")]);
        let plan = plan(out, &desired, &|_| true, false).unwrap();
        assert_eq!(
            plan.conflicts,
            [
                Conflict::Edited {
                    path: "a.yaml".into(),
                    delete: false
                },
                Conflict::Foreign {
                    path: "c.yaml".into()
                },
                Conflict::Edited {
                    path: "b.yaml".into(),
                    delete: true
                },
            ]
        );
        assert!(plan.changes.is_empty());
        let forced = super::plan(out, &desired, &|_| true, true).unwrap();
        assert!(forced.conflicts.is_empty());
        assert_eq!(forced.changes.len(), 3);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let out = dir.path();
        std::os::unix::fs::symlink(elsewhere.path(), out.join("kubernetes")).unwrap();
        let desired = tree(&[("kubernetes/a.yaml", "1")]);
        let plan = plan(out, &desired, &|_| true, true).unwrap();
        assert_eq!(
            plan.conflicts,
            [Conflict::Symlink {
                path: "kubernetes".into()
            }]
        );
    }

    #[test]
    fn out_of_scope_files_keep_their_entries() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let before = tree(&[("dev/a.yaml", "1"), ("prod/a.yaml", "2")]);
        for (p, c) in &before {
            fs::create_dir_all(out.join(p).parent().unwrap()).unwrap();
            fs::write(out.join(p), c).unwrap();
        }
        write_manifest(out, &before);
        let desired = tree(&[("dev/a.yaml", "1")]);
        let plan = plan(out, &desired, &|p| p.starts_with("dev/"), false).unwrap();
        assert!(plan.changes.is_empty());
        assert!(plan.manifest.files.contains_key("prod/a.yaml"));
    }
}
