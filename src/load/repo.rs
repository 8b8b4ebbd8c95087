//! Where a run reads the monorepo from: the work tree on disk, or a snapshot of files
//! held in memory (a commit's tree, read from git objects without a checkout).
//!
//! Every loader reads through [`Repo`], so checking and rendering a snapshot is the
//! same code as checking and rendering the work tree.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use crate::diag::codes::Code;
use crate::diag::finding::Finding;
use crate::load::discover::{self, Candidate};
use crate::syntax::source::SourceFile;

/// A monorepo to read.
#[derive(Debug, Clone)]
pub enum Repo {
    /// The folder on disk.
    WorkTree(PathBuf),
    /// Files in memory, by `/`-separated path relative to the root.
    Snapshot(Snapshot),
}

/// A file of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    File(Vec<u8>),
    /// A regular file whose bytes were left unread: whoever made the snapshot knows
    /// what checking it gives.
    Unread,
    /// A symbolic link, with its target.
    Link(String),
}

/// The files of a tree, without a folder on disk.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub files: BTreeMap<String, Entry>,
}

/// A file under a folder of the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// Relative to the repository root, `/`-separated.
    pub relative: String,
    /// Whether it is a regular file (not a link or another kind of entry).
    pub regular: bool,
}

impl Repo {
    pub fn work_tree(root: impl Into<PathBuf>) -> Self {
        Repo::WorkTree(root.into())
    }

    /// How the repository is named in messages.
    pub fn display(&self) -> String {
        match self {
            Repo::WorkTree(root) => root.display().to_string(),
            Repo::Snapshot(_) => String::from("the snapshot"),
        }
    }

