//! Reading a revision of the monorepo straight from git objects: no checkout, no
//! temporary work tree on disk.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::load::repo::{Entry, Snapshot};

/// The git repository holding `root`, its work tree, and `root` relative to it
/// (`/`-separated; empty at the top).
fn open(root: &Path) -> Result<(gix::Repository, PathBuf, String), String> {
    let repository = gix::discover(root)
        .map_err(|e| format!("{} is not in a git repository: {e}", root.display()))?;
    let workdir = repository
        .workdir()
        .ok_or_else(|| String::from("the git repository has no work tree"))?
        .canonicalize()
        .map_err(|e| e.to_string())?;
    let root = root
        .canonicalize()
        .map_err(|e| format!("{}: {e}", root.display()))?;
    let prefix = crate::load::discover::relative_path(&workdir, &root);
    Ok((repository, workdir, prefix))
}

/// A file of a tree: its path, kind and object.
type TreeEntry = (String, gix::object::tree::EntryKind, gix::ObjectId);

/// The entries below the folder `path` of `tree` (the whole tree when empty), with
/// paths relative to that folder, leaving out the folder `skip` (relative too): the
/// output folder, whose many generated files are rendered, never read; nothing when
/// empty. `None` when there is no such folder.
fn entries_except(
    tree: &gix::Tree<'_>,
    path: &str,
    skip: &str,
) -> Result<Option<Vec<TreeEntry>>, String> {
    let start = if path.is_empty() {
        tree.id
    } else {
        match tree.lookup_entry_by_path(path).map_err(|e| e.to_string())? {
            Some(entry) if entry.mode().is_tree() => entry.object_id(),
            _ => return Ok(None),
        }
    };
    let mut out = Vec::new();
    let mut stack = vec![(start, String::new())];
    while let Some((id, base)) = stack.pop() {
        let object = tree.repo.find_object(id).map_err(|e| e.to_string())?;
        let folder = object.try_into_tree().map_err(|e| e.to_string())?;
        for entry in folder.iter() {
            let entry = entry.map_err(|e| e.to_string())?;
            let name = entry.filename().to_string();
            let path = if base.is_empty() {
                name
            } else {
                format!("{base}/{name}")
            };
            let kind = entry.mode().kind();
            if kind == gix::object::tree::EntryKind::Tree {
                if path != skip {
                    stack.push((entry.oid().to_owned(), path));
                }
            } else {
                out.push((path, kind, entry.oid().to_owned()));
            }
        }
    }
    Ok(Some(out))
}

/// `revision` of `repository` peeled to its tree; a revision the clone lacks gets an
/// error that names the fetch to run.
fn tree_of<'r>(repository: &'r gix::Repository, revision: &str) -> Result<gix::Tree<'r>, String> {
    let id = repository.rev_parse_single(revision).map_err(|e| {
        let shallow = if repository.is_shallow().unwrap_or(false) {
            "; this clone is shallow: fetch the base, for example with `git fetch --deepen=50 origin` or `actions/checkout` with `fetch-depth: 0`"
        } else {
            "; fetch it first, for example `git fetch origin main`"
        };
        format!("the revision `{revision}` is not in this clone ({e}){shallow}")
    })?;
    id.object()
        .and_then(|object| object.peel_to_tree())
        .map_err(|e| format!("`{revision}` does not name a commit or tree: {e}"))
}

/// The files under `root` at a revision, by blob id, to compare with the work tree
/// without reading the blobs that did not change.
pub(crate) struct Revision {
    repository: gix::Repository,
    pub blobs: Blobs,
}

/// Regular files by path relative to `root` (links and submodules are left out), with
/// the hash their ids are made with.
pub(crate) struct Blobs {
    pub ids: BTreeMap<String, gix::ObjectId>,
    hash: gix::hash::Kind,
}

impl Blobs {
    /// Whether `bytes` are exactly the revision's file at `path`.
    pub(crate) fn holds(&self, path: &str, bytes: &[u8]) -> bool {
        let Some(id) = self.ids.get(path) else {
            return false;
        };
        gix::objs::compute_hash(self.hash, gix::object::Kind::Blob, bytes)
            .is_ok_and(|computed| computed == *id)
    }
}

