//! The render orchestration: answer from the record of the last render, check, render
//! the parts in parallel with the policies on their objects, plan, write, record and
//! commit.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use crate::diag::error::Error;
use crate::diag::finding::{self, Finding, Severity, Stats};
use crate::diag::timings::stage;
use crate::load::repo::Repo;
use crate::pipeline::check::{self, Coverage};
use crate::write::plan::{self, Action, Plan};
use crate::write::record::{self, Answer};

/// What to render, and what to do with it.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// Write nothing: compare the output folder with what paved would write.
    pub check_only: bool,
    /// Overwrite generated files edited by hand and take over files in the way.
    pub force: bool,
    /// Then commit the changes of the output folder.
    pub commit: Option<CommitOptions>,
    /// Only this environment's files (and those shared by all environments).
    pub env: Option<String>,
    /// Only the intents changed since this git revision and what depends on them.
    pub changed_since: Option<String>,
    /// The date waivers expire against, `YYYY-MM-DD`.
    pub today: String,
}

/// The commit of a render's output.
#[derive(Debug, Clone)]
pub(crate) struct CommitOptions {
    /// Author and committer, name and email [default: git's user, else paved].
    pub author: Option<(String, String)>,
    pub message: Option<String>,
}

/// What a render found and did.
#[derive(Debug)]
pub(crate) struct Rendered {
    /// With `--changed-since`, what the run covered.
    pub coverage: Option<Coverage>,
    /// The findings of the check, of the policies on rendered objects and of the
    /// plan, sorted.
    pub findings: Vec<Finding>,
    pub stats: Stats,
    /// The output folder, as paved.yaml names it.
    pub output: String,
    pub state: State,
}

/// Where a render stopped.
#[derive(Debug)]
pub(crate) enum State {
    /// The check found errors (in paved.yaml itself with `config_invalid`): nothing
    /// was rendered.
    NotRendered { config_invalid: bool },
    /// The rendered files brought errors: nothing was written.
    NotWritten,
    /// With `check_only`: the output folder holds what paved would write, `files` files.
    UpToDate { files: usize },
    /// With `check_only`: it does not; `plan` says what would change.
    OutOfDate { counts: Counts, plan: Plan },
    /// The output folder was written, and committed when asked.
    Written {
        counts: Counts,
        committed: Option<Committed>,
    },
}

/// How many files a render creates, updates, deletes and leaves as they are.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub created: usize,
    pub updated: usize,
    pub deleted: usize,
    pub unchanged: usize,
}

/// The commit of a render's output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Committed {
    /// Made, with this id.
    New(String),
    /// None made: the output folder is committed already.
    Already,
}

