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

/// Where new files wait until the run decides to write, relative to the output folder:
/// on the same file system as their destinations, so that putting them in place is a
/// rename.
pub const STAGING: &str = ".paved/staging";

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
    /// What is on disk now (for updates and deletes), when kept for a diff.
    pub old: Option<Vec<u8>>,
    /// What paved wants there (for creates and updates), when kept for a diff.
    pub new: Option<Vec<u8>>,
    /// Where the new bytes wait in the staging folder, to be renamed into place.
    pub staged: Option<PathBuf>,
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
    /// Folders the staging made that did not exist before: removed with it.
    pub created: Vec<PathBuf>,
    pub staging: Option<PathBuf>,
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

    /// Remove the staged files and the folders made for them: the plan is not applied,
    /// and the output folder is as it was.
    pub fn discard(&self) {
        if let Some(staging) = &self.staging {
            let _ = std::fs::remove_dir_all(staging);
        }
        self.remove_created();
    }

    /// Remove the folders made for staging, if empty.
    pub fn remove_created(&self) {
        for dir in self.created.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
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

/// What one part of the desired tree comes to.
#[derive(Debug, Default)]
pub struct PartPlan {
    changes: Vec<Change>,
    unchanged: usize,
    conflicts: Vec<Conflict>,
    /// Every file of the part with the hash of its bytes, for the manifest.
    hashes: Vec<(String, String)>,
}

/// Compares the desired tree with the output folder and paved's manifest part by part,
/// as the parts are rendered, so that the whole tree never needs to be in memory.
pub struct Planner<'a> {
    output: &'a Path,
    old: Manifest,
    force: bool,
    /// Write new and changed files into the staging folder at once and forget their
    /// bytes; otherwise keep old and new bytes for a diff and write nothing.
    stage: bool,
    staged: std::sync::atomic::AtomicUsize,
    staging: std::sync::OnceLock<std::io::Result<(PathBuf, Vec<PathBuf>)>>,
}

impl<'a> Planner<'a> {
    pub fn new(output: &'a Path, force: bool, stage: bool) -> Self {
        Self {
            output,
            old: read_manifest(output),
            force,
            stage,
            staged: std::sync::atomic::AtomicUsize::new(0),
            staging: std::sync::OnceLock::new(),
        }
    }

    /// The staging folder, made on first use, empty: what a run that was stopped left
    /// there is removed. With the folders that had to be made for it.
    fn staging(&self) -> std::io::Result<&Path> {
        let made = self.staging.get_or_init(|| {
            let staging = self.output.join(STAGING);
            let mut created = Vec::new();
            for dir in staging.ancestors().collect::<Vec<_>>().into_iter().rev() {
                if !dir.as_os_str().is_empty() && !dir.exists() {
                    created.push(dir.to_path_buf());
                }
            }
            match std::fs::remove_dir_all(&staging) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            std::fs::create_dir_all(&staging)?;
            Ok((staging, created))
        });
        match made {
            Ok((staging, _)) => Ok(staging),
            Err(e) => Err(std::io::Error::new(e.kind(), e.to_string())),
        }
    }

    /// Write `bytes` to a new file of the staging folder.
    fn stage(&self, bytes: &[u8]) -> std::io::Result<PathBuf> {
        let n = self
            .staged
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = self.staging()?.join(n.to_string());
        std::fs::write(&path, bytes)?;
        Ok(path)
    }

    /// Compare a part of the desired tree (paths relative to the output folder, all in
    /// scope) with the folder, file by file in parallel.
    pub fn part(&self, desired: &BTreeMap<String, Vec<u8>>) -> std::io::Result<PartPlan> {
        use rayon::prelude::*;
        let outcomes: Vec<std::io::Result<(String, Outcome)>> = desired
            .par_iter()
            .map_init(std::collections::HashSet::new, |checked, (path, bytes)| {
                let hash = sha256_hex(bytes);
                self.file(path, bytes, checked)
                    .map(|outcome| (hash, outcome))
            })
            .collect();
        let mut plan = PartPlan::default();
        for (path, outcome) in desired.keys().zip(outcomes) {
            let (hash, outcome) = outcome?;
            plan.hashes.push((path.clone(), hash));
            match outcome {
                Outcome::Unchanged => plan.unchanged += 1,
                Outcome::Change(change) => plan.changes.push(change),
                Outcome::Conflict(conflict) => plan.conflicts.push(conflict),
            }
        }
        Ok(plan)
    }