impl Revision {
    /// The revision's files, but those of the folder `skip` (the output folder).
    pub(crate) fn open(root: &Path, revision: &str, skip: &str) -> Result<Self, String> {
        let (repository, _, prefix) = open(root)?;
        let tree = tree_of(&repository, revision)?;
        let entries = entries_except(&tree, &prefix, skip.trim_end_matches('/'))
            .map_err(|e| format!("cannot read the tree of `{revision}`: {e}"))?
            .unwrap_or_default();
        let ids = entries
            .into_iter()
            .filter(|(_, kind, _)| {
                matches!(
                    kind,
                    gix::object::tree::EntryKind::Blob
                        | gix::object::tree::EntryKind::BlobExecutable
                )
            })
            .map(|(path, _, id)| (path, id))
            .collect();
        drop(tree);
        let hash = repository.object_hash();
        Ok(Self {
            repository,
            blobs: Blobs { ids, hash },
        })
    }

    /// The bytes of the file at `path`, if the revision has it.
    pub(crate) fn read(&self, path: &str) -> Option<Vec<u8>> {
        let id = self.blobs.ids.get(path)?;
        let object = self.repository.find_object(*id).ok()?;
        Some(object.detach().data)
    }
}

/// The files under `root` as they are at `revision` of the git repository holding
/// `root`, for the loaders to read: paved.yaml, the platform's folder, ignore files
/// and YAML files outside the output folder. Other files are not read, nor are the
/// regular files `unread` names (the caller knows them already).
pub(crate) fn snapshot(
    root: &Path,
    revision: &str,
    unread: &(dyn Fn(&str) -> bool + Sync),
) -> Result<Snapshot, String> {
    let (repository, _, prefix) = open(root)?;
    let tree = tree_of(&repository, revision)?;
    let read = |oid| {
        repository
            .find_object(oid)
            .map(|object| object.detach().data)
            .map_err(|e| format!("cannot read {oid} of `{revision}`: {e}"))
    };
    // paved.yaml first: it names the output folder, whose generated files are
    // rendered, not read, and so not even listed.
    let config_path = if prefix.is_empty() {
        crate::load::config::FILE_NAME.to_string()
    } else {
        format!("{prefix}/{}", crate::load::config::FILE_NAME)
    };
    let mut config = Snapshot::default();
    if let Some(entry) = tree
        .lookup_entry_by_path(&config_path)
        .map_err(|e| format!("cannot read the tree of `{revision}`: {e}"))?
        .filter(|e| e.mode().is_blob())
    {
        config.files.insert(
            crate::load::config::FILE_NAME.to_string(),
            Entry::File(read(entry.object_id())?),
        );
    }
    let output = crate::load::config::load(
        &crate::load::repo::Repo::Snapshot(config),
        &crate::load::schema::Schemas::new()?,
    )
    .map(|loaded| loaded.config.output.trim_end_matches('/').to_string())
    .unwrap_or_default();
    let Some(entries) = entries_except(&tree, &prefix, &output)
        .map_err(|e| format!("cannot read the tree of `{revision}`: {e}"))?
    else {
        // The folder did not exist at that revision: an empty monorepo.
        return Ok(Snapshot::default());
    };
    let wanted = |path: &str| {
        let name = path.rsplit('/').next().unwrap_or(path);
        path == crate::load::config::FILE_NAME
            || path.starts_with(&format!("{}/", crate::load::platform::DIR))
            || crate::load::discover::IGNORE_FILES.contains(&name)
            || path.ends_with(".yaml")
            || path.ends_with(".yml")
    };
    let mut snapshot = Snapshot::default();
    for (path, kind, id) in entries {
        if !wanted(&path) {
            continue;
        }
        match kind {
            gix::object::tree::EntryKind::Blob | gix::object::tree::EntryKind::BlobExecutable => {
                let entry = if unread(&path) {
                    Entry::Unread
                } else {
                    Entry::File(read(id)?)
                };
                snapshot.files.insert(path, entry);
            }
            gix::object::tree::EntryKind::Link => {
                let target = String::from_utf8_lossy(&read(id)?).into_owned();
                snapshot.files.insert(path, Entry::Link(target));
            }
            gix::object::tree::EntryKind::Tree | gix::object::tree::EntryKind::Commit => {}
        }
    }
    Ok(snapshot)
}

/// Who commits generated output when `--author` is not given and git has no identity.
const DEFAULT_AUTHOR: (&str, &str) = ("paved", "paved@users.noreply.github.com");

