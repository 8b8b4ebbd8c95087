//! Finding the YAML files that may hold intents.
//!
//! Every `*.yaml` / `*.yml` file of the repository is a candidate, except what
//! `.gitignore`, `.ignore` or `.pavedignore` exclude, hidden folders, the output
//! folder, paved.yaml, and the platform's extensions in `platform/`.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use ignore::WalkBuilder;
use ignore::gitignore::{Gitignore, GitignoreBuilder};

use crate::load::repo::{Entry, Snapshot};

/// Folders under the repository root that never hold intents: the platform's
/// extensions are read by their own loader.
const NOT_INTENTS: &[&str] = &[crate::load::platform::DIR];

/// A YAML file found in the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Candidate {
    /// A regular file.
    File { relative: String },
    /// A symbolic link whose target lies outside the repository.
    LinkOutside { relative: String },
}

impl Candidate {
    pub fn relative(&self) -> &str {
        match self {
            Candidate::File { relative } | Candidate::LinkOutside { relative } => relative,
        }
    }
}

/// The files whose patterns say what paved leaves alone, from the weakest to the
/// strongest: a later one overrides an earlier one in the same folder.
pub const IGNORE_FILES: [&str; 3] = [".gitignore", ".ignore", ".pavedignore"];

/// All candidate files under `root`, sorted by path.
pub fn candidates(root: &Path, output: &str) -> Result<Vec<Candidate>, ignore::Error> {
    let root_real = root.canonicalize().map_err(ignore::Error::from)?;
    let excluded: Vec<PathBuf> = std::iter::once(output)
        .chain(NOT_INTENTS.iter().copied())
        .map(|dir| root.join(dir))
        .collect();
    // Folders are walked in parallel: a monorepo has thousands of them, each looked
    // up for its ignore files.
    let walker = WalkBuilder::new(root)
        .hidden(true)
        .parents(false)
        .git_global(false)
        .git_ignore(true)
        .git_exclude(true)
        .require_git(false)
        .ignore(true)
        .add_custom_ignore_filename(".pavedignore")
        .follow_links(false)
        .threads(rayon::current_num_threads())
        .filter_entry(move |entry| !excluded.iter().any(|dir| entry.path() == dir))
        .build_parallel();
    let found = Mutex::new(Vec::new());
    let errors = Mutex::new(Vec::new());
    walker.run(|| {
        Box::new(|entry| {
            match entry {
                Ok(entry) => {
                    if let Some(candidate) = candidate(root, &root_real, &entry) {
                        found
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .push(candidate);
                    }
                }
                Err(e) => errors
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(e),
            }
            ignore::WalkState::Continue
        })
    });
    // The same error whichever thread met it first.
    let mut errors = errors.into_inner().unwrap_or_else(PoisonError::into_inner);
    errors.sort_by_key(ToString::to_string);
    if let Some(error) = errors.into_iter().next() {
        return Err(error);
    }
    let mut found = found.into_inner().unwrap_or_else(PoisonError::into_inner);
    found.sort_by(|a, b| a.relative().cmp(b.relative()));
    Ok(found)
}

/// The candidate a walked entry is, if any.
fn candidate(root: &Path, root_real: &Path, entry: &ignore::DirEntry) -> Option<Candidate> {
    let file_type = entry.file_type()?;
    if file_type.is_dir() || !is_yaml(entry.path()) {
        return None;
    }
    let relative = relative_path(root, entry.path());
    if relative == crate::load::config::FILE_NAME {
        return None;
    }
    if file_type.is_symlink() {
        // A link inside the repository is read through its target's own entry.
        let inside = entry
            .path()
            .canonicalize()
            .is_ok_and(|target| target.starts_with(root_real));
        return (!inside).then_some(Candidate::LinkOutside { relative });
    }
    file_type.is_file().then_some(Candidate::File { relative })
}