    /// A file's bytes; `NotFound` when there is no such regular file.
    pub fn read(&self, relative: &str) -> io::Result<Vec<u8>> {
        match self {
            Repo::WorkTree(root) => std::fs::read(root.join(relative)),
            Repo::Snapshot(snapshot) => match snapshot.files.get(relative) {
                Some(Entry::File(bytes)) => Ok(bytes.clone()),
                Some(Entry::Unread) => Err(io::Error::other(format!(
                    "{relative} was not read from git"
                ))),
                _ => Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    relative.to_string(),
                )),
            },
        }
    }

    /// A file read as UTF-8 text, or the finding that says why it cannot be: among
    /// others, that it is over `limit` bytes (`limits.maxFileBytes`).
    pub fn read_text(&self, relative: &str, limit: u64) -> Result<Arc<SourceFile>, Box<Finding>> {
        let problem = |code, message: String| {
            let file = Arc::new(SourceFile::new(relative, ""));
            Box::new(Finding::new(code, &file, file.start(), message))
        };
        match self.read_bounded(relative, limit, 0) {
            Ok(Ok(bytes)) => match String::from_utf8(bytes) {
                Ok(text) => Ok(Arc::new(SourceFile::new(relative, text))),
                Err(_) => Err(problem(
                    Code::FileNotUtf8,
                    String::from("file is not valid UTF-8"),
                )),
            },
            Ok(Err(_)) => Err(problem(
                Code::FileTooLarge,
                format!(
                    "file is larger than the {limit}-byte limit (`limits.maxFileBytes`); it was not read"
                ),
            )),
            Err(e) => Err(problem(
                Code::FileUnreadable,
                format!("cannot read the file: {e}"),
            )),
        }
    }

    /// A file's bytes, or, when it is over `limit`, its first `head` bytes; never reads
    /// more than `limit + 1` bytes from disk.
    pub fn read_bounded(
        &self,
        relative: &str,
        limit: u64,
        head: usize,
    ) -> io::Result<Result<Vec<u8>, Vec<u8>>> {
        let mut bytes = match self {
            Repo::WorkTree(root) => {
                use std::io::Read as _;
                let file = std::fs::File::open(root.join(relative))?;
                let mut bytes = Vec::new();
                file.take(limit + 1).read_to_end(&mut bytes)?;
                bytes
            }
            Repo::Snapshot(_) => self.read(relative)?,
        };
        if bytes.len() as u64 <= limit {
            return Ok(Ok(bytes));
        }
        bytes.truncate(head);
        Ok(Err(bytes))
    }

    /// Everything under the folder `dir` (relative), sorted by path; empty when the
    /// folder does not exist. Links are listed, not followed.
    pub fn list(&self, dir: &str) -> Vec<Listed> {
        let mut out = Vec::new();
        match self {
            Repo::WorkTree(root) => {
                let mut stack = vec![root.join(dir)];
                while let Some(current) = stack.pop() {
                    let Ok(entries) = std::fs::read_dir(&current) else {
                        continue;
                    };
                    for entry in entries.flatten() {
                        let path = entry.path();
                        let Ok(kind) = entry.file_type() else {
                            continue;
                        };
                        if kind.is_dir() {
                            stack.push(path);
                            continue;
                        }
                        out.push(Listed {
                            relative: discover::relative_path(root, &path),
                            regular: kind.is_file(),
                        });
                    }
                }
            }
            Repo::Snapshot(snapshot) => {
                let prefix = format!("{}/", dir.trim_end_matches('/'));
                out.extend(
                    snapshot
                        .files
                        .range(prefix.clone()..)
                        .take_while(|(path, _)| path.starts_with(&prefix))
                        .map(|(path, entry)| Listed {
                            relative: path.clone(),
                            regular: matches!(entry, Entry::File(_) | Entry::Unread),
                        }),
                );
            }
        }
        out.sort_by(|a, b| a.relative.cmp(&b.relative));
        out
    }

    /// The YAML files that may hold intents, sorted by path (see [`discover`]).
    pub fn candidates(&self, output: &str) -> Result<Vec<Candidate>, String> {
        match self {
            Repo::WorkTree(root) => {
                discover::candidates(root, output).map_err(|e| format!("cannot walk it: {e}"))
            }
            Repo::Snapshot(snapshot) => Ok(discover::snapshot_candidates(snapshot, output)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_candidates_honour_ignore_files_hidden_folders_and_links() {
        let mut snapshot = Snapshot::default();
        for path in [
            "teams/a.yaml",
            "services/x/service.yml",
            "services/x/notes.txt",
            "generated/kubernetes/x.yaml",
            "vendor/lib.yaml",
            "vendor/keep.yaml",
            ".github/workflows/ci.yaml",
            "platform/templates/deployment.yaml",
            "build/out.yaml",
            "paved.yaml",
        ] {
            snapshot
                .files
                .insert(path.into(), Entry::File(b"a: 1\n".to_vec()));
        }
        snapshot
            .files
            .insert(".gitignore".into(), Entry::File(b"/vendor/*\n".to_vec()));
        snapshot.files.insert(
            "vendor/.ignore".into(),
            Entry::File(b"!keep.yaml\n".to_vec()),
        );
        snapshot
            .files
            .insert(".pavedignore".into(), Entry::File(b"build/\n".to_vec()));
        snapshot
            .files
            .insert("in.yaml".into(), Entry::Link("teams/a.yaml".into()));
        snapshot.files.insert(
            "teams/out.yaml".into(),
            Entry::Link("../../elsewhere.yaml".into()),
        );
        snapshot
            .files
            .insert("abs.yaml".into(), Entry::Link("/etc/passwd".into()));
        let found: Vec<Candidate> = Repo::Snapshot(snapshot).candidates("generated").unwrap();
        let names: Vec<&str> = found.iter().map(Candidate::relative).collect();
        assert_eq!(
            names,
            [
                "abs.yaml",
                "services/x/service.yml",
                "teams/a.yaml",
                "teams/out.yaml",
                "vendor/keep.yaml"
            ]
        );
        assert!(matches!(found[0], Candidate::LinkOutside { .. }));
        assert!(matches!(found[3], Candidate::LinkOutside { .. }));
    }

    #[test]
    fn reading_a_snapshot() {
        let mut snapshot = Snapshot::default();
        snapshot.files.insert(
            "platform/policies/a.rego".into(),
            Entry::File(b"x".to_vec()),
        );
        snapshot.files.insert(
            "platform/policies/b.rego".into(),
            Entry::Link("a.rego".into()),
        );
        snapshot
            .files
            .insert("platformx/c".into(), Entry::File(b"big file".to_vec()));
        let repo = Repo::Snapshot(snapshot);
        let listed = repo.list("platform");
        assert_eq!(listed.len(), 2);
        assert!(listed[0].regular && !listed[1].regular);
        assert_eq!(repo.read("platform/policies/a.rego").unwrap(), b"x");
        assert_eq!(
            repo.read("platform/policies/b.rego").unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        assert_eq!(
            repo.read_bounded("platformx/c", 3, 2).unwrap(),
            Err(b"bi".to_vec())
        );
        assert_eq!(
            repo.read_bounded("platformx/c", 8, 2).unwrap(),
            Ok(b"big file".to_vec())
        );
    }
}
