//! One intent file of the repository read into its intents: refused with a finding
//! when it is too large, not UTF-8, binary or a link out of the repository; its YAML
//! problems and schema errors as findings.

use std::sync::Arc;

use crate::diag::codes::Code;
use crate::diag::finding::{Finding, Severity};
use crate::load::discover::Candidate;
use crate::load::intent;
use crate::load::repo::Repo;
use crate::load::schema::Schemas;
use crate::model::config::Config;
use crate::syntax::source::SourceFile;

/// What reading one file gave.
#[derive(Debug, Clone)]
pub(crate) struct FileOutcome {
    pub(crate) findings: Vec<Finding>,
    pub(crate) intents: Vec<intent::Loaded>,
}

pub(crate) fn read_intents(
    repo: &Repo,
    candidate: &Candidate,
    config: &Config,
    schemas: &Schemas,
) -> FileOutcome {
    let mut findings = Vec::new();
    let intents = match read(repo, candidate, config) {
        Read::NotIntents => Vec::new(),
        Read::Refused(finding) => {
            findings.push(*finding);
            Vec::new()
        }
        Read::Text(file) => intent::load_file(
            &file,
            config.limits.yaml,
            schemas,
            config.default_owner.as_deref(),
            &mut findings,
        ),
    };
    FileOutcome { findings, intents }
}

enum Read {
    NotIntents,
    Refused(Box<Finding>),
    Text(Arc<SourceFile>),
}

fn refused(file: &Arc<SourceFile>, offset: usize, code: Code, message: String) -> Read {
    let span = file.span(offset, offset);
    Read::Refused(Box::new(Finding::new(code, file, span, message)))
}

fn read(repo: &Repo, candidate: &Candidate, config: &Config) -> Read {
    let relative = match candidate {
        Candidate::LinkOutside { relative } => {
            let file = Arc::new(SourceFile::new(relative.clone(), ""));
            let message =
                "this file is a link to a place outside the repository; paved does not read it";
            return refused(&file, 0, Code::SymlinkOutsideRepo, message.into());
        }
        Candidate::File { relative } => relative,
    };
    let empty = || Arc::new(SourceFile::new(relative.clone(), ""));
    let limit = config.limits.max_file_bytes;
    let bytes = match repo.read_bounded(relative, limit, HEAD_BYTES) {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(head)) => {
            let message = format!(
                "file is larger than the {limit}-byte limit (`limits.maxFileBytes`); it was not read"
            );
            // A big file of another tool's YAML is worth a warning, not a failure.
            let holds_intents = intent::may_hold_intents(&head);
            let severity = if holds_intents {
                Severity::Error
            } else {
                Severity::Warning
            };
            let file = empty();
            let finding = Finding::new(Code::FileTooLarge, &file, file.start(), message);
            return Read::Refused(Box::new(finding.severity(severity)));
        }
        Err(e) => {
            let message = format!("cannot read the file: {e}");
            return refused(&empty(), 0, Code::FileUnreadable, message);
        }
    };
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        let message =
            "file is UTF-16 (it starts with a UTF-16 byte-order mark); YAML files must be UTF-8";
        return refused(&empty(), 0, Code::FileNotUtf8, message.into());
    }
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        // The text before the NUL gives the finding its line and column.
        let prefix = String::from_utf8_lossy(&bytes[..nul]).into_owned();
        let file = Arc::new(SourceFile::new(relative.clone(), prefix));
        let message = "file holds binary data (a NUL byte), not YAML text";
        return refused(&file, file.text.len(), Code::FileBinary, message.into());
    }
    match String::from_utf8(bytes) {
        // Only files that mention paved's or Score's API group can hold intents; the
        // rest are other tools' YAML and are left alone.
        Ok(text) if intent::may_hold_intents(text.as_bytes()) => {
            Read::Text(Arc::new(SourceFile::new(relative.clone(), text)))
        }
        Ok(_) => Read::NotIntents,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
            let file = Arc::new(SourceFile::new(relative.clone(), prefix));
            let message =
                format!("file is not valid UTF-8 (byte {valid} starts an invalid sequence)");
            refused(&file, valid, Code::FileNotUtf8, message)
        }
    }
}

/// How much of an oversized file is read to tell whether it holds intents.
const HEAD_BYTES: usize = 64 * 1024;
