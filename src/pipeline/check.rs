//! The checking pipeline: discover, load, validate, resolve.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::diag::codes::Code;
use crate::diag::error::Error;
use crate::diag::finding::{self, Finding, Severity, Stats};
use crate::diag::timings::stage;
use crate::load::discover::Candidate;
use crate::load::platform::Platform;
use crate::load::repo::Repo;
use crate::load::schema::Schemas;
use crate::load::{config, intent};
use crate::model::config::Config;
use crate::review::changed::{self, Changes, Selection};
use crate::syntax::source::SourceFile;
use crate::syntax::yaml;
use crate::validate::policy::{self, Policies};
use crate::validate::resolve::{self, Catalog};

/// Everything a check found out.
#[derive(Debug)]
pub struct Outcome {
    pub config: Config,
    /// paved.yaml, when the repository has one.
    pub config_file: Option<Arc<SourceFile>>,
    pub platform: Platform,
    pub policies: Policies,
    pub catalog: Catalog,
    /// Policy waivers, from intents and the platform's waivers file.
    pub waivers: policy::Waivers,
    /// Sorted by file and position.
    pub findings: Vec<Finding>,
    /// paved.yaml itself has errors: nothing else was checked.
    pub config_invalid: bool,
    /// With `--changed-since`: what changed, and the part of the catalog checked
    /// (none when a change reaches every intent).
    pub changes: Option<Changes>,
    pub selection: Option<Selection>,
    pub stats: Stats,
    /// With [`Scope::keep_unchanged`]: the outcome of every file the change left as
    /// the base has it.
    pub unchanged: Option<Known>,
}

/// With `--changed-since`, what a run covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// `file`, which every intent depends on, changed since `base`: every intent.
    Everything { base: String, file: String },
    /// `files` changed since `base`: the services and teams they touch, each counted
    /// as (touched, all).
    Touched {
        base: String,
        files: usize,
        services: (usize, usize),
        teams: (usize, usize),
    },
}

impl Outcome {
    /// What the check covered, when it did not cover the whole repository by default.
    pub fn coverage(&self) -> Option<Coverage> {
        let changes = self.changes.as_ref()?;
        let base = changes.base.clone();
        if let Some(file) = &changes.global {
            return Some(Coverage::Everything {
                base,
                file: file.clone(),
            });
        }
        let selection = self.selection.as_ref()?;
        // The selection names removed intents too: only those that exist are counted.
        fn present<V>(names: &BTreeSet<String>, catalog: &BTreeMap<String, V>) -> (usize, usize) {
            let count = names.iter().filter(|n| catalog.contains_key(*n)).count();
            (count, catalog.len())
        }
        Some(Coverage::Touched {
            base,
            files: changes.files.len(),
            services: present(&selection.services, &self.catalog.services),
            teams: present(&selection.teams, &self.catalog.teams),
        })
    }
}

/// What a check looks at beyond the whole repository, and what it may take from
/// another check.
#[derive(Default, Clone, Copy)]
pub struct Scope<'a> {
    /// Check only what changed since this git revision, and what depends on it.
    pub since: Option<&'a str>,
    /// Evaluate the intent policies on these services alone (as `paved diff` does on
    /// the base revision, for the services a change touches).
    pub policies_on: Option<&'a BTreeSet<String>>,
    /// With `since`: keep the outcome of each file the change left alone, for a check
    /// of the base revision to take instead of reading and checking it again.
    pub keep_unchanged: bool,
    /// Outcomes of files already checked with the same bytes, by path.
    pub known: Option<&'a Known>,
}

/// The outcomes of files checked once, by path, to be taken by a check of another
/// revision in which they have the same bytes.
#[derive(Debug, Default)]
pub struct Known {
    files: BTreeMap<String, FileOutcome>,
}

impl Known {
    pub fn contains(&self, path: &str) -> bool {
        self.files.contains_key(path)
    }
}

/// Check the repository. `today` (`YYYY-MM-DD`) decides which waivers have expired;
/// it is the only input that is not a file. With `since` (a git revision), only what
/// changed since and what depends on it is checked, and reported.
pub fn run(repo: &Repo, today: &str, since: Option<&str>) -> Result<Outcome, Error> {
    run_in(
        repo,
        today,
        Scope {
            since,
            ..Scope::default()
        },
    )
}

