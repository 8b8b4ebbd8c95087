//! The checking pipeline: discover, load, validate, resolve.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use rayon::prelude::*;

use crate::diag::error::Error;
use crate::diag::finding::{self, Finding, Severity, Stats};
use crate::diag::timings::stage;
use crate::load::file::{FileOutcome, read_intents};
use crate::load::platform::Platform;
use crate::load::repo::Repo;
use crate::load::schema::Schemas;
use crate::load::{config, intent};
use crate::model::config::Config;
use crate::review::changed::{self, Changes, Selection};
use crate::syntax::source::SourceFile;
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
                    None => read_intents(repo, candidate, &config, &schemas),
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
    let file_waivers = crate::load::waivers::read(repo, &schemas, &config.limits, &mut findings);
    let waivers = policy::waivers(&catalog, file_waivers);
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
