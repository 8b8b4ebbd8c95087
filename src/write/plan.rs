//! The desired tree against the output folder and paved's manifest: what to create,
//! update and delete, and what must not be touched.
//!
//! paved owns exactly the files its manifest lists (with the hash it wrote). It never
//! overwrites or deletes a file it did not write, and it refuses to overwrite or
//! delete one that was edited by hand since (unless forced), so nothing is lost.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::model::names::sha256_hex;
use crate::syntax::source::SourceFile;
use crate::write::conflict::Conflict;
use crate::write::guard::{Found, OutputDir};

/// Where the manifest lives, relative to the output folder.
pub const MANIFEST: &str = ".paved/manifest.json";

/// Where new files wait until the run decides to write, relative to the output folder:
/// on the same file system as their destinations, so that putting them in place is a
/// rename.
pub const STAGING: &str = ".paved/staging";

/// What paved owns in the output folder. A run that writes replaces it twice, each time
/// whole (a new file renamed over the old one): before putting files in place, with
/// the hashes it is about to write as `pending`, and after, without. So whenever a run
/// stops, every file paved may have written is listed, with every hash it may have.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub version: u32,
    /// Path (relative to the output folder) to the SHA-256 of the bytes paved wrote.
    pub files: BTreeMap<String, String>,
    /// Path to the SHA-256 of the bytes a run was putting there when it stopped: the
    /// file holds these or those of `files` (or is missing), and either is paved's.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending: BTreeMap<String, String>,
}