    fn file(
        &self,
        path: &str,
        bytes: &[u8],
        checked: &mut std::collections::HashSet<PathBuf>,
    ) -> std::io::Result<Outcome> {
        let (action, old) = match inspect(self.output, path, checked)? {
            Found::Link(link) => return Ok(Outcome::Conflict(Conflict::Symlink { path: link })),
            Found::Missing => (Action::Create, None),
            Found::File(existing) if existing == bytes => return Ok(Outcome::Unchanged),
            Found::File(existing) => {
                let owned = self.old.files.get(path);
                if owned.is_none() && !self.force {
                    let path = path.to_string();
                    return Ok(Outcome::Conflict(Conflict::Foreign { path }));
                }
                if owned.is_some_and(|h| *h != sha256_hex(&existing)) && !self.force {
                    let path = path.to_string();
                    return Ok(Outcome::Conflict(Conflict::Edited {
                        path,
                        delete: false,
                    }));
                }
                (Action::Update, Some(existing))
            }
        };
        Ok(Outcome::Change(if self.stage {
            Change {
                path: path.to_string(),
                action,
                old: None,
                new: None,
                staged: Some(self.stage(bytes)?),
            }
        } else {
            Change {
                path: path.to_string(),
                action,
                old,
                new: Some(bytes.to_vec()),
                staged: None,
            }
        }))
    }

    /// The whole plan from its parts: files paved wrote before (within `in_scope`) that
    /// no part holds are deleted, and the manifest lists what the folder will hold.
    /// Manifest entries out of scope are kept. On an error, what was staged is removed.
    pub fn finish(
        self,
        parts: Vec<PartPlan>,
        in_scope: &dyn Fn(&str) -> bool,
    ) -> std::io::Result<Plan> {
        let mut plan = Plan::default();
        if let Some(Ok((staging, created))) = self.staging.get() {
            plan.staging = Some(staging.clone());
            plan.created = created.clone();
        }
        let mut manifest = Manifest {
            version: 1,
            files: self
                .old
                .files
                .iter()
                .filter(|(path, _)| !in_scope(path))
                .map(|(p, h)| (p.clone(), h.clone()))
                .collect(),
        };
        for part in parts {
            plan.changes.extend(part.changes);
            plan.unchanged += part.unchanged;
            plan.conflicts.extend(part.conflicts);
            manifest.files.extend(part.hashes);
        }
        let mut checked_dirs = std::collections::HashSet::new();
        for (path, hash) in self.old.files.iter().filter(|(p, _)| in_scope(p)) {
            if manifest.files.contains_key(path) {
                continue;
            }
            let existing = match inspect(self.output, path, &mut checked_dirs) {
                Ok(Found::File(existing)) => existing,
                // Nothing behind a link is paved's to delete.
                Ok(Found::Link(_) | Found::Missing) => continue,
                Err(e) => {
                    plan.discard();
                    return Err(e);
                }
            };
            if sha256_hex(&existing) != *hash && !self.force {
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
                old: (!self.stage).then_some(existing),
                new: None,
                staged: None,
            });
        }
        plan.changes.sort_by(|a, b| a.path.cmp(&b.path));
        plan.manifest_changed = manifest != self.old;
        plan.manifest = manifest;
        Ok(plan)
    }
}

/// What one desired file comes to.
enum Outcome {
    Unchanged,
    Change(Change),
    Conflict(Conflict),
}

/// What is at a path of the output folder.
enum Found {
    Missing,
    /// A regular file's bytes; empty for a folder or anything else where a file should
    /// be, which then counts as foreign and is never written over.
    File(Vec<u8>),
    /// A symbolic link at the path or on the way to it (relative to the output folder):
    /// paved never writes or deletes through one.
    Link(String),
}

/// Look at `path` under `output`: its folders first (each once per `checked`), then the
/// entry itself, without following links.
fn inspect(
    output: &Path,
    path: &str,
    checked: &mut std::collections::HashSet<PathBuf>,
) -> std::io::Result<Found> {
    let mut current = PathBuf::new();
    let (folders, _) = path.rsplit_once('/').unwrap_or(("", path));
    for component in folders.split('/').filter(|c| !c.is_empty()) {
        current.push(component);
        if checked.contains(&current) {
            continue;
        }
        match std::fs::symlink_metadata(output.join(&current)) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Ok(Found::Link(current.to_string_lossy().replace('\\', "/")));
            }
            Ok(_) => {
                checked.insert(current.clone());
            }
            // Nothing there: nothing below can exist either.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Found::Missing),
            Err(e) => return Err(e),
        }
    }
    let target = output.join(path);
    match std::fs::symlink_metadata(&target) {
        Ok(meta) if meta.file_type().is_symlink() => Ok(Found::Link(path.to_string())),
        Ok(meta) if meta.is_file() => std::fs::read(&target).map(Found::File),
        Ok(_) => Ok(Found::File(Vec::new())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Found::Missing),
        Err(e) => Err(e),
    }
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

    /// The whole desired tree as one part, kept for a diff.
    fn plan(
        out: &Path,
        desired: &BTreeMap<String, Vec<u8>>,
        in_scope: &dyn Fn(&str) -> bool,
        force: bool,
    ) -> std::io::Result<Plan> {
        let planner = Planner::new(out, force, false);
        let scoped: BTreeMap<String, Vec<u8>> = desired
            .iter()
            .filter(|(p, _)| in_scope(p))
            .map(|(p, b)| (p.clone(), b.clone()))
            .collect();
        let part = planner.part(&scoped)?;
        planner.finish(vec![part], in_scope)
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
        let forced = self::plan(out, &desired, &|_| true, true).unwrap();
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
