//! The record of the last render that left the output folder up to date: when nothing
//! it depends on has changed since (the paved binary, paved.yaml, the platform folder,
//! every intent file, the options, and every generated file as the file system
//! describes it), `render` and `render --check` answer from it without reading,
//! checking or rendering anything.
//!
//! It lives in the git directory (`.git/paved/`), never in the work tree: it describes
//! one clone's files (their inodes and times), and is nobody's to commit. Any doubt
//! (a file that cannot be read, a record from another version) means no answer, and
//! the full run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::diag::codes::Code;
use crate::diag::finding::{Finding, Related, Severity, Stats, Waived};
use crate::load::discover::Candidate;
use crate::load::repo::Repo;
use crate::model::config::Config;
use crate::syntax::source::{Location, SourceFile};

const VERSION: u32 = 2;

/// What a run answered, kept to answer again.
#[derive(Debug, Serialize, Deserialize)]
struct Record {
    version: u32,
    key: String,
    /// The day it was made, and the last day its findings hold: the day before the
    /// first waiver that was still valid expires.
    today: String,
    valid_until: Option<String>,
    /// The output folder, as paved.yaml names it.
    output: String,
    unchanged: usize,
    stats: [usize; 3],
    findings: Vec<Stored>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Stored {
    code: String,
    rule: Option<String>,
    severity: String,
    message: String,
    help: String,
    label: String,
    at: Place,
    related: Vec<(Place, String)>,
    waived: Option<(String, String, Place)>,
}

/// A location: the file, how much of its text the finding was made with (empty for a
/// generated file, a prefix for a file refused part way), and the byte range.
#[derive(Debug, Serialize, Deserialize)]
struct Place {
    file: String,
    /// A file built into paved (a built-in policy), not one of the repository's.
    built_in: bool,
    len: usize,
    start: usize,
    end: usize,
}

/// What a memo answers: the findings and counts of the run it recorded.
pub(crate) struct Answer {
    pub findings: Vec<Finding>,
    pub stats: Stats,
    /// The output folder, and how many generated files it holds.
    pub output: String,
    pub unchanged: usize,
}

/// Where the memo of the monorepo at `root` lives: in the git directory holding it,
/// one file per monorepo root. `None` outside git.
fn path(root: &Path) -> Option<PathBuf> {
    let dir = state_dir(root)?;
    let root = root.canonicalize().ok()?;
    let name = hex(&Sha256::digest(root.to_string_lossy().as_bytes()))[..16].to_string();
    Some(dir.join(format!("memo-{name}.json")))
}

/// paved's folder in the git directory of the repository holding `root` (a linked
/// work tree's own git directory, for one): per clone, never committed. `None`
/// outside git.
pub(crate) fn state_dir(root: &Path) -> Option<PathBuf> {
    let root = root.canonicalize().ok()?;
    let dot_git = root
        .ancestors()
        .map(|dir| dir.join(".git"))
        .find(|git| git.exists())?;
    let git = if dot_git.is_dir() {
        dot_git
    } else {
        // A linked work tree or a submodule: `.git` is a file naming the git directory.
        let text = std::fs::read_to_string(&dot_git).ok()?;
        let named = text.strip_prefix("gitdir:")?.trim();
        let named = dot_git.parent()?.join(named);
        named.is_dir().then_some(named)?
    };
    Some(git.join("paved"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The digest of the inputs a render's outcome depends on (but the date), for the
/// configuration `config` read from paved.yaml. `None` when something cannot be read.
fn inputs(root: &Path, env: Option<&str>, config: &Config) -> Option<Inputs> {
    let repo = Repo::work_tree(root);
    let mut hasher = Sha256::new();
    let mut add = |label: &str, bytes: &[u8]| {
        hasher.update((label.len() as u64).to_le_bytes());
        hasher.update(label.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    };
    add(
        "version",
        format!("{VERSION} {}", env!("CARGO_PKG_VERSION")).as_bytes(),
    );
    // A rebuilt binary may render differently under the same version.
    let exe = std::env::current_exe().ok()?.metadata().ok()?;
    add("exe", &stat_bytes(&exe)[..16]);
    add(
        "root",
        root.canonicalize().ok()?.to_string_lossy().as_bytes(),
    );
    add("env", env.unwrap_or_default().as_bytes());
    // Within the limit paved.yaml is read with: one over it is refused, not recorded.
    let limit = crate::model::config::Limits::default().max_file_bytes;
    let config_bytes = match repo.read_bounded(crate::load::config::FILE_NAME, limit, 0) {
        Ok(Ok(bytes)) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Ok(Err(_)) | Err(_) => return None,
    };
    add("paved.yaml", &config_bytes);
    // The platform's files and the intent files, as the file system describes them:
    // writing a file changes its description.
    let mut platform: Vec<String> = repo
        .list(crate::load::platform::DIR)
        .into_iter()
        .map(|listed| listed.relative)
        .collect();
    platform.sort();
    let candidates = repo.candidates(&config.output).ok()?;
    let files: Vec<(String, Option<Vec<u8>>)> = platform
        .into_iter()
        .chain(candidates.iter().map(|c| match c {
            Candidate::File { relative } => relative.clone(),
            Candidate::LinkOutside { relative } => format!("link-outside:{relative}"),
        }))
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|path| {
            let stat = std::fs::symlink_metadata(root.join(&path))
                .ok()
                .map(|meta| stat_bytes(&meta));
            (path, stat)
        })
        .collect();
    for (path, stat) in &files {
        add(path, stat.as_deref().unwrap_or_default());
    }
    Some(Inputs {
        digest: hex(&hasher.finalize()),
        output: config.output.clone(),
    })
}

/// What a run read, described before it read it: a file changed while the run went on
/// changes the description, so that the record of that run never answers for it.
pub(crate) struct Inputs {
    digest: String,
    output: String,
}

impl Inputs {
    /// The key of the inputs with the output folder as it is now, every file and
    /// folder of it.
    fn key(&self, root: &Path) -> Option<String> {
        Some(self.key_with(folder_digest(&root.join(&self.output))?))
    }

    fn key_with(&self, output: [u8; 32]) -> String {
        format!("{}-{}", self.digest, hex(&output))
    }
}

/// A digest of everything under `dir`: names, kinds and file descriptions, folders
/// walked in parallel (each entry is looked up relative to its folder, not by a path
/// from the root).
fn folder_digest(dir: &Path) -> Option<[u8; 32]> {
    let mut entries: Vec<std::fs::DirEntry> = std::fs::read_dir(dir)
        .ok()?
        .collect::<Result<_, _>>()
        .ok()?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    let described: Vec<Option<Vec<u8>>> = entries
        .par_iter()
        .map(|entry| {
            let kind = entry.file_type().ok()?;
            if kind.is_dir() {
                folder_digest(&entry.path()).map(|d| d.to_vec())
            } else {
                entry.metadata().ok().map(|meta| stat_bytes(&meta))
            }
        })
        .collect();
    let mut hasher = Sha256::new();
    for (entry, description) in entries.iter().zip(described) {
        let name = entry.file_name();
        hasher.update(name.as_encoded_bytes());
        hasher.update([0]);
        hasher.update(description?);
    }
    Some(hasher.finalize().into())
}

/// What the file system says of a file that changes when it is written.
fn stat_bytes(meta: &std::fs::Metadata) -> Vec<u8> {
    let mut bytes = meta.len().to_le_bytes().to_vec();
    let time = |t: std::io::Result<std::time::SystemTime>| {
        t.ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos())
    };
    bytes.extend(time(meta.modified()).to_le_bytes());
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        bytes.extend(meta.ino().to_le_bytes());
        bytes.extend(meta.ctime().to_le_bytes());
        bytes.extend(meta.ctime_nsec().to_le_bytes());
    }
    bytes
}

/// The recorded answer for this run, if there is one and it still holds: `Ok`. Else the
/// description of the inputs, to record the run once done, if they could be described.
pub(crate) fn lookup(
    root: &Path,
    env: Option<&str>,
    today: &str,
) -> Result<Answer, Option<Inputs>> {
    let path = path(root).ok_or(None)?;
    let schemas = crate::load::schema::Schemas::new().map_err(|_| None)?;
    let config = crate::load::config::load(&Repo::work_tree(root), &schemas)
        .map_err(|_| None)?
        .config;
    // Walking the output folder takes longest: it goes on while the inputs are
    // described.
    let (inputs, walked) = rayon::join(
        || inputs(root, env, &config),
        || folder_digest(&root.join(&config.output)),
    );
    let inputs = inputs.ok_or(None)?;
    let key = walked.map(|walked| inputs.key_with(walked));
    match key.and_then(|key| answer(root, &path, &key, today)) {
        Some(answer) => Ok(answer),
        None => Err(Some(inputs)),
    }
}

fn answer(root: &Path, path: &Path, key: &str, today: &str) -> Option<Answer> {
    let record: Record = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    if record.version != VERSION
        || today < record.today.as_str()
        || record
            .valid_until
            .as_deref()
            .is_some_and(|last| today > last)
    {
        return None;
    }
    if key != record.key {
        return None;
    }
    let findings = replay(root, &record.findings)?;
    Some(Answer {
        findings,
        stats: Stats {
            files: record.stats[0],
            intent_files: record.stats[1],
            intents: record.stats[2],
        },
        output: record.output,
        unchanged: record.unchanged,
    })
}

/// Record a run that left the output folder up to date. Failing to is no failure of
/// the run: the next one is then a full one.
pub(crate) fn record(
    root: &Path,
    inputs: &Inputs,
    today: &str,
    waiver_expiries: &[String],
    answer: &Answer,
) {
    let Some(path) = path(root) else {
        return;
    };
    let Some(key) = inputs.key(root) else {
        return;
    };
    // The findings change on the day a waiver valid today expires.
    let valid_until = waiver_expiries
        .iter()
        .filter(|e| e.as_str() >= today)
        .min()
        .cloned();
    let record = Record {
        version: VERSION,
        key,
        today: today.to_string(),
        valid_until,
        output: answer.output.clone(),
        unchanged: answer.unchanged,
        stats: [
            answer.stats.files,
            answer.stats.intent_files,
            answer.stats.intents,
        ],
        findings: answer.findings.iter().map(store).collect(),
    };
    let Ok(bytes) = serde_json::to_vec(&record) else {
        return;
    };
    if let Some(parent) = path.parent()
        && std::fs::create_dir_all(parent).is_ok()
    {
        let _ = crate::write::apply::write_all(&[(path, &bytes)]);
    }
}

fn place(location: &Location) -> Place {
    Place {
        file: location.file.path.clone(),
        built_in: location.file.built_in,
        len: location.file.text.len(),
        start: location.span.start,
        end: location.span.end,
    }
}

fn store(finding: &Finding) -> Stored {
    Stored {
        code: finding.code.name().to_string(),
        rule: finding.rule.as_ref().map(|r| r.code.clone()),
        severity: finding.severity.as_str().to_string(),
        message: finding.message.clone(),
        help: finding.help.clone(),
        label: finding.label.clone(),
        at: place(&finding.location),
        related: finding
            .related
            .iter()
            .map(|r| (place(&r.location), r.message.clone()))
            .collect(),
        waived: finding
            .waived
            .as_ref()
            .map(|w| (w.reason.clone(), w.expires.clone(), place(&w.location))),
    }
}

/// The findings again, with the same text under them: files are read back (they have
/// not changed) and cut to what the findings were made with.
fn replay(root: &Path, stored: &[Stored]) -> Option<Vec<Finding>> {
    let mut files: BTreeMap<(String, usize, bool), Arc<SourceFile>> = BTreeMap::new();
    let mut locate = |place: &Place| -> Option<Location> {
        let key = (place.file.clone(), place.len, place.built_in);
        let file = match files.get(&key) {
            Some(file) => Arc::clone(file),
            None if place.built_in => {
                let (path, text) = crate::validate::policy::BUILT_IN
                    .iter()
                    .find(|(path, _)| *path == place.file)?;
                let file = Arc::new(SourceFile::built_in(*path, *text));
                files.insert(key, Arc::clone(&file));
                file
            }
            None => {
                let text = if place.len == 0 {
                    String::new()
                } else {
                    let bytes = std::fs::read(root.join(&place.file)).ok()?;
                    let text = String::from_utf8_lossy(&bytes);
                    text.get(..place.len)?.to_string()
                };
                let file = Arc::new(SourceFile::new(place.file.clone(), text));
                files.insert(key, Arc::clone(&file));
                file
            }
        };
        let span = file.span(place.start, place.end);
        Some(Location::new(&file, span))
    };
    let needs_rules = stored.iter().any(|s| s.rule.is_some());
    let policies = needs_rules.then(|| {
        crate::validate::policy::load(
            &Repo::work_tree(root),
            crate::model::config::Limits::default().max_file_bytes,
        )
        .0
    });
    let mut findings = Vec::with_capacity(stored.len());
    for s in stored {
        let mut finding = Finding::at(Code::from_name(&s.code)?, locate(&s.at)?, s.message.clone());
        finding.severity = match s.severity.as_str() {
            "error" => Severity::Error,
            "warning" => Severity::Warning,
            _ => Severity::Note,
        };
        finding.help = s.help.clone();
        finding.label = s.label.clone();
        if let Some(code) = &s.rule {
            let rule = policies.as_ref()?.rules().find(|r| &r.code == code)?;
            finding.rule = Some(Arc::clone(rule));
        }
        for (place, message) in &s.related {
            finding.related.push(Related {
                location: locate(place)?,
                message: message.clone(),
            });
        }
        if let Some((reason, expires, place)) = &s.waived {
            finding.waived = Some(Waived {
                reason: reason.clone(),
                expires: expires.clone(),
                location: locate(place)?,
            });
        }
        findings.push(finding);
    }
    Some(findings)
}
