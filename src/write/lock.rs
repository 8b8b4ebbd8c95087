//! One writer at a time per repository: a `render` that may write holds an exclusive
//! lock from before it reads the manifest until it has written, recorded its outcome
//! and committed. Another one waits for it (see [`WAIT`]); commands that only read
//! (`check`, `render --check`, `diff`) never take it.
//!
//! The lock is an advisory lock of the operating system on a file (`flock` on Unix),
//! not the file's existence: it is released when its process ends, however it ends, so
//! a killed run never leaves a stale lock behind. The file lives with the record of the
//! last render in the git directory (`.git/paved/lock`: per clone, never committed);
//! outside git, in the system's temporary folder, named after the repository's path, so
//! that nothing appears in the repository before the run knows it will write. On Unix
//! the holder removes the file before it lets go, so none are left lying around; a run
//! that got the lock on a file removed meanwhile opens the path again.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::diag::error::Error;

/// How long a render waits for another one to finish. A render of 10,000 services
/// from scratch takes up to about three minutes on two cores (docs/performance.md);
/// past this the other run is more likely stuck than busy, and failing says so.
pub(crate) const WAIT: Duration = Duration::from_secs(300);

/// How often a waiting run tries again.
const POLL: Duration = Duration::from_millis(50);

/// The lock, held until dropped or the process ends.
#[derive(Debug)]
pub(crate) struct Lock {
    _file: File,
    path: PathBuf,
}

impl Drop for Lock {
    fn drop(&mut self) {
        // Still held here: whoever opens the path from now on gets a new file.
        #[cfg(unix)]
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The lock file of the repository at `root`.
pub(crate) fn path(root: &Path) -> PathBuf {
    if let Some(dir) = crate::write::record::state_dir(root) {
        return dir.join("lock");
    }
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let digest = crate::model::names::sha256_hex(root.to_string_lossy().as_bytes());
    std::env::temp_dir().join(format!("paved-{}.lock", &digest[..16]))
}

/// The lock file as the user knows it: relative to the repository when inside it.
fn shown(root: &Path, path: &Path) -> String {
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let (root, file) = (canonical(root), canonical(path));
    file.strip_prefix(&root)
        .unwrap_or(&file)
        .to_string_lossy()
        .replace('\\', "/")
}

fn open(path: &Path) -> std::io::Result<File> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    match OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
    {
        // Made by another user (a shared temporary folder): locking needs no writing.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => File::open(path),
        opened => opened,
    }
}

/// One try at the lock: `None` when another run holds it.
fn attempt(path: &Path) -> std::io::Result<Option<Lock>> {
    let file = open(path)?;
    match file.try_lock() {
        Ok(()) if same_file(&file, path) => Ok(Some(Lock {
            _file: file,
            path: path.to_path_buf(),
        })),
        // Removed by the run that held it while this one waited: a fresh try opens the
        // file that is there now.
        Ok(()) | Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

/// Whether `path` still names the open `file`.
#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(open), Ok(named)) => open.dev() == named.dev() && open.ino() == named.ino(),
        _ => false,
    }
}

/// Elsewhere an open file cannot be removed, so the path names it for as long as it is
/// open.
#[cfg(not(unix))]
fn same_file(_: &File, _: &Path) -> bool {
    true
}

/// Take the lock, waiting up to `wait` for the run that holds it; `waiting` is told
/// once, if it has to.
pub(crate) fn acquire(root: &Path, wait: Duration, waiting: &mut dyn Write) -> Result<Lock, Error> {
    let path = path(root);
    let started = Instant::now();
    let mut told = false;
    loop {
        if let Some(lock) = attempt(&path).map_err(|e| Error::io(&path, e))? {
            return Ok(lock);
        }
        let shown = shown(root, &path);
        if started.elapsed() >= wait {
            return Err(Error::Usage(format!(
                "another paved render on this repository has held the lock {shown} for {} s, \
                 so nothing was rendered; it is released when that process ends, even if \
                 killed: let it finish or stop it (`fuser {shown}` names it), then run paved again",
                wait.as_secs()
            )));
        }
        if !told {
            told = true;
            let _ = writeln!(
                waiting,
                "paved: another paved render is writing in this repository; waiting up to {} s for it to finish (lock: {shown})",
                wait.as_secs()
            );
        }
        std::thread::sleep(POLL);
    }
}

/// Take the lock if nobody holds it; `None` if somebody does or it cannot be had.
pub(crate) fn try_acquire(root: &Path) -> Option<Lock> {
    attempt(&path(root)).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_lock_makes_others_wait_then_fail_naming_it() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(".git")).unwrap();
        let held = acquire(root.path(), Duration::ZERO, &mut Vec::new()).unwrap();
        assert!(try_acquire(root.path()).is_none());
        let error = acquire(root.path(), Duration::ZERO, &mut Vec::new()).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().contains(".git/paved/lock"), "{error}");
        drop(held);
        #[cfg(unix)]
        assert!(!path(root.path()).exists(), "the holder removes the file");
        assert!(try_acquire(root.path()).is_some());
    }

    #[cfg(unix)]
    #[test]
    fn a_lock_on_a_file_removed_meanwhile_is_taken_again() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(".git")).unwrap();
        let lock = path(root.path());
        let held = acquire(root.path(), Duration::ZERO, &mut Vec::new()).unwrap();
        // A run that opened the file while it was held, and gets the lock once released.
        let late = open(&lock).unwrap();
        drop(held);
        late.try_lock().unwrap();
        assert!(!same_file(&late, &lock));
        // Meanwhile another run made the file anew: both cannot hold the lock.
        let other = acquire(root.path(), Duration::ZERO, &mut Vec::new()).unwrap();
        assert!(try_acquire(root.path()).is_none());
        drop(other);
        drop(late);
    }

    #[test]
    fn outside_git_the_lock_is_not_in_the_repository() {
        let root = tempfile::tempdir().unwrap();
        let lock = path(root.path());
        assert!(!lock.starts_with(root.path()), "{}", lock.display());
        assert_eq!(lock, path(root.path()));
        let other = tempfile::tempdir().unwrap();
        assert_ne!(lock, path(other.path()));
    }
}
