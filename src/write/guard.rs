//! The output folder's guard: every path paved writes, renames or deletes under the
//! output folder goes through here, so that it lies inside the folder whatever a name,
//! a platform template, a provisioner or a hand-edited manifest says.
//!
//! A path is refused by its text when it is not a plain relative path: empty, absolute,
//! with a `..`, a `.` or an empty name, a backslash or a control character, or inside
//! paved's own `.paved/` folder. On disk, paved never writes, renames or deletes through
//! a symbolic link: neither the output folder, nor a folder between the repository root
//! and it, nor `.paved/`, nor any folder or file below may be one.

use std::collections::HashSet;
use std::io;
use std::path::{Component, Path, PathBuf};

/// paved's own folder in the output folder: the manifest, the staging folder.
pub(crate) const BOOKKEEPING: &str = ".paved";

/// Longer paths are refused: no generated path comes near it, and file systems stop at
/// 4096 bytes.
const MAX_PATH_BYTES: usize = 1024;

/// Why paved may not write or delete `path` (relative to the output folder), judging by
/// its text alone; `None` when it may.
pub(crate) fn refusal(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("the path is empty");
    }
    if path.len() > MAX_PATH_BYTES {
        return Some("the path is longer than 1024 bytes");
    }
    if path.starts_with('/') {
        return Some("the path is absolute");
    }
    if path.contains('\\') {
        return Some("the path holds a backslash, a folder separator on Windows");
    }
    if path.chars().any(char::is_control) {
        return Some("the path holds a control character");
    }
    for name in path.split('/') {
        match name {
            "" => return Some("the path has an empty name (`//` or a `/` at an end)"),
            ".." => return Some("the path climbs out with `..`"),
            "." => return Some("the path has a `.` name"),
            _ => {}
        }
    }
    if path.split('/').next() == Some(BOOKKEEPING) {
        return Some("the path is inside paved's own `.paved` folder");
    }
    // What this system reads as other than plain names (a drive prefix on Windows).
    if !Path::new(path)
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
    {
        return Some("the path is not a plain relative path on this system");
    }
    None
}

/// What is at a path of the output folder.
#[derive(Debug, PartialEq, Eq)]
pub enum Found {
    Missing,
    /// A regular file's bytes; empty for a folder or anything else where a file should
    /// be, which then counts as foreign and is never written over.
    File(Vec<u8>),
    /// A symbolic link at the path or on the way to it (relative to the output folder):
    /// paved never writes or deletes through one.
    Link(String),
}

/// The output folder of a repository.
#[derive(Debug, Clone)]
pub struct OutputDir {
    root: PathBuf,
    /// As paved.yaml names it: relative to the repository root, `/`-separated.
    name: String,
    dir: PathBuf,
}

impl OutputDir {
    /// `name` is paved.yaml's `output`, which the configuration's schema keeps a plain
    /// relative path.
    pub fn new(root: &Path, name: &str) -> Self {
        let name = name.trim_end_matches('/').to_string();
        Self {
            root: root.to_path_buf(),
            dir: root.join(&name),
            name,
        }
    }

    /// The output folder as paved.yaml names it.
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// One of paved's own files or folders under `.paved/` ([`crate::write::plan::MANIFEST`],
    /// [`crate::write::plan::STAGING`]): constants, never input.
    pub fn kept(&self, relative: &'static str) -> PathBuf {
        self.dir.join(relative)
    }