/// Commit exactly the output folder as it is on disk, on the current branch: its files
/// are written as blobs, HEAD's tree is edited under the folder only, and the index
/// entries of the folder are updated to match, so that `git status` stays clean.
/// Returns the new commit's id, or `None` when the folder already matches HEAD.
pub(crate) fn commit_output(
    root: &Path,
    output: &str,
    message: Option<&str>,
    author: Option<(&str, &str)>,
) -> Result<Option<String>, String> {
    let (repository, workdir, prefix) = open(root)?;
    let folder = if prefix.is_empty() {
        output.trim_end_matches('/').to_string()
    } else {
        format!("{prefix}/{}", output.trim_end_matches('/'))
    };
    let head = repository.head().map_err(|e| e.to_string())?;
    if head.is_detached() {
        return Err(String::from(
            "HEAD is detached: check out the branch to commit to (for example `git checkout main`)",
        ));
    }
    let parent = repository
        .head_commit()
        .map_err(|e| format!("the branch has no commit to build on: {e}"))?;
    let base_tree = parent.tree_id().map_err(|e| e.to_string())?.detach();
    // `[paved]` lets CI skip the run this commit triggers (see docs/github-action.md).
    let message = message.map_or_else(
        || {
            format!(
                "[paved] render {output} for {}",
                parent.id().to_hex_with_len(12)
            )
        },
        str::to_string,
    );
    // What HEAD holds under the folder.
    let mut before: BTreeMap<String, gix::ObjectId> = BTreeMap::new();
    let tree = parent.tree().map_err(|e| e.to_string())?;
    for (path, _, id) in entries_except(&tree, &folder, "")?.unwrap_or_default() {
        before.insert(format!("{folder}/{path}"), id);
    }
    // What is on disk under it.
    let mut after: BTreeMap<String, (gix::ObjectId, std::path::PathBuf)> = BTreeMap::new();
    let listed = crate::load::repo::Repo::work_tree(&workdir).list(&folder);
    for file in listed.into_iter().filter(|f| f.regular) {
        let path = workdir.join(&file.relative);
        let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let id = repository
            .write_blob(&bytes)
            .map_err(|e| e.to_string())?
            .detach();
        after.insert(file.relative, (id, path));
    }
    let mut editor = repository.edit_tree(base_tree).map_err(|e| e.to_string())?;
    for path in before.keys().filter(|p| !after.contains_key(*p)) {
        editor.remove(path.as_str()).map_err(|e| e.to_string())?;
    }
    for (path, (id, _)) in &after {
        if before.get(path) != Some(id) {
            editor
                .upsert(path.as_str(), gix::object::tree::EntryKind::Blob, *id)
                .map_err(|e| e.to_string())?;
        }
    }
    let new_tree = editor.write().map_err(|e| e.to_string())?.detach();
    if new_tree == base_tree {
        return Ok(None);
    }
    let configured = repository
        .committer()
        .and_then(Result::ok)
        .map(|s| (s.name.to_string(), s.email.to_string()));
    let (name, email) = match (author, configured) {
        (Some((name, email)), _) => (name.to_string(), email.to_string()),
        (None, Some(identity)) => identity,
        (None, None) => (DEFAULT_AUTHOR.0.to_string(), DEFAULT_AUTHOR.1.to_string()),
    };
    let signature = gix::actor::Signature {
        name: name.into(),
        email: email.into(),
        time: gix::date::Time::now_local_or_utc(),
    };
    let mut time = gix::date::parse::TimeBuf::default();
    let id = repository
        .commit_as(
            signature.to_ref(&mut time),
            signature.to_ref(&mut gix::date::parse::TimeBuf::default()),
            "HEAD",
            &message,
            new_tree,
            [parent.id],
        )
        .map_err(|e| format!("cannot commit: {e}"))?
        .detach();
    update_index(&repository, &folder, &after)?;
    Ok(Some(id.to_string()))
}

/// Make the index entries under `folder` match what was committed: they are removed,
/// then pushed again and sorted once, since pushing breaks the order lookups rely on.
fn update_index(
    repository: &gix::Repository,
    folder: &str,
    after: &BTreeMap<String, (gix::ObjectId, std::path::PathBuf)>,
) -> Result<(), String> {
    use gix::index::entry::{Flags, Mode, Stat};
    let mut index = repository.open_index().map_err(|e| e.to_string())?;
    let prefix = format!("{folder}/");
    index.remove_entries(|_, path, _| path.starts_with(prefix.as_bytes()));
    for (path, (id, file)) in after {
        let metadata = gix::index::fs::Metadata::from_path_no_follow(file)
            .map_err(|e| format!("{}: {e}", file.display()))?;
        let stat = Stat::from_fs(&metadata).unwrap_or_default();
        index.dangerously_push_entry(stat, *id, Flags::empty(), Mode::FILE, path.as_str().into());
    }
    index.sort_entries();
    // The tree cache no longer describes the folder.
    index.remove_tree();
    index
        .write(gix::index::write::Options::default())
        .map_err(|e| format!("cannot write the index: {e}"))
}
