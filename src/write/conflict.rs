//! Paths a render must not write or delete, and the findings that say so.

use std::sync::Arc;

use crate::diag::codes::Code;
use crate::diag::finding::Finding;
use crate::syntax::source::{Location, SourceFile};

/// A path paved wants to write or delete but must not, as things stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Conflict {
    /// A generated file changed since paved wrote it.
    Edited { path: String, delete: bool },
    /// A file paved never wrote sits where it wants to write.
    Foreign { path: String },
    /// A symbolic link on the way: paved never writes through one.
    Symlink { path: String },
    /// A symbolic link on the way to the output folder or to paved's own files in it
    /// (relative to the repository root): nothing is looked at or written.
    OutputLink { path: String },
    /// A path that is not plain and relative (see [`crate::write::guard::refusal`]): from the
    /// rendered tree, or listed in the manifest at this byte range.
    Unsafe {
        path: String,
        reason: &'static str,
        listed: Option<(usize, usize)>,
    },
}

impl Conflict {
    /// The finding that reports it, at the file in the output folder `output` (as
    /// paved.yaml names it) or, for a refused manifest entry, in `manifest` as read.
    pub fn finding(&self, output: &str, manifest: Option<&Arc<SourceFile>>) -> Finding {
        let at = |path: &str| {
            let file = Arc::new(SourceFile::new(path, ""));
            Location::new(&file, file.start())
        };
        let (code, location, message) = match self {
            Conflict::Edited { path, delete } => (
                Code::GeneratedFileEdited,
                at(&format!("{output}/{path}")),
                if *delete {
                    String::from(
                        "this generated file was edited by hand and paved no longer generates it; it was not deleted",
                    )
                } else {
                    String::from(
                        "this generated file was edited by hand; paved did not overwrite it",
                    )
                },
            ),
            Conflict::Foreign { path } => (
                Code::GeneratedPathTaken,
                at(&format!("{output}/{path}")),
                String::from("paved needs this path but did not write the file that is there"),
            ),
            Conflict::Symlink { path } => (
                Code::OutputSymlink,
                at(&format!("{output}/{path}")),
                String::from(
                    "a symbolic link inside the output folder; paved does not write through links",
                ),
            ),
            Conflict::OutputLink { path } => (
                Code::OutputSymlink,
                at(path),
                format!(
                    "a symbolic link on the way to the output folder `{output}` or to paved's files in it; nothing was written"
                ),
            ),
            Conflict::Unsafe {
                path,
                reason,
                listed,
            } => match (listed, manifest) {
                (Some((start, end)), Some(file)) => (
                    Code::OutputPathUnsafe,
                    Location::new(file, file.span(*start, *end)),
                    format!(
                        "the manifest lists {path:?}, which is not a path inside the output folder ({reason}); paved will not delete or write it"
                    ),
                ),
                _ => (
                    Code::OutputPathUnsafe,
                    at(output),
                    format!(
                        "paved was to write {path:?}, which is not a path inside the output folder ({reason}); it wrote nothing"
                    ),
                ),
            },
        };
        Finding::at(code, location, message)
    }
}
