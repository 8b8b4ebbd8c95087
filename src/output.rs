//! Applying a plan to the output folder, and showing it as a diff.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::plan::{Action, MANIFEST, Plan};

/// Apply a plan made by a staging [`crate::plan::Planner`]: the new files, written to
/// the staging folder already, are renamed into place, then deletions follow, then the
/// manifest, so that it never lists a file that is not in place.
pub fn apply(output: &Path, plan: &Plan) -> std::io::Result<()> {
    let mut made = std::collections::HashSet::new();
    for change in &plan.changes {
        if let Some(staged) = &change.staged {
            let target = output.join(&change.path);
            if let Some(parent) = target.parent()
                && made.insert(parent.to_path_buf())
            {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::rename(staged, target)?;
        }
    }
    if let Some(staging) = &plan.staging {
        std::fs::remove_dir_all(staging)?;
    }
    let mut emptied = BTreeSet::new();
    for change in plan.changes.iter().filter(|c| c.action == Action::Delete) {
        let target = output.join(&change.path);
        match std::fs::remove_file(&target) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        if let Some(parent) = target.parent() {
            emptied.insert(parent.to_path_buf());
        }
    }
    if plan.manifest_changed {
        write_all(&[(output.join(MANIFEST), &plan.manifest.to_bytes())])?;
    }
    // Folders left empty by deletions go too, deepest first, never the output itself.
    for dir in emptied.into_iter().rev() {
        let mut current = dir.as_path();
        while current.starts_with(output) && current != output {
            if std::fs::remove_dir(current).is_err() {
                break;
            }
            match current.parent() {
                Some(parent) => current = parent,
                None => break,
            }
        }
    }
    Ok(())
}

/// Write every file in full to a temporary file beside its destination, then, when all
/// are written, rename them into place in order: a failure while writing leaves every
/// destination as it was, and a reader never sees a half-written file.
pub fn write_all(files: &[(PathBuf, &[u8])]) -> std::io::Result<()> {
    let mut staged: Vec<(PathBuf, &PathBuf)> = Vec::new();
    for (target, bytes) in files {
        match stage(target, bytes) {
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

/// Write `bytes` in full to a hidden file beside `target`, and return its path.
fn stage(target: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let parent = target.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = parent.join(format!(".{name}.paved-tmp"));
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.flush()?;
    Ok(temporary)
}

/// The plan as a unified diff, paths prefixed with the output folder's name.
pub fn diff(prefix: &str, plan: &Plan) -> String {
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
pub fn unified(path: &str, old: Option<&[u8]>, new: Option<&[u8]>) -> String {
    let side = |bytes: Option<&[u8]>, prefix: &str| match bytes {
        Some(_) => format!("{prefix}/{path}"),
        None => String::from("/dev/null"),
    };
    let (from, to) = (side(old, "a"), side(new, "b"));
    let text =
        |bytes: Option<&[u8]>| String::from_utf8_lossy(bytes.unwrap_or_default()).into_owned();
    let (old, new) = (text(old), text(new));
    let (old, new) = (crate::mask::mask(&old), crate::mask::mask(&new));
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
    use crate::plan;
    use std::collections::BTreeMap;
    use std::fs;

    /// The whole desired tree as one part, staged or kept for a diff.
    fn planned(out: &Path, desired: &BTreeMap<String, Vec<u8>>, stage: bool) -> Plan {
        let planner = plan::Planner::new(out, false, stage);
        let part = planner.part(desired).unwrap();
        planner.finish(vec![part], &|_| true).unwrap()
    }

    #[test]
    fn applying_twice_changes_nothing_and_deletes_empty_folders() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let mut desired: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        desired.insert("a/b/c.yaml".into(), b"1\n".to_vec());
        desired.insert("d.yaml".into(), b"2\n".to_vec());
        let first = planned(out, &desired, true);
        apply(out, &first).unwrap();
        assert_eq!(fs::read(out.join("a/b/c.yaml")).unwrap(), b"1\n");
        let second = planned(out, &desired, true);
        assert!(second.is_empty());
        desired.remove("a/b/c.yaml");
        let third = planned(out, &desired, true);
        apply(out, &third).unwrap();
        assert!(!out.join("a").exists());
        assert!(out.join("d.yaml").exists());
        let leftovers: Vec<_> = walk(out)
            .into_iter()
            .filter(|p| p.contains("paved-tmp"))
            .collect();
        assert!(leftovers.is_empty());
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
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        fs::write(out.join("x.yaml"), "a: 1\n").unwrap();
        let mut owned = BTreeMap::new();
        owned.insert("x.yaml".to_string(), b"a: 1\n".to_vec());
        fs::create_dir_all(out.join(".paved")).unwrap();
        fs::write(out.join(MANIFEST), plan::Manifest::of(&owned).to_bytes()).unwrap();
        let mut desired = BTreeMap::new();
        desired.insert("x.yaml".to_string(), b"a: 2\n".to_vec());
        let plan = planned(out, &desired, false);
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