/// [`run`], within `scope`.
pub fn run_in(repo: &Repo, today: &str, scope: Scope) -> Result<Outcome, Error> {
    let since = scope.since;
    let schemas = Schemas::new().map_err(Error::Internal)?;
    let loaded = config::load(repo, &schemas)
        .map_err(|e| Error::io(PathBuf::from(repo.display()).join(config::FILE_NAME), e))?;
    let config = loaded.config;
    let config_file = loaded.file;
    let mut findings = loaded.findings;
    if findings.iter().any(|f| f.severity == Severity::Error) {
        finding::sort(&mut findings);
        return Ok(Outcome {
            config,
            config_file,
            platform: crate::load::platform::Platform::default(),
            policies: Policies::default(),
            catalog: Catalog::default(),
            waivers: policy::Waivers::default(),
            findings,
            config_invalid: true,
            changes: None,
            selection: None,
            stats: Stats::default(),
            unchanged: None,
        });
    }
    let (platform, platform_findings) = crate::load::platform::load(repo, &schemas, &config.limits);
    findings.extend(platform_findings);
    let candidates = stage("find intent files", || repo.candidates(&config.output))
        .map_err(|e| Error::Usage(format!("{}: {e}", repo.display())))?;
    let changes = match (since, repo) {
        (None, _) => None,
        (Some(base), Repo::WorkTree(root)) => Some(
            stage("compare with the base", || {
                changed::since(root, base, &config, &candidates, &schemas)
            })
            .map_err(Error::Usage)?,
        ),
        (Some(_), Repo::Snapshot(_)) => {
            return Err(Error::Internal(String::from(
                "--changed-since compares a work tree",
            )));
        }
    };
    let files: Vec<FileOutcome> = stage("read, parse and validate intents", || {
        candidates
            .par_iter()
            .map(
                |candidate| match scope.known.and_then(|k| k.files.get(candidate.relative())) {
                    Some(known) => known.clone(),
                    None => check_file(repo, candidate, &config, &schemas),
                },
            )
            .collect()
    });
    // Files the change left alone, when a change was found and reaches only some.
    let keep = scope.keep_unchanged && changes.as_ref().is_some_and(|c| c.global.is_none());
    let mut unchanged = keep.then(Known::default);
    let mut stats = Stats {
        files: candidates.len(),
        ..Stats::default()
    };
    let mut intents = Vec::new();
    for (candidate, file) in candidates.iter().zip(files) {
        if let (Some(known), Some(changes)) = (&mut unchanged, &changes) {
            let path = candidate.relative();
            if !changes.files.contains(path) {
                known.files.insert(path.to_string(), file.clone());
            }
        }
        findings.extend(file.findings);
        if !file.intents.is_empty() {
            stats.intent_files += 1;
            stats.intents += file.intents.len();
        }
        intents.extend(file.intents);
    }
    let declared: Vec<intent::Loaded> = match &changes {
        Some(changes) => intents
            .iter()
            .filter(|i| changes.files.contains(&i.origin.file.path))
            .cloned()
            .collect(),
        None => Vec::new(),
    };
    let catalog = stage("resolve references", || {
        resolve::resolve(&config, &platform, intents, &schemas, &mut findings)
    });
    let mut selection = changes
        .as_ref()
        .and_then(|changes| changes.select(&config, &catalog, &declared));
    let (policies, policy_findings) = stage("compile policies", || {
        policy::load(repo, config.limits.max_file_bytes)
    });
    findings.extend(policy_findings);
    let waivers = policy::waivers(repo, &catalog, &schemas, &config.limits, &mut findings);
    if let Some(selection) = &mut selection {
        selection.judge_waivers(&waivers, &catalog);
    }
    findings.extend(stage("policies on intents", || {
        policy::check(
            &config,
            config_file.as_ref(),
            &catalog,
            &policies,
            &waivers,
            today,
            selection
                .as_ref()
                .map(|s| &s.services)
                .or(scope.policies_on),
        )
    }));
    if let Some(selection) = &selection {
        findings.retain(|f| selection.keeps(f));
    }
    finding::sort(&mut findings);
    Ok(Outcome {
        config,
        config_file,
        platform,
        policies,
        catalog,
        waivers,
        findings,
        config_invalid: false,
        changes,
        selection,
        stats,
        unchanged,
    })
}

#[derive(Debug, Clone)]
struct FileOutcome {
    findings: Vec<Finding>,
    intents: Vec<intent::Loaded>,
}

fn check_file(
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
        Read::Text(file) => {
            let loaded = yaml::load(&file, config.limits.yaml);
            findings.extend(
                loaded
                    .problems
                    .iter()
                    .map(|p| finding::yaml_finding(&file, p)),
            );
            intent::load_documents(
                &file,
                loaded.documents,
                schemas,
                config.default_owner.as_deref(),
                &mut findings,
            )
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::repo::{Entry, Snapshot};
    use std::path::Path;

    /// Every file under `root` except `.git`, as a snapshot holds it.
    fn snapshot_of(root: &Path) -> Snapshot {
        let mut snapshot = Snapshot::default();
        let mut stack = vec![root.to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(dir).unwrap().flatten() {
                let path = entry.path();
                if entry.file_type().unwrap().is_dir() {
                    if entry.file_name() != ".git" {
                        stack.push(path);
                    }
                    continue;
                }
                let relative = crate::load::discover::relative_path(root, &path);
                let bytes = std::fs::read(&path).unwrap();
                snapshot.files.insert(relative, Entry::File(bytes));
            }
        }
        snapshot
    }

    fn located(findings: &[crate::diag::finding::Finding]) -> Vec<String> {
        findings
            .iter()
            .map(|f| {
                let l = &f.location;
                format!(
                    "{} {}:{}:{} {}",
                    f.code_name(),
                    l.file.path,
                    l.span.line,
                    l.span.column,
                    f.message
                )
            })
            .collect()
    }

    #[test]
    fn a_snapshot_checks_and_renders_like_the_work_tree() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/example");
        let today = "2026-01-01";
        let disk = run(&Repo::work_tree(&root), today, None).unwrap();
        let memory = run(&Repo::Snapshot(snapshot_of(&root)), today, None).unwrap();
        assert_eq!(located(&disk.findings), located(&memory.findings));
        assert_eq!(disk.stats, memory.stats);
        assert!(disk.stats.intents >= 10);
        let render = |outcome: &Outcome| {
            crate::render::render(&outcome.config, &outcome.catalog, &outcome.platform, None)
                .0
                .files
        };
        let files = render(&disk);
        assert!(files.len() > 100);
        assert!(files == render(&memory), "the same files, byte for byte");
    }
}
