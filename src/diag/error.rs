//! Errors that stop a run (as opposed to findings, which are reported and counted).

use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
pub enum Error {
    /// Bad arguments or an unusable repository: exit code 2.
    Usage(String),
    /// A file paved must read or write could not be: exit code 2.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A bug in paved: exit code 3.
    Internal(String),
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::Io { .. } => 2,
            Error::Internal(_) => 3,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(message) => f.write_str(message),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Internal(message) => write!(f, "internal error: {message}"),
        }
    }
}

impl std::error::Error for Error {}