/// Render the repository at `root` into its output folder. A render that may write
/// waits for another one that holds the lock, and says so on `waiting`.
pub(crate) fn run(
    root: &Path,
    options: &Options,
    waiting: &mut dyn Write,
) -> Result<Rendered, Error> {
    // A full run whose inputs and output folder are as the last successful one left
    // them answers from its record (see `record`); a commit always looks at git.
    let record_applies = options.changed_since.is_none() && options.commit.is_none();
    let looked_up = record_applies.then(|| {
        stage("answer from the record of the last render", || {
            record::lookup(root, options.env.as_deref(), &options.today)
        })
    });
    let inputs = match looked_up {
        Some(Err(inputs)) => inputs,
        Some(Ok(answer)) => return Ok(recorded(answer, options.check_only)),
        None => None,
    };
    let repo = Repo::work_tree(root);
    let mut checked = check::run(&repo, &options.today, options.changed_since.as_deref())?;
    let coverage = checked.coverage();
    let failed = |findings: &[Finding]| findings.iter().any(|f| f.severity == Severity::Error);
    if checked.config_invalid || failed(&checked.findings) {
        return Ok(Rendered {
            coverage,
            findings: std::mem::take(&mut checked.findings),
            stats: checked.stats,
            output: checked.config.output.clone(),
            state: State::NotRendered {
                config_invalid: checked.config_invalid,
            },
        });
    }
    let config = &checked.config;
    if let Some(env) = &options.env
        && config.environment(env).is_none()
    {
        let names: Vec<&str> = config
            .environments
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        return Err(Error::Usage(format!(
            "--env {env}: not an environment of paved.yaml ({})",
            names.join(", ")
        )));
    }
    let selection = checked.selection.as_ref();
    let out = crate::write::guard::OutputDir::new(root, &config.output);
    let output_dir = out.dir().to_path_buf();
    let env = options.env.as_deref();
    let in_scope = |path: &str| scope(path, env) && selection.is_none_or(|s| s.renders(path));
    // One run at a time writes, from before it reads the manifest to its commit.
    let _lock = if options.check_only {
        None
    } else {
        Some(crate::write::lock::acquire(
            root,
            crate::write::lock::WAIT,
            waiting,
        )?)
    };
    // Each service's files are rendered, checked by the policies, compared with the
    // folder and (unless only checking) staged in one go, in parallel: the whole output
    // never has to be in memory at once.
    let planner = plan::Planner::new(&out, options.force, !options.check_only)
        .map_err(|e| Error::io(&output_dir, e))?;
    let parts = stage(
        "render, policies on rendered objects, compare and stage",
        || {
            crate::render::render_parts(
                config,
                &checked.catalog,
                &checked.platform,
                selection.map(|s| &s.services),
                |mut part| {
                    // Files out of scope are rendered only because others come from the
                    // whole catalog: neither written nor this run's to report on.
                    part.tree.retain(in_scope);
                    let (mut findings, used) = crate::validate::policy::objects(
                        config,
                        checked.config_file.as_ref(),
                        &checked.catalog,
                        &checked.policies,
                        &checked.waivers,
                        &part.tree.rendered(),
                        &options.today,
                    );
                    findings.extend(part.findings);
                    planner
                        .part(&part.tree.files)
                        .map(|plan| (plan, findings, used))
                },
            )
        },
    );
    let mut findings = std::mem::take(&mut checked.findings);
    let mut used = BTreeSet::new();
    let mut plans = Vec::new();
    let mut failure = None;
    for part in parts {
        match part {
            Ok((plan, part_findings, part_used)) => {
                plans.push(plan);
                findings.extend(part_findings);
                used.extend(part_used);
            }
            Err(e) => failure = Some(e),
        }
    }
    let plan = planner.finish(plans, &in_scope);
    let plan = match (plan, failure) {
        (Ok(plan), None) => plan,
        (Ok(plan), Some(e)) => {
            plan.discard();
            return Err(Error::io(&output_dir, e));
        }
        (Err(e), _) => return Err(Error::io(&output_dir, e)),
    };
    findings.extend(crate::validate::policy::unused_object_waivers(
        config,
        &checked.policies,
        &checked.waivers,
        &options.today,
        used,
    ));
    findings.extend(
        plan.conflicts
            .iter()
            .map(|c| c.finding(&config.output, plan.manifest_source.as_ref())),
    );
    finding::sort(&mut findings);
    let stopped = |findings: Vec<Finding>, state: State| Rendered {
        coverage: coverage.clone(),
        findings,
        stats: checked.stats,
        output: config.output.clone(),
        state,
    };
    if failed(&findings) {
        plan.discard();
        return Ok(stopped(findings, State::NotWritten));
    }
    let counts = Counts {
        created: plan.count(Action::Create),
        updated: plan.count(Action::Update),
        deleted: plan.count(Action::Delete),
        unchanged: plan.unchanged,
    };
    let expiries: Vec<String> = checked.waivers.iter().map(|w| w.expires.clone()).collect();
    // The findings go into the record and come back out of it for the caller.
    let remember = |findings: Vec<Finding>, unchanged: usize| -> Vec<Finding> {
        let answer = Answer {
            findings,
            stats: checked.stats,
            output: config.output.clone(),
            unchanged,
        };
        if let Some(inputs) = &inputs
            && selection.is_none()
        {
            stage("record the outcome", || {
                record::record(root, inputs, &options.today, &expiries, &answer);
            });
        }
        answer.findings
    };
    if options.check_only {
        if plan.is_empty() {
            // Recorded only while no run writes: a check never waits.
            let findings = if inputs.is_some()
                && let Some(_lock) = crate::write::lock::try_acquire(root)
            {
                remember(findings, plan.unchanged)
            } else {
                findings
            };
            let files = plan.unchanged;
            return Ok(stopped(findings, State::UpToDate { files }));
        }
        return Ok(stopped(findings, State::OutOfDate { counts, plan }));
    }
    stage("write", || crate::write::apply::apply(&out, &plan)).map_err(|e| {
        plan.discard();
        Error::io(&output_dir, e)
    })?;
    let findings = remember(findings, counts.unchanged + counts.created + counts.updated);
    let committed = match &options.commit {
        Some(commit) => {
            let author = commit
                .author
                .as_ref()
                .map(|(name, email)| (name.as_str(), email.as_str()));
            let id = stage("commit", || {
                crate::review::git::commit_output(
                    root,
                    &config.output,
                    commit.message.as_deref(),
                    author,
                )
            })
            .map_err(Error::Usage)?;
            Some(id.map_or(Committed::Already, Committed::New))
        }
        None => None,
    };
    let rendered = stopped(findings, State::Written { counts, committed });
    // The process ends next: freeing the catalog one by one would only add to its run
    // time.
    std::mem::forget(checked);
    Ok(rendered)
}

/// The outcome of a render answered from the record of the last one: nothing changed.
fn recorded(answer: Answer, check_only: bool) -> Rendered {
    let state = if check_only {
        State::UpToDate {
            files: answer.unchanged,
        }
    } else {
        State::Written {
            counts: Counts {
                unchanged: answer.unchanged,
                ..Counts::default()
            },
            committed: None,
        }
    };
    Rendered {
        coverage: None,
        findings: answer.findings,
        stats: answer.stats,
        output: answer.output,
        state,
    }
}

/// Whether a generated path belongs to the rendered scope: everything, or one
/// environment's files plus those shared by all environments.
fn scope(path: &str, env: Option<&str>) -> bool {
    let Some(env) = env else {
        return true;
    };
    crate::render::layout::place(path)
        .environment
        .is_none_or(|folder| folder == env)
}
