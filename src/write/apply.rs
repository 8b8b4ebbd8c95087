//! Applying a plan to the output folder, and showing it as a diff.

use std::collections::{BTreeSet, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::write::guard::OutputDir;
use crate::write::plan::{Action, MANIFEST, Manifest, Plan, STAGING};

/// Apply a plan made by a staging [`crate::write::plan::Planner`], in an order that keeps the
/// manifest true whenever the run stops (see "How paved writes" in the README):
///
/// 1. the interim manifest, listing for every path the plan touches both what it holds
///    now and what it will hold;
/// 2. the new files, written to the staging folder already, renamed into place, each
///    at once;
/// 3. deletions, and the folders they leave empty;
/// 4. the final manifest;
/// 5. the emptied staging folder.
///
/// Every path goes through the output folder's guard on the way.
pub(crate) fn apply(out: &OutputDir, plan: &Plan) -> std::io::Result<()> {
    let mut checked = HashSet::new();
    let staged: Vec<(&PathBuf, &str)> = plan
        .changes
        .iter()
        .filter_map(|c| c.staged.as_ref().map(|s| (s, c.path.as_str())))
        .collect();
    if !staged.is_empty() {
        write_manifest(out, &plan.interim())?;
    }
    let mut made = HashSet::new();
    for (from, path) in staged.iter().copied() {
        let target = out.target(path, &mut checked)?;
        if let Some(parent) = target.parent()
            && made.insert(parent.to_path_buf())
        {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::rename(from, target)?;
    }
    let deleted: Vec<&str> = plan
        .changes
        .iter()
        .filter(|c| c.action == Action::Delete)
        .map(|c| c.path.as_str())
        .collect();
    for path in deleted.iter().copied() {
        match std::fs::remove_file(out.target(path, &mut checked)?) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    remove_empty_folders(
        out,
        deleted
            .into_iter()
            .chain(plan.vanished.iter().map(String::as_str)),
        &mut checked,
    )?;
    if !staged.is_empty() || plan.manifest_changed {
        write_manifest(out, &plan.manifest)?;
    }
    if let Some(staging) = &plan.staging {
        std::fs::remove_dir_all(staging)?;
    }
    plan.remove_created();
    Ok(())
}

/// Remove the folders of `paths` (relative to the output folder) that are empty,
/// deepest first; never the output folder itself.
fn remove_empty_folders<'p>(
    out: &OutputDir,
    paths: impl Iterator<Item = &'p str>,
    checked: &mut HashSet<PathBuf>,
) -> std::io::Result<()> {
    let mut folders = BTreeSet::new();
    for path in paths {
        let mut current = path;
        while let Some((parent, _)) = current.rsplit_once('/') {
            folders.insert(parent);
            current = parent;
        }
    }
    // Reverse order visits a folder's subfolders before it.
    for folder in folders.into_iter().rev() {
        // Fails when the folder is not empty, or gone already.
        if std::fs::remove_dir(out.target(folder, checked)?).is_ok() {
            checked.remove(Path::new(folder));
        }
    }
    Ok(())
}

/// Write the manifest: whole or not at all, and on the disk before it replaces the old
/// one, so that even after a power loss it is never cut short.
fn write_manifest(out: &OutputDir, manifest: &Manifest) -> std::io::Result<()> {
    let target = out.kept(MANIFEST);
    let temporary = stage(&target, &manifest.to_bytes(), true)?;
    std::fs::rename(temporary, target)
}

/// Remove what a run that was stopped left in `.paved/`: the staging folder and a
/// manifest not yet renamed into place. Only for the run that holds the lock.
pub(crate) fn clear_leftovers(out: &OutputDir) -> std::io::Result<()> {
    match std::fs::remove_dir_all(out.kept(STAGING)) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    match std::fs::remove_file(temporary(&out.kept(MANIFEST))) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Write every file in full to a temporary file beside its destination, then, when all
/// are written, rename them into place in order: a failure while writing leaves every
/// destination as it was, and a reader never sees a half-written file.
pub(crate) fn write_all(files: &[(PathBuf, &[u8])]) -> std::io::Result<()> {
    let mut staged: Vec<(PathBuf, &PathBuf)> = Vec::new();
    for (target, bytes) in files {
        match stage(target, bytes, false) {
            Ok(temporary) => staged.push((temporary, target)),
            Err(e) => {
                for (temporary, _) in &staged {
                    let _ = std::fs::remove_file(temporary);
                }
                return Err(e);
            }
        }
    }
    for (temporary, target) in &staged {
        std::fs::rename(temporary, target)?;
    }
    Ok(())
}

/// The hidden file beside `target` that its new bytes are written to first.
fn temporary(target: &Path) -> PathBuf {
    let parent = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    parent.join(format!(".{name}.paved-tmp"))
}

/// Write `bytes` in full to the temporary file of `target` (and to the disk, if `sync`),
/// and return its path.
fn stage(target: &Path, bytes: &[u8], sync: bool) -> std::io::Result<PathBuf> {
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let temporary = temporary(target);
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    if sync {
        file.sync_all()?;
    }
    Ok(temporary)
}

/// The plan as a unified diff, paths prefixed with the output folder's name.
pub(crate) fn diff(prefix: &str, plan: &Plan) -> String {
    plan.changes
        .iter()
        .map(|change| {
            unified(
                &format!("{prefix}/{}", change.path),
                change.old.as_deref(),
                change.new.as_deref(),
            )
        })
        .collect()
}

/// The unified diff of one file (`None`: absent on that side), with secret values
/// masked: diffs end up in CI logs, whoever put the secrets there.
pub(crate) fn unified(path: &str, old: Option<&[u8]>, new: Option<&[u8]>) -> String {
    let side = |bytes: Option<&[u8]>, prefix: &str| match bytes {
        Some(_) => format!("{prefix}/{path}"),
        None => String::from("/dev/null"),
    };
    let (from, to) = (side(old, "a"), side(new, "b"));
    let text =
        |bytes: Option<&[u8]>| String::from_utf8_lossy(bytes.unwrap_or_default()).into_owned();
    let (old, new) = (text(old), text(new));
    let (old, new) = (crate::diag::mask::mask(&old), crate::diag::mask::mask(&new));
    if old == new {
        return format!(
            "--- {from}\n+++ {to}\n  (only secret values changed; they are not shown)\n"
        );
    }
    similar::TextDiff::from_lines(old.as_ref(), new.as_ref())
        .unified_diff()
        .context_radius(3)
        .header(&from, &to)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::write::plan;
    use std::collections::BTreeMap;
    use std::fs;

    /// An output folder `generated` in a new temporary folder.
    fn output() -> (tempfile::TempDir, OutputDir) {
        let dir = tempfile::tempdir().unwrap();
        let out = OutputDir::new(dir.path(), "generated");
        fs::create_dir(out.dir()).unwrap();
        (dir, out)
    }

    /// The whole desired tree as one part, staged or kept for a diff.
    fn planned(out: &OutputDir, desired: &BTreeMap<String, Vec<u8>>, stage: bool) -> Plan {
        let planner = plan::Planner::new(out, false, stage).unwrap();
        let part = planner.part(desired).unwrap();
        planner.finish(vec![part], &|_| true).unwrap()
    }

    #[test]
    fn applying_twice_changes_nothing_and_deletes_empty_folders() {
        let (_dir, output) = output();
        let out = output.dir();
        let mut desired: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        desired.insert("a/b/c.yaml".into(), b"1\n".to_vec());
        desired.insert("d.yaml".into(), b"2\n".to_vec());
        let first = planned(&output, &desired, true);
        apply(&output, &first).unwrap();
        assert_eq!(fs::read(out.join("a/b/c.yaml")).unwrap(), b"1\n");
        let second = planned(&output, &desired, true);
        assert!(second.is_empty());
        desired.remove("a/b/c.yaml");
        let third = planned(&output, &desired, true);
        apply(&output, &third).unwrap();
        assert!(!out.join("a").exists());
        assert!(out.join("d.yaml").exists());
        let leftovers: Vec<_> = walk(out)
            .into_iter()
            .filter(|p| p.contains("paved-tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[test]
    fn a_plan_with_a_refused_path_writes_and_deletes_nothing_outside() {
        let (dir, output) = output();
        fs::write(dir.path().join("canary"), "keep").unwrap();
        let staging = output.kept(STAGING);
        fs::create_dir_all(&staging).unwrap();
        fs::write(staging.join("0"), "evil").unwrap();
        for (action, path) in [(Action::Create, "../canary"), (Action::Delete, "../canary")] {
            let plan = Plan {
                changes: vec![plan::Change {
                    path: path.to_string(),
                    action,
                    old: None,
                    old_hash: None,
                    new: None,
                    staged: (action == Action::Create).then(|| staging.join("0")),
                }],
                ..Plan::default()
            };
            let error = apply(&output, &plan).unwrap_err();
            assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
            assert_eq!(fs::read(dir.path().join("canary")).unwrap(), b"keep");
        }
    }

    #[test]
    fn leftovers_of_a_stopped_run_are_cleared() {
        let (_dir, output) = output();
        let staging = output.kept(STAGING);
        fs::create_dir_all(&staging).unwrap();
        fs::write(staging.join("7"), "half").unwrap();
        let temporary = temporary(&output.kept(MANIFEST));
        fs::write(&temporary, "{\"version\":").unwrap();
        clear_leftovers(&output).unwrap();
        assert!(!staging.exists() && !temporary.exists());
        clear_leftovers(&output).unwrap();
    }

    fn walk(dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(walk(&path));
            } else {
                out.push(path.to_string_lossy().into_owned());
            }
        }
        out
    }

    #[test]
    fn diff_shows_each_change() {
        let (_dir, output) = output();
        let out = output.dir();
        fs::write(out.join("x.yaml"), "a: 1\n").unwrap();
        let mut owned = BTreeMap::new();
        owned.insert("x.yaml".to_string(), b"a: 1\n".to_vec());
        fs::create_dir_all(out.join(".paved")).unwrap();
        fs::write(out.join(MANIFEST), plan::Manifest::of(&owned).to_bytes()).unwrap();
        let mut desired = BTreeMap::new();
        desired.insert("x.yaml".to_string(), b"a: 2\n".to_vec());
        let plan = planned(&output, &desired, false);
        let text = diff("generated", &plan);
        assert!(
            text.contains("--- a/generated/x.yaml\n+++ b/generated/x.yaml\n"),
            "{text}"
        );
        assert!(text.contains("-a: 1\n+a: 2\n"), "{text}");
    }

    #[test]
    fn diffs_mask_secret_values() {
        let plan = Plan {
            changes: vec![plan::Change {
                path: String::from("secret.yaml"),
                action: Action::Update,
                old: Some(b"kind: Secret\ndata:\n  password: b2xk\n".to_vec()),
                new: Some(b"kind: Secret\ndata:\n  password: bmV3\n".to_vec()),
                old_hash: None,
                staged: None,
            }],
            ..Plan::default()
        };
        let diff = diff("generated", &plan);
        assert!(diff.contains("a/generated/secret.yaml"), "{diff}");
        assert!(!diff.contains("b2xk") && !diff.contains("bmV3"), "{diff}");
        assert!(diff.contains("only secret values changed"), "{diff}");
    }
}