    /// The first symbolic link among the folders from the repository root to the
    /// output folder, the output folder itself, `.paved/` and what paved keeps in it,
    /// relative to the repository root. Any of them makes every write go elsewhere.
    pub fn link_on_the_way(&self) -> io::Result<Option<String>> {
        let is_link = |relative: &str| match std::fs::symlink_metadata(self.root.join(relative)) {
            Ok(meta) => Ok(Some(meta.file_type().is_symlink())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        };
        let mut current = String::new();
        for name in self.name.split('/').chain([BOOKKEEPING]) {
            if !current.is_empty() {
                current.push('/');
            }
            current.push_str(name);
            match is_link(&current)? {
                Some(true) => return Ok(Some(current)),
                Some(false) => {}
                // Nothing there: nothing below can exist either.
                None => return Ok(None),
            }
        }
        // What paved keeps in `.paved/`: the manifest is read as well as written.
        for kept in [crate::write::plan::STAGING, crate::write::plan::MANIFEST] {
            let relative = format!("{}/{kept}", self.name);
            if is_link(&relative)? == Some(true) {
                return Ok(Some(relative));
            }
        }
        Ok(None)
    }

    /// Look at `path` (whose text [`refusal`] accepts): its folders first (each once per
    /// `checked`), then the entry itself, without following links.
    pub fn inspect(&self, path: &str, checked: &mut HashSet<PathBuf>) -> io::Result<Found> {
        if let Some(link) = self.folder_link(path, checked)? {
            return Ok(link);
        }
        let target = self.dir.join(path);
        match std::fs::symlink_metadata(&target) {
            Ok(meta) if meta.file_type().is_symlink() => Ok(Found::Link(path.to_string())),
            Ok(meta) if meta.is_file() => std::fs::read(&target).map(Found::File),
            Ok(_) => Ok(Found::File(Vec::new())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Found::Missing),
            Err(e) => Err(e),
        }
    }

    /// Where to write, rename to or delete `path`: checked again right before, so that
    /// no path reaches the file system unchecked. A refused path is an error here (the
    /// plan reports and leaves out what it refuses, so this is a last line of defence).
    pub fn target(&self, path: &str, checked: &mut HashSet<PathBuf>) -> io::Result<PathBuf> {
        if let Some(reason) = refusal(path) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("refusing to write or delete {path:?}: {reason}"),
            ));
        }
        if let Some(Found::Link(link)) = self.folder_link(path, checked)? {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "refusing to write or delete {path:?}: {}/{link} is a symbolic link",
                    self.name
                ),
            ));
        }
        Ok(self.dir.join(path))
    }

    /// A link among the folders of `path`, as a [`Found::Link`]; `Found::Missing` when a
    /// folder does not exist (nothing below it can); `None` when every folder is real.
    fn folder_link(&self, path: &str, checked: &mut HashSet<PathBuf>) -> io::Result<Option<Found>> {
        let mut current = PathBuf::new();
        let (folders, _) = path.rsplit_once('/').unwrap_or(("", path));
        for name in folders.split('/').filter(|n| !n.is_empty()) {
            current.push(name);
            if checked.contains(&current) {
                continue;
            }
            match std::fs::symlink_metadata(self.dir.join(&current)) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Ok(Some(Found::Link(
                        current.to_string_lossy().replace('\\', "/"),
                    )));
                }
                Ok(_) => {
                    checked.insert(current.clone());
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Ok(Some(Found::Missing));
                }
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_are_accepted() {
        for ok in [
            "a.yaml",
            "kubernetes/dev/core/api/deployment.yaml",
            "CODEOWNERS",
            "..yaml",
            "a/.hidden",
            "a..b/c",
        ] {
            assert_eq!(refusal(ok), None, "{ok}");
        }
        for refused in [
            "",
            "/etc/passwd",
            "../outside",
            "a/../../b",
            "a/..",
            "./a",
            "a/./b",
            "a//b",
            "a/",
            "a\\..\\b",
            "a\nb",
            "a\0b",
            ".paved/manifest.json",
            ".paved",
            &"a".repeat(2000),
        ] {
            assert!(refusal(refused).is_some(), "{refused:?} accepted");
        }
    }

    #[cfg(unix)]
    #[test]
    fn links_on_the_way_to_the_output_folder_are_found() {
        use std::os::unix::fs::symlink;
        let root = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let out = OutputDir::new(root.path(), "build/generated");
        assert_eq!(out.link_on_the_way().unwrap(), None);
        symlink(elsewhere.path(), root.path().join("build")).unwrap();
        assert_eq!(out.link_on_the_way().unwrap().as_deref(), Some("build"));
        std::fs::remove_file(root.path().join("build")).unwrap();
        std::fs::create_dir_all(root.path().join("build/generated")).unwrap();
        symlink(elsewhere.path(), root.path().join("build/generated/.paved")).unwrap();
        assert_eq!(
            out.link_on_the_way().unwrap().as_deref(),
            Some("build/generated/.paved")
        );
        std::fs::remove_file(root.path().join("build/generated/.paved")).unwrap();
        std::fs::create_dir(root.path().join("build/generated/.paved")).unwrap();
        symlink(
            elsewhere.path().join("m.json"),
            root.path().join("build/generated/.paved/manifest.json"),
        )
        .unwrap();
        assert_eq!(
            out.link_on_the_way().unwrap().as_deref(),
            Some("build/generated/.paved/manifest.json")
        );
    }

    #[cfg(unix)]
    #[test]
    fn targets_behind_links_or_with_refused_text_are_errors() {
        let root = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let out = OutputDir::new(root.path(), "generated");
        std::fs::create_dir_all(out.dir()).unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), out.dir().join("kubernetes")).unwrap();
        let mut checked = HashSet::new();
        assert!(out.target("kubernetes/a.yaml", &mut checked).is_err());
        assert!(out.target("../a.yaml", &mut checked).is_err());
        assert_eq!(
            out.target("terraform/a.tf", &mut checked).unwrap(),
            out.dir().join("terraform/a.tf")
        );
        assert_eq!(
            out.inspect("kubernetes/a.yaml", &mut checked).unwrap(),
            Found::Link(String::from("kubernetes"))
        );
    }
}