/// The same selection over a snapshot's files: hidden folders, the output folder,
/// `platform/` and paved.yaml are skipped, and the snapshot's own `.gitignore`,
/// `.ignore` and `.pavedignore` files apply to their folder and below (a deeper file
/// overrides a shallower one; `.pavedignore` overrides the others).
pub fn snapshot_candidates(snapshot: &Snapshot, output: &str) -> Vec<Candidate> {
    let output = format!("{}/", output.trim_end_matches('/'));
    // (folder, precedence of the file's kind, its patterns)
    let mut matchers: Vec<(String, usize, Gitignore)> = Vec::new();
    for (path, entry) in &snapshot.files {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        let Some(precedence) = IGNORE_FILES.iter().position(|file| *file == name) else {
            continue;
        };
        let Entry::File(bytes) = entry else {
            continue;
        };
        let mut builder = GitignoreBuilder::new(Path::new("/").join(dir));
        for line in String::from_utf8_lossy(bytes).lines() {
            // A malformed pattern is skipped, as git does.
            let _ = builder.add_line(None, line);
        }
        if let Ok(matcher) = builder.build() {
            matchers.push((dir.to_string(), precedence, matcher));
        }
    }
    // Applied shallow to deep, and by precedence within a folder: the last match wins.
    let depth = |dir: &str| {
        if dir.is_empty() {
            0
        } else {
            dir.split('/').count()
        }
    };
    matchers.sort_by_key(|(dir, precedence, _)| (depth(dir), *precedence));
    let ignored = |path: &str| {
        let absolute = Path::new("/").join(path);
        let mut ignored = false;
        for (dir, _, matcher) in &matchers {
            if !(dir.is_empty() || path.starts_with(&format!("{dir}/"))) {
                continue;
            }
            match matcher.matched_path_or_any_parents(&absolute, false) {
                ignore::Match::Ignore(_) => ignored = true,
                ignore::Match::Whitelist(_) => ignored = false,
                ignore::Match::None => {}
            }
        }
        ignored
    };
    let mut found = Vec::new();
    for (path, entry) in &snapshot.files {
        let hidden = path.split('/').any(|part| part.starts_with('.'));
        let excluded = path.starts_with(&output)
            || NOT_INTENTS
                .iter()
                .any(|dir| path.starts_with(&format!("{dir}/")))
            || path == crate::load::config::FILE_NAME;
        if hidden || excluded || !is_yaml(Path::new(path)) || ignored(path) {
            continue;
        }
        match entry {
            Entry::File(_) | Entry::Unread => found.push(Candidate::File {
                relative: path.clone(),
            }),
            Entry::Link(target) => {
                // A link inside the repository is read through its target's own entry.
                if link_target(path, target).is_none() {
                    found.push(Candidate::LinkOutside {
                        relative: path.clone(),
                    });
                }
            }
        }
    }
    found
}

/// Where a link at `path` points, relative to the root; `None` when outside it.
fn link_target(path: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = path.split('/').collect();
    parts.pop();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

fn is_yaml(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("yaml" | "yml")
    )
}

/// `services/x/service.yaml`: relative to the root, `/`-separated on every platform.
pub fn relative_path(root: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(root).unwrap_or(path);
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn honours_ignore_files_and_skips_output() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for path in [
            "teams/a.yaml",
            "services/x/service.yml",
            "services/x/notes.txt",
            "generated/kubernetes/x.yaml",
            "vendor/lib.yaml",
            ".github/workflows/ci.yaml",
            "platform/templates/deployment.yaml",
            "build/out.yaml",
        ] {
            let path = root.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, "a: 1\n").unwrap();
        }
        fs::write(root.join(".gitignore"), "/vendor/\n").unwrap();
        fs::write(root.join(".pavedignore"), "build/\n").unwrap();
        let found: Vec<String> = candidates(root, "generated")
            .unwrap()
            .iter()
            .map(|c| c.relative().to_string())
            .collect();
        assert_eq!(found, ["services/x/service.yml", "teams/a.yaml"]);
    }

    #[cfg(unix)]
    #[test]
    fn links_outside_the_repository_are_flagged() {
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret.yaml"), "a: 1\n").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("real.yaml"), "a: 1\n").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.yaml"), root.join("out.yaml"))
            .unwrap();
        std::os::unix::fs::symlink(root.join("real.yaml"), root.join("in.yaml")).unwrap();
        let found = candidates(root, "generated").unwrap();
        assert_eq!(found.len(), 2);
        assert_eq!(
            found[0],
            Candidate::LinkOutside {
                relative: "out.yaml".into()
            }
        );
        assert_eq!(found[1].relative(), "real.yaml");
    }
}