impl Manifest {
    pub fn of(files: &BTreeMap<String, Vec<u8>>) -> Self {
        Self {
            version: 1,
            files: files
                .iter()
                .map(|(path, bytes)| (path.clone(), sha256_hex(bytes)))
                .collect(),
            pending: BTreeMap::new(),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut text = serde_json::to_string_pretty(self).expect("manifests serialize");
        text.push('\n');
        text.into_bytes()
    }

    /// Whether paved wrote (or was writing) something at `path`.
    pub fn lists(&self, path: &str) -> bool {
        self.files.contains_key(path) || self.pending.contains_key(path)
    }

    /// Whether bytes of this hash at `path` are paved's.
    pub fn owns(&self, path: &str, hash: &str) -> bool {
        self.files.get(path).is_some_and(|h| h == hash)
            || self.pending.get(path).is_some_and(|h| h == hash)
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
    /// The hash of what is on disk now (for updates and deletes).
    pub old_hash: Option<String>,
    /// What paved wants there (for creates and updates), when kept for a diff.
    pub new: Option<Vec<u8>>,
    /// Where the new bytes wait in the staging folder, to be renamed into place.
    pub staged: Option<PathBuf>,
}

#[derive(Debug, Default)]
pub struct Plan {
    /// Folders the staging made that did not exist before: removed with it.
    pub created: Vec<PathBuf>,
    pub staging: Option<PathBuf>,
    pub changes: Vec<Change>,
    pub unchanged: usize,
    pub conflicts: Vec<Conflict>,
    /// The manifest as read, when an entry of it is refused: where findings point.
    pub manifest_source: Option<Arc<SourceFile>>,
    /// The manifest after applying the plan.
    pub manifest: Manifest,
    /// Whether the manifest on disk differs from `manifest`.
    pub manifest_changed: bool,
    /// Files the manifest lists and paved no longer generates that are gone already
    /// (deleted by a run that stopped, or by hand): their folders go if empty.
    pub vanished: Vec<String>,
}

impl Plan {
    pub fn count(&self, action: Action) -> usize {
        self.changes.iter().filter(|c| c.action == action).count()
    }

    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && !self.manifest_changed
    }

    /// The manifest to write before putting any file in place: every path the plan
    /// touches lists both what is there now and what it will hold.
    pub fn interim(&self) -> Manifest {
        let mut manifest = self.manifest.clone();
        for change in &self.changes {
            let path = change.path.clone();
            let new = manifest.files.remove(&path);
            if let Some(hash) = &change.old_hash {
                manifest.files.insert(path.clone(), hash.clone());
            }
            if let Some(hash) = new.filter(|_| change.action != Action::Delete) {
                manifest.pending.insert(path, hash);
            }
        }
        manifest
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

/// The manifest, with its entries that are not plain relative paths taken out and
/// reported. An unreadable or malformed manifest counts as empty, so that paved then
/// owns nothing and touches nothing it finds.
fn read_manifest(out: &OutputDir) -> (Manifest, Vec<Conflict>, Option<Arc<SourceFile>>) {
    let Ok(bytes) = std::fs::read(out.kept(MANIFEST)) else {
        return (Manifest::default(), Vec::new(), None);
    };
    let Ok(mut manifest) = serde_json::from_slice::<Manifest>(&bytes) else {
        return (Manifest::default(), Vec::new(), None);
    };
    let refused: BTreeSet<String> = manifest
        .files
        .keys()
        .chain(manifest.pending.keys())
        .filter(|path| crate::write::guard::refusal(path).is_some())
        .cloned()
        .collect();
    if refused.is_empty() {
        return (manifest, Vec::new(), None);
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let conflicts = refused
        .iter()
        .map(|path| {
            manifest.files.remove(path);
            manifest.pending.remove(path);
            let quoted = serde_json::to_string(path).expect("strings serialize");
            Conflict::Unsafe {
                path: path.clone(),
                reason: crate::write::guard::refusal(path).unwrap_or_default(),
                listed: Some(
                    text.find(&quoted)
                        .map_or((0, 0), |at| (at, at + quoted.len())),
                ),
            }
        })
        .collect();
    let source = SourceFile::new(format!("{}/{MANIFEST}", out.name()), text);
    (manifest, conflicts, Some(Arc::new(source)))
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
    out: &'a OutputDir,
    old: Manifest,
    /// What is wrong before any part: a link on the way to the output folder (then
    /// nothing is looked at or written), entries of the manifest refused.
    early: Vec<Conflict>,
    manifest_source: Option<Arc<SourceFile>>,
    blocked: bool,
    force: bool,
    /// Write new and changed files into the staging folder at once and forget their
    /// bytes; otherwise keep old and new bytes for a diff and write nothing.
    stage: bool,
    staged: std::sync::atomic::AtomicUsize,
    staging: std::sync::OnceLock<std::io::Result<(PathBuf, Vec<PathBuf>)>>,
}

impl<'a> Planner<'a> {
    /// A staging planner must only be made by the one run that may write (see
    /// [`crate::write::lock`]): it removes what a run that was stopped left in `.paved/`.
    pub fn new(out: &'a OutputDir, force: bool, stage: bool) -> std::io::Result<Self> {
        let link = out.link_on_the_way()?;
        let blocked = link.is_some();
        let (old, mut early, manifest_source) = if blocked {
            (Manifest::default(), Vec::new(), None)
        } else {
            read_manifest(out)
        };
        early.extend(link.map(|path| Conflict::OutputLink { path }));
        if stage && !blocked {
            crate::write::apply::clear_leftovers(out)?;
        }
        Ok(Self {
            out,
            old,
            early,
            manifest_source,
            blocked,
            force,
            stage,
            staged: std::sync::atomic::AtomicUsize::new(0),
            staging: std::sync::OnceLock::new(),
        })
    }

    /// The staging folder, made on first use, with the folders that had to be made for
    /// it.
    fn staging(&self) -> std::io::Result<&std::path::Path> {
        let made = self.staging.get_or_init(|| {
            let staging = self.out.kept(STAGING);
            let mut created = Vec::new();
            for dir in staging.ancestors().collect::<Vec<_>>().into_iter().rev() {
                if !dir.as_os_str().is_empty() && !dir.exists() {
                    created.push(dir.to_path_buf());
                }
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
        if self.blocked {
            return Ok(PartPlan::default());
        }
        let outcomes: Vec<std::io::Result<(String, Outcome)>> = desired
            .par_iter()
            .map_init(HashSet::new, |checked, (path, bytes)| {
                self.file(path, bytes, checked)
                    .map(|outcome| (sha256_hex(bytes), outcome))
            })
            .collect();
        let mut plan = PartPlan::default();
        for (path, outcome) in desired.keys().zip(outcomes) {
            let (hash, outcome) = outcome?;
            match outcome {
                Outcome::Unchanged => plan.unchanged += 1,
                Outcome::Change(change) => plan.changes.push(change),
                Outcome::Conflict(conflict) => plan.conflicts.push(conflict),
                Outcome::Refused(reason) => {
                    plan.conflicts.push(Conflict::Unsafe {
                        path: path.clone(),
                        reason,
                        listed: None,
                    });
                    continue;
                }
            }
            plan.hashes.push((path.clone(), hash));
        }
        Ok(plan)
    }

    fn file(
        &self,
        path: &str,
        bytes: &[u8],
        checked: &mut HashSet<PathBuf>,
    ) -> std::io::Result<Outcome> {
        if let Some(reason) = crate::write::guard::refusal(path) {
            return Ok(Outcome::Refused(reason));
        }
        let (action, old) = match self.out.inspect(path, checked)? {
            Found::Link(link) => return Ok(Outcome::Conflict(Conflict::Symlink { path: link })),
            Found::Missing => (Action::Create, None),
            Found::File(existing) if existing == bytes => return Ok(Outcome::Unchanged),
            Found::File(existing) => {
                let existing_hash = sha256_hex(&existing);
                if !self.force {
                    let path = path.to_string();
                    if !self.old.lists(&path) {
                        return Ok(Outcome::Conflict(Conflict::Foreign { path }));
                    }
                    if !self.old.owns(&path, &existing_hash) {
                        return Ok(Outcome::Conflict(Conflict::Edited {
                            path,
                            delete: false,
                        }));
                    }
                }
                (Action::Update, Some((existing, existing_hash)))
            }
        };
        let (old, old_hash) = old.unzip();
        Ok(Outcome::Change(if self.stage {
            Change {
                path: path.to_string(),
                action,
                old: None,
                old_hash,
                new: None,
                staged: Some(self.stage(bytes)?),
            }
        } else {
            Change {
                path: path.to_string(),
                action,
                old,
                old_hash,
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
        let mut plan = Plan {
            conflicts: self.early,
            manifest_source: self.manifest_source,
            ..Plan::default()
        };
        if let Some(Ok((staging, created))) = self.staging.get() {
            plan.staging = Some(staging.clone());
            plan.created = created.clone();
        }
        let keep = |path: &String| !in_scope(path);
        let mut manifest = Manifest {
            version: 1,
            files: self.old.files.clone(),
            pending: self.old.pending.clone(),
        };
        manifest.files.retain(|path, _| keep(path));
        manifest.pending.retain(|path, _| keep(path));
        for part in parts {
            plan.changes.extend(part.changes);
            plan.unchanged += part.unchanged;
            plan.conflicts.extend(part.conflicts);
            manifest.files.extend(part.hashes);
        }
        let listed: BTreeSet<&String> = self
            .old
            .files
            .keys()
            .chain(self.old.pending.keys())
            .collect();
        let mut checked = HashSet::new();
        for path in listed.into_iter().filter(|p| in_scope(p) && !self.blocked) {
            if manifest.files.contains_key(path) {
                continue;
            }
            let keep_entry = |manifest: &mut Manifest| {
                if let Some(hash) = self.old.files.get(path) {
                    manifest.files.insert(path.clone(), hash.clone());
                }
                if let Some(hash) = self.old.pending.get(path) {
                    manifest.pending.insert(path.clone(), hash.clone());
                }
            };
            let existing = match self.out.inspect(path, &mut checked) {
                Ok(Found::File(existing)) => existing,
                Ok(Found::Missing) => {
                    plan.vanished.push(path.clone());
                    continue;
                }
                // Nothing behind a link is paved's to delete.
                Ok(Found::Link(link)) => {
                    plan.conflicts.push(Conflict::Symlink { path: link });
                    keep_entry(&mut manifest);
                    continue;
                }
                Err(e) => {
                    plan.discard();
                    return Err(e);
                }
            };
            let hash = sha256_hex(&existing);
            if !self.old.owns(path, &hash) && !self.force {
                plan.conflicts.push(Conflict::Edited {
                    path: path.clone(),
                    delete: true,
                });
                keep_entry(&mut manifest);
                continue;
            }
            plan.changes.push(Change {
                path: path.clone(),
                action: Action::Delete,
                old: (!self.stage).then_some(existing),
                old_hash: Some(hash),
                new: None,
                staged: None,
            });
        }
        plan.changes.sort_by(|a, b| a.path.cmp(&b.path));
        // One finding per link, however many files lie behind it.
        let mut links = HashSet::new();
        plan.conflicts.retain(|c| match c {
            Conflict::Symlink { path } => links.insert(path.clone()),
            _ => true,
        });
        plan.manifest_changed = manifest != self.old || plan.manifest_source.is_some();
        plan.manifest = manifest;
        Ok(plan)
    }
}

/// What one desired file comes to.
enum Outcome {
    Unchanged,
    Change(Change),
    Conflict(Conflict),
    /// Its path is refused by [`crate::write::guard::refusal`], for this reason.
    Refused(&'static str),
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::path::Path;

    /// An output folder `out` in a new temporary folder.
    fn output() -> (tempfile::TempDir, OutputDir) {
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::new(dir.path(), "out");
        fs::create_dir(out.dir()).unwrap();
        (dir, out)
    }

    fn tree(files: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
        files
            .iter()
            .map(|(p, c)| (p.to_string(), c.as_bytes().to_vec()))
            .collect()
    }

    /// The whole desired tree as one part, kept for a diff.
    fn plan(
        out: &OutputDir,
        desired: &BTreeMap<String, Vec<u8>>,
        in_scope: &dyn Fn(&str) -> bool,
        force: bool,
    ) -> std::io::Result<Plan> {
        let planner = Planner::new(out, force, false)?;
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

    /// `files` on disk, as a run of paved wrote them (listed in the manifest).
    fn written_by_paved(out: &Path, files: &BTreeMap<String, Vec<u8>>) {
        for (p, c) in files {
            fs::write(out.join(p), c).unwrap();
        }
        write_manifest(out, files);
    }

    #[test]
    fn create_update_delete_and_unchanged() {
        let (_dir, output) = output();
        let out = output.dir();
        let before = tree(&[("a.yaml", "1"), ("b.yaml", "2"), ("gone.yaml", "3")]);
        written_by_paved(out, &before);
        fs::write(out.join("mine.txt"), "not paved's").unwrap();
        let desired = tree(&[("a.yaml", "1"), ("b.yaml", "22"), ("new/c.yaml", "4")]);
        let plan = plan(&output, &desired, &|_| true, false).unwrap();
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
        let (_dir, output) = output();
        let out = output.dir();
        let before = tree(&[("a.yaml", "1"), ("b.yaml", "2")]);
        write_manifest(out, &before);
        fs::write(out.join("a.yaml"), "edited").unwrap();
        fs::write(out.join("b.yaml"), "edited too").unwrap();
        fs::write(out.join("c.yaml"), "someone else's").unwrap();
        let desired = tree(&[("a.yaml", "11"), ("c.yaml", "3")]);
        let plan = plan(&output, &desired, &|_| true, false).unwrap();
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
        let forced = self::plan(&output, &desired, &|_| true, true).unwrap();
        assert!(forced.conflicts.is_empty());
        assert_eq!(forced.changes.len(), 3);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_never_written_through() {
        let (_dir, output) = output();
        let out = output.dir();
        let elsewhere = tempfile::tempdir().unwrap();
        fs::write(elsewhere.path().join("old.yaml"), "1").unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), out.join("kubernetes")).unwrap();
        // A file the manifest lists behind the link is not deleted either.
        write_manifest(out, &tree(&[("kubernetes/old.yaml", "1")]));
        let desired = tree(&[("kubernetes/a.yaml", "1")]);
        let plan = plan(&output, &desired, &|_| true, true).unwrap();
        assert_eq!(
            plan.conflicts,
            [Conflict::Symlink {
                path: "kubernetes".into()
            }]
        );
        assert!(plan.changes.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_on_the_way_to_the_output_folder_blocks_everything() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("out")).unwrap();
        let output = OutputDir::new(dir.path(), "out");
        let planner = Planner::new(&output, true, true).unwrap();
        let part = planner.part(&tree(&[("a.yaml", "1")])).unwrap();
        let plan = planner.finish(vec![part], &|_| true).unwrap();
        assert_eq!(
            plan.conflicts,
            [Conflict::OutputLink { path: "out".into() }]
        );
        assert!(plan.changes.is_empty() && plan.staging.is_none());
        assert_eq!(fs::read_dir(elsewhere.path()).unwrap().count(), 0);
    }

    #[test]
    fn refused_paths_are_conflicts_and_never_staged_or_listed() {
        let (_dir, output) = output();
        let out = output.dir();
        let manifest = r#"{"version":1,"files":{"../../etc/passwd":"00","ok.yaml":"11"},"pending":{"/abs":"22"}}"#;
        fs::create_dir_all(out.join(".paved")).unwrap();
        fs::write(out.join(MANIFEST), manifest).unwrap();
        let planner = Planner::new(&output, true, true).unwrap();
        let desired = tree(&[
            ("../x.yaml", "1"),
            (".paved/manifest.json", "{}"),
            ("a.yaml", "2"),
        ]);
        let part = planner.part(&desired).unwrap();
        let plan = planner.finish(vec![part], &|_| true).unwrap();
        let refused: Vec<(&str, bool)> = plan
            .conflicts
            .iter()
            .map(|c| match c {
                Conflict::Unsafe { path, listed, .. } => (path.as_str(), listed.is_some()),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(
            refused,
            [
                ("../../etc/passwd", true),
                ("/abs", true),
                ("../x.yaml", false),
                (".paved/manifest.json", false)
            ]
        );
        let source = plan.manifest_source.as_ref().unwrap();
        let Conflict::Unsafe {
            listed: Some((start, end)),
            ..
        } = &plan.conflicts[0]
        else {
            unreachable!()
        };
        assert_eq!(&source.text[*start..*end], "\"../../etc/passwd\"");
        let staged: Vec<&str> = plan
            .changes
            .iter()
            .filter(|c| c.staged.is_some())
            .map(|c| c.path.as_str())
            .collect();
        assert_eq!(staged, ["a.yaml"]);
        assert!(
            plan.manifest
                .files
                .keys()
                .all(|p| crate::write::guard::refusal(p).is_none())
        );
        plan.discard();
    }

    #[test]
    fn pending_hashes_are_paved_s_after_a_run_that_stopped() {
        let (_dir, output) = output();
        let out = output.dir();
        // A run stopped after putting `a` (new bytes) and `b` (a new file) in place.
        fs::write(out.join("a.yaml"), "new").unwrap();
        fs::write(out.join("b.yaml"), "created").unwrap();
        let mut manifest = Manifest::of(&tree(&[("a.yaml", "old")]));
        manifest.pending = Manifest::of(&tree(&[("a.yaml", "new"), ("b.yaml", "created")])).files;
        fs::create_dir_all(out.join(".paved")).unwrap();
        fs::write(out.join(MANIFEST), manifest.to_bytes()).unwrap();
        // Another change since: neither file looks edited or foreign, and `b`, no
        // longer generated, is deleted.
        let plan = plan(&output, &tree(&[("a.yaml", "newer")]), &|_| true, false).unwrap();
        assert!(plan.conflicts.is_empty(), "{:?}", plan.conflicts);
        let actions: Vec<(&str, Action)> = plan
            .changes
            .iter()
            .map(|c| (c.path.as_str(), c.action))
            .collect();
        assert_eq!(
            actions,
            [("a.yaml", Action::Update), ("b.yaml", Action::Delete)]
        );
        assert!(plan.manifest.pending.is_empty());
    }

    #[test]
    fn the_interim_manifest_lists_both_sides_of_every_change() {
        let (_dir, output) = output();
        let out = output.dir();
        let before = tree(&[("a.yaml", "1"), ("gone.yaml", "3"), ("same.yaml", "4")]);
        written_by_paved(out, &before);
        let desired = tree(&[("a.yaml", "2"), ("new.yaml", "5"), ("same.yaml", "4")]);
        let plan = plan(&output, &desired, &|_| true, false).unwrap();
        let interim = plan.interim();
        let hash = |s: &str| sha256_hex(s.as_bytes());
        let files: Vec<(&str, String)> = interim
            .files
            .iter()
            .map(|(p, h)| (p.as_str(), h.clone()))
            .collect();
        assert_eq!(
            files,
            [
                ("a.yaml", hash("1")),
                ("gone.yaml", hash("3")),
                ("same.yaml", hash("4"))
            ]
        );
        let pending: Vec<(&str, String)> = interim
            .pending
            .iter()
            .map(|(p, h)| (p.as_str(), h.clone()))
            .collect();
        assert_eq!(pending, [("a.yaml", hash("2")), ("new.yaml", hash("5"))]);
        assert!(plan.manifest.pending.is_empty());
    }

    #[test]
    fn out_of_scope_files_keep_their_entries() {
        let (_dir, output) = output();
        let out = output.dir();
        let before = tree(&[("dev/a.yaml", "1"), ("prod/a.yaml", "2")]);
        for (p, c) in &before {
            fs::create_dir_all(out.join(p).parent().unwrap()).unwrap();
            fs::write(out.join(p), c).unwrap();
        }
        write_manifest(out, &before);
        let desired = tree(&[("dev/a.yaml", "1")]);
        let plan = plan(&output, &desired, &|p| p.starts_with("dev/"), false).unwrap();
        assert!(plan.changes.is_empty());
        assert!(plan.manifest.files.contains_key("prod/a.yaml"));
    }
}
