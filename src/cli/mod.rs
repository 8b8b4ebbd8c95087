//! Running a parsed command line: the library side of the binary.

pub mod args;
pub mod prompt;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::cli::args::{
    Cli, Color, Command, ConvertCommand, NewCommand, OwnersFormat, PolicyCommand,
};
use crate::diag::codes::{self, Code};
use crate::diag::error::Error;
use crate::diag::finding::Severity;
use crate::diag::timings::stage;
use crate::load::repo::Repo;
use crate::load::schema;
use crate::pipeline::check;
use crate::report::{self, Style};
use crate::write::plan::{self, Action, Conflict};

/// What the process prints and how it exits.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: u8,
}

/// Facts about the process's surroundings, read by the binary.
#[derive(Debug, Clone)]
pub struct Context {
    pub cwd: PathBuf,
    /// stderr is a terminal and colour is not disabled by `NO_COLOR`.
    pub color_terminal: bool,
    /// The same for stdout, where `paved diff` writes.
    pub color_stdout: bool,
    /// Someone is there to answer questions: stdin and stderr are terminals.
    pub interactive: bool,
    pub width: usize,
}

pub fn run(cli: Cli, context: &Context) -> Outcome {
    // `--color auto` follows the stream the output goes to.
    let color = |terminal: bool| match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => terminal,
    };
    let style = Style {
        color: color(context.color_terminal),
        width: context.width,
    };
    let today = cli
        .today
        .clone()
        .unwrap_or_else(crate::validate::policy::today);
    if cli.timings {
        crate::diag::timings::enable();
    }
    let result = match cli.command {
        Command::Check {
            format,
            changed_since,
        } => repository(cli.repo.as_deref(), &context.cwd)
            .and_then(|root| check(&root, format, style, &today, changed_since.as_deref())),
        Command::Render {
            check,
            force,
            commit,
            author,
            message,
            env,
            changed_since,
            format,
        } => repository(cli.repo.as_deref(), &context.cwd).and_then(|root| {
            render(
                &root,
                &RenderOptions {
                    check_only: check,
                    force,
                    commit: commit.then_some(CommitOptions { author, message }),
                    env,
                    changed_since,
                    format,
                    style,
                    today: today.clone(),
                },
            )
        }),
        Command::Diff { base, format } => repository(cli.repo.as_deref(), &context.cwd)
            .and_then(|root| diff(&root, &base, format, color(context.color_stdout), &today)),
        Command::Policy {
            command: PolicyCommand::Test { builtin },
        } => repository(cli.repo.as_deref(), &context.cwd).map(|root| policy_test(&root, builtin)),
        Command::Explain { code, list } => {
            let root = repository(cli.repo.as_deref(), &context.cwd)
                .unwrap_or_else(|_| context.cwd.clone());
            explain(&root, code.as_deref(), list)
        }
        Command::Convert {
            command: ConvertCommand::Score { file },
        } => convert_score(cli.repo.as_deref(), &context.cwd, &file, style),
        Command::Schema { name, out } => {
            schema_command(name.as_deref(), out.as_deref(), &context.cwd)
        }
        Command::Init {
            dir,
            team,
            org,
            force,
        } => {
            let root = context.cwd.join(dir.or(cli.repo).unwrap_or_default());
            init(&root, &team, org.as_deref(), force)
        }
        Command::New { command } => repository(cli.repo.as_deref(), &context.cwd)
            .and_then(|root| new(&root, command, context.interactive, style, &today)),
        Command::Graph { format, focus } => repository(cli.repo.as_deref(), &context.cwd)
            .and_then(|root| graph(&root, format, focus.as_deref(), &today)),
        Command::Owners { target, format } => repository(cli.repo.as_deref(), &context.cwd)
            .and_then(|root| owners(&root, &context.cwd, &target, format, &today)),
    };
    let mut outcome = result.unwrap_or_else(|error| Outcome {
        stdout: String::new(),
        stderr: format!("paved: {error}\n"),
        code: error.exit_code(),
    });
    if cli.timings {
        outcome.stderr.push_str(&crate::diag::timings::report());
    }
    outcome
}

/// The repository to work on: `--repo`, else the enclosing git work tree, else `cwd`.
fn repository(repo: Option<&Path>, cwd: &Path) -> Result<PathBuf, Error> {
    match repo {
        Some(repo) => {
            let root = cwd.join(repo);
            if root.is_dir() {
                Ok(root)
            } else {
                Err(Error::Usage(format!(
                    "--repo {}: not a folder",
                    repo.display()
                )))
            }
        }
        None => Ok(cwd
            .ancestors()
            .find(|dir| dir.join(".git").exists())
            .unwrap_or(cwd)
            .to_path_buf()),
    }
}

fn check(
    root: &Path,
    format: report::Format,
    style: Style,
    today: &str,
    since: Option<&str>,
) -> Result<Outcome, Error> {
    let outcome = check::run(&Repo::work_tree(root), today, since)?;
    let output = report::render(format, &outcome.findings, &outcome.stats, style);
    let stderr = scope_note(&outcome) + &output.stderr;
    let code = if outcome.config_invalid {
        2
    } else if outcome
        .findings
        .iter()
        .any(|f| f.severity == Severity::Error)
    {
        1
    } else {
        0
    };
    // The process ends next: freeing thousands of intents one by one would only add
    // to its run time.
    std::mem::forget(outcome);
    Ok(Outcome {
        stdout: output.stdout,
        stderr,
        code,
    })
}

/// With `--changed-since`, what the run covers.
fn scope_note(outcome: &check::Outcome) -> String {
    let Some(changes) = &outcome.changes else {
        return String::new();
    };
    let base = &changes.base;
    if let Some(file) = &changes.global {
        return format!("paved: {file} changed since {base}: every intent is checked\n");
    }
    let Some(selection) = &outcome.selection else {
        return String::new();
    };
    // The selection names removed intents too: only those that exist are counted.
    fn present<V>(names: &BTreeSet<String>, catalog: &BTreeMap<String, V>) -> String {
        let count = names.iter().filter(|n| catalog.contains_key(*n)).count();
        format!("{count} of {}", catalog.len())
    }
    format!(
        "paved: {} changed since {base}: checking {} services and {} teams that they touch\n",
        match changes.files.len() {
            1 => String::from("1 file"),
            n => format!("{n} files"),
        },
        present(&selection.services, &outcome.catalog.services),
        present(&selection.teams, &outcome.catalog.teams),
    )
}

struct RenderOptions {
    check_only: bool,
    force: bool,
    commit: Option<CommitOptions>,
    env: Option<String>,
    changed_since: Option<String>,
    format: report::Format,
    style: Style,
    today: String,
}

struct CommitOptions {
    author: Option<(String, String)>,
    message: Option<String>,
}

fn render(root: &Path, options: &RenderOptions) -> Result<Outcome, Error> {
    // A full run whose inputs and output folder are as the last successful one left
    // them answers from its record (see `memo`); a commit always looks at git.
    let memo_applies = options.changed_since.is_none() && options.commit.is_none();
    let looked_up = memo_applies.then(|| {
        stage("answer from the record of the last render", || {
            crate::write::record::lookup(root, options.env.as_deref(), &options.today)
        })
    });
    let inputs = match looked_up {
        Some(Err(inputs)) => inputs,
        Some(Ok(answer)) => return Ok(memo_outcome(&answer, options)),
        None => None,
    };
    let repo = Repo::work_tree(root);
    let mut checked = check::run(&repo, &options.today, options.changed_since.as_deref())?;
    let note = scope_note(&checked);
    let code = |findings: &[crate::diag::finding::Finding]| {
        if findings.iter().any(|f| f.severity == Severity::Error) {
            1
        } else {
            0
        }
    };
    if checked.config_invalid || code(&checked.findings) != 0 {
        let output = report::render(
            options.format,
            &checked.findings,
            &checked.stats,
            options.style,
        );
        return Ok(Outcome {
            stdout: output.stdout,
            stderr: note + &output.stderr + "paved: nothing rendered; fix the findings first\n",
            code: if checked.config_invalid { 2 } else { 1 },
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
            &mut std::io::stderr(),
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
    let mut used = std::collections::BTreeSet::new();
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
            .map(|c| conflict_finding(&config.output, c, plan.manifest_source.as_ref())),
    );
    crate::diag::finding::sort(&mut findings);
    let output = report::render(options.format, &findings, &checked.stats, options.style);
    let mut stdout = output.stdout;
    let mut stderr = note + &output.stderr;
    if code(&findings) != 0 {
        plan.discard();
        stderr.push_str("paved: nothing written; fix the findings first\n");
        return Ok(Outcome {
            stdout,
            stderr,
            code: 1,
        });
    }
    let summary = counts(
        plan.count(Action::Create),
        plan.count(Action::Update),
        plan.count(Action::Delete),
        plan.unchanged,
    );
    let expiries: Vec<String> = checked.waivers.iter().map(|w| w.expires.clone()).collect();
    let remember = |findings: Vec<crate::diag::finding::Finding>, unchanged: usize| {
        if let Some(inputs) = &inputs
            && selection.is_none()
        {
            stage("record the outcome", || {
                crate::write::record::record(
                    root,
                    inputs,
                    &options.today,
                    &expiries,
                    &crate::write::record::Answer {
                        findings,
                        stats: checked.stats,
                        output: config.output.clone(),
                        unchanged,
                    },
                );
            });
        }
    };
    if options.check_only {
        if plan.is_empty() {
            // Recorded only while no run writes: a check never waits.
            if inputs.is_some()
                && let Some(_lock) = crate::write::lock::try_acquire(root)
            {
                remember(findings, plan.unchanged);
            }
            stderr.push_str(&up_to_date(&config.output, plan.unchanged));
            return Ok(Outcome {
                stdout,
                stderr,
                code: 0,
            });
        }
        // Machine formats own stdout; the diff is for people.
        if options.format == report::Format::Human {
            stdout.push_str(&crate::write::apply::diff(&config.output, &plan));
        }
        stderr.push_str(&format!(
            "paved: {} is out of date ({summary}); run `paved render` and commit the result\n",
            config.output
        ));
        return Ok(Outcome {
            stdout,
            stderr,
            code: 1,
        });
    }
    stage("write", || crate::write::apply::apply(&out, &plan)).map_err(|e| {
        plan.discard();
        Error::io(&output_dir, e)
    })?;
    stderr.push_str(&rendered_into(&config.output, &summary));
    remember(
        findings,
        plan.unchanged + plan.count(Action::Create) + plan.count(Action::Update),
    );
    if let Some(commit) = &options.commit {
        let author = commit
            .author
            .as_ref()
            .map(|(name, email)| (name.as_str(), email.as_str()));
        let committed = stage("commit", || {
            crate::review::git::commit_output(
                root,
                &config.output,
                commit.message.as_deref(),
                author,
            )
        })
        .map_err(Error::Usage)?;
        stderr.push_str(&match committed {
            Some(id) => format!("paved: committed {} as {id}\n", config.output),
            None => format!(
                "paved: {} is committed already; no commit made\n",
                config.output
            ),
        });
    }
    // The process ends next: freeing the catalog one by one would only add to its run
    // time.
    std::mem::forget(checked);
    Ok(Outcome {
        stdout,
        stderr,
        code: 0,
    })
}

/// The outcome of a render answered from the record of the last one.
fn memo_outcome(answer: &crate::write::record::Answer, options: &RenderOptions) -> Outcome {
    let output = report::render(
        options.format,
        &answer.findings,
        &answer.stats,
        options.style,
    );
    let summary = if options.check_only {
        up_to_date(&answer.output, answer.unchanged)
    } else {
        rendered_into(&answer.output, &counts(0, 0, 0, answer.unchanged))
    };
    Outcome {
        stdout: output.stdout,
        stderr: output.stderr + &summary,
        code: 0,
    }
}

fn counts(created: usize, updated: usize, deleted: usize, unchanged: usize) -> String {
    format!("{created} created, {updated} updated, {deleted} deleted, {unchanged} unchanged")
}

fn up_to_date(output: &str, files: usize) -> String {
    format!("paved: {output} is up to date ({files} files)\n")
}

fn rendered_into(output: &str, counts: &str) -> String {
    format!("paved: rendered into {output}: {counts}\n")
}

/// Whether a generated path belongs to the rendered scope: everything, or one
/// environment's files plus those shared by all environments.
fn scope(path: &str, env: Option<&str>) -> bool {
    let Some(env) = env else {
        return true;
    };
    crate::render::owner(path)
        .1
        .is_none_or(|folder| folder == env)
}

fn conflict_finding(
    output: &str,
    conflict: &Conflict,
    manifest: Option<&std::sync::Arc<crate::syntax::source::SourceFile>>,
) -> crate::diag::finding::Finding {
    let at = |path: &str| {
        let file = std::sync::Arc::new(crate::syntax::source::SourceFile::new(path, ""));
        crate::syntax::source::Location::new(&file, file.start())
    };
    let (code, location, message) = match conflict {
        Conflict::Edited { path, delete } => (
            Code::GeneratedFileEdited,
            at(&format!("{output}/{path}")),
            if *delete {
                String::from(
                    "this generated file was edited by hand and paved no longer generates it; it was not deleted",
                )
            } else {
                String::from("this generated file was edited by hand; paved did not overwrite it")
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
                crate::syntax::source::Location::new(file, file.span(*start, *end)),
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
    crate::diag::finding::Finding::at(code, location, message)
}

fn diff(
    root: &Path,
    base: &str,
    format: crate::review::diff::DiffFormat,
    color: bool,
    today: &str,
) -> Result<Outcome, Error> {
    let report = crate::review::diff::run(root, base, today)?;
    let stdout = match format {
        crate::review::diff::DiffFormat::Human => report.human(color),
        crate::review::diff::DiffFormat::Markdown => report.markdown(),
        crate::review::diff::DiffFormat::Json => report.json(),
    };
    Ok(Outcome {
        stdout,
        stderr: String::new(),
        code: 0,
    })
}

fn policy_test(root: &Path, builtin: bool) -> Outcome {
    let report = crate::validate::policy::test(&Repo::work_tree(root), builtin);
    let mut stdout = String::new();
    for (file, test, passed, why) in &report.results {
        let status = if *passed { "PASS" } else { "FAIL" };
        stdout.push_str(&format!("{status} {file}: {test}"));
        if let Some(why) = why {
            stdout.push_str(&format!(" ({why})"));
        }
        stdout.push('\n');
    }
    let failed = report.results.iter().filter(|r| !r.2).count();
    let mut stderr = String::new();
    for finding in &report.findings {
        let location = &finding.location;
        stderr.push_str(&format!(
            "{}:{}:{}: {}\n",
            location.file.path, location.span.line, location.span.column, finding.message
        ));
    }
    stderr.push_str(&format!(
        "paved: {} passed, {failed} failed\n",
        report.results.len() - failed
    ));
    let code = u8::from(failed > 0 || !report.findings.is_empty());
    Outcome {
        stdout,
        stderr,
        code,
    }
}

fn explain(root: &Path, code: Option<&str>, list: bool) -> Result<Outcome, Error> {
    let (policies, _) = crate::validate::policy::load(
        &Repo::work_tree(root),
        crate::model::config::Limits::default().max_file_bytes,
    );
    if list {
        let width = codes::ALL
            .iter()
            .map(|i| i.name.len())
            .chain(policies.rules().map(|r| r.code.len()))
            .max()
            .unwrap_or(0);
        let mut stdout: String = codes::ALL
            .iter()
            .map(|info| {
                format!(
                    "{:width$}  {:7}  {}\n",
                    info.name,
                    info.severity.as_str(),
                    info.summary
                )
            })
            .collect();
        for rule in policies.rules() {
            let severity = if rule.severity == "warn" {
                "warning"
            } else {
                "error"
            };
            stdout.push_str(&format!(
                "{:width$}  {severity:7}  {} (policy)\n",
                rule.code, rule.title
            ));
        }
        return Ok(Outcome {
            stdout,
            ..Outcome::default()
        });
    }
    let code = code.unwrap_or_default();
    if let Some(rule) = policies.rules().find(|r| r.code == code) {
        return Ok(Outcome {
            stdout: format!(
                "{} (policy rule, {}, {})\n\n{}\n\n{}\n\nHow to fix it: {}\n\nA waiver names the rule, a reason and an expiry date; paved.yaml `policies` sets its severity (deny, warn or off).\n",
                rule.code, rule.severity, rule.file, rule.title, rule.description, rule.fix
            ),
            ..Outcome::default()
        });
    }
    let Some(info) = codes::ALL.iter().find(|i| i.name == code) else {
        let names = codes::ALL
            .iter()
            .map(|i| i.name)
            .chain(policies.rules().map(|r| r.code.as_str()));
        let suggestion = crate::diag::finding::did_you_mean(code, names)
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        return Err(Error::Usage(format!(
            "unknown code `{code}`{suggestion} (`paved explain --list` shows them all)"
        )));
    };
    Ok(Outcome {
        stdout: format!(
            "{} ({}, {})\n\n{}\n\n{}\n\nHow to fix it: {}\n",
            info.name,
            info.severity.as_str(),
            info.group,
            info.summary,
            info.explanation,
            info.fix
        ),
        ..Outcome::default()
    })
}

/// `paved convert score FILE`: the Services the file's workloads become, on stdout;
/// nothing but the findings when they have errors.
fn convert_score(
    repo: Option<&Path>,
    cwd: &Path,
    file: &Path,
    style: Style,
) -> Result<Outcome, Error> {
    let path = cwd.join(file);
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
    let schemas = schema::Schemas::new().map_err(Error::Internal)?;
    // The repository's paved.yaml may name the owner of workloads that name none.
    let root = repository(repo, cwd)?;
    let config = crate::load::config::load(&Repo::work_tree(&root), &schemas)
        .map(|loaded| loaded.config)
        .unwrap_or_default();
    let source = std::sync::Arc::new(crate::syntax::source::SourceFile::new(
        file.to_string_lossy().replace('\\', "/"),
        text,
    ));
    let mut findings = Vec::new();
    let services = crate::load::score::convert_file(
        &source,
        &schemas,
        config.default_owner.as_deref(),
        config.limits.yaml,
        &mut findings,
    );
    crate::diag::finding::sort(&mut findings);
    let failed = findings.iter().any(|f| f.severity == Severity::Error);
    if services.is_empty() && !failed {
        return Err(Error::Usage(format!(
            "{}: no Score workload (apiVersion: score.dev/v1b1) in this file",
            file.display()
        )));
    }
    let stats = crate::diag::finding::Stats {
        files: 1,
        intent_files: 1,
        intents: services.len(),
    };
    let report = report::render(report::Format::Human, &findings, &stats, style);
    Ok(Outcome {
        stdout: if failed {
            String::new()
        } else {
            crate::syntax::yaml_out::documents(&services)
        },
        stderr: report.stderr,
        code: u8::from(failed),
    })
}

fn schema_command(name: Option<&str>, out: Option<&Path>, cwd: &Path) -> Result<Outcome, Error> {
    let names: Vec<&str> = schema::FILES
        .iter()
        .map(|(file, _)| file.trim_end_matches(".schema.json"))
        .collect();
    if let Some(dir) = out {
        let dir = cwd.join(dir);
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let mut stderr = String::new();
        for (file, text) in schema::FILES {
            let path = dir.join(file);
            std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
            stderr.push_str(&format!("wrote {}\n", path.display()));
        }
        return Ok(Outcome {
            stderr,
            ..Outcome::default()
        });
    }
    match name {
        Some(name) => {
            let Some((_, text)) = schema::FILES
                .iter()
                .find(|(file, _)| file.trim_end_matches(".schema.json") == name)
            else {
                return Err(Error::Usage(format!(
                    "unknown schema `{name}`; schemas: {}",
                    names.join(", ")
                )));
            };
            Ok(Outcome {
                stdout: (*text).to_string(),
                ..Outcome::default()
            })
        }
        None => Ok(Outcome {
            stdout: names.iter().map(|n| format!("{n}\n")).collect(),
            ..Outcome::default()
        }),
    }
}

fn init(root: &Path, team: &str, org: Option<&str>, force: bool) -> Result<Outcome, Error> {
    let org = match org {
        Some(org) => org.to_string(),
        None => folder_name(root),
    };
    let files = crate::commands::scaffold::init_files(root, &org, team).map_err(Error::Usage)?;
    crate::commands::scaffold::write(root, &files, force).map_err(Error::Usage)?;
    let mut stderr = format!(
        "paved: {} is a paved monorepo now. Wrote:\n",
        root.display()
    );
    for file in &files {
        stderr.push_str(&format!("  {}\n", file.path));
    }
    stderr.push_str(&format!(
        "Next:\n  paved new service --name NAME --owner {team} [--with postgres,redis]\n  paved check\n  paved render\nThen review paved.yaml (cloud account, domains, registries) and commit.\n"
    ));
    Ok(Outcome {
        stderr,
        ..Outcome::default()
    })
}

/// An organisation name from a folder's name: lowercase letters, digits and `-`.
fn folder_name(root: &Path) -> String {
    let name = root
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    // It names clusters and domains too (`<org>-staging`): kept short.
    schema::dns_label(&name, 40).unwrap_or_else(|| String::from("example"))
}

/// The catalog of a repository for the commands that read it, not check it: its
/// findings are `paved check`'s to report, but a broken paved.yaml is an error.
fn catalog(root: &Path, today: &str) -> Result<check::Outcome, Error> {
    let checked = check::run(&Repo::work_tree(root), today, None)?;
    if checked.config_invalid {
        return Err(Error::Usage(String::from(
            "paved.yaml has errors; `paved check` shows them",
        )));
    }
    Ok(checked)
}

fn new(
    root: &Path,
    command: NewCommand,
    interactive: bool,
    style: Style,
    today: &str,
) -> Result<Outcome, Error> {
    let checked = catalog(root, today)?;
    let local_schemas = crate::commands::scaffold::local_schemas(root);
    let schemas = schema::Schemas::new().map_err(Error::Internal)?;
    let file = match command {
        NewCommand::Service {
            name,
            owner,
            kind,
            with,
            public,
            tier,
        } => {
            let asked_nothing = name.is_none()
                && owner.is_none()
                && kind.is_none()
                && with.is_empty()
                && !public
                && tier.is_none();
            let request = if name.is_some() && owner.is_some() {
                crate::commands::scaffold::ServiceRequest {
                    name: name.unwrap_or_default(),
                    owner: owner.unwrap_or_default(),
                    kind: kind.unwrap_or_else(|| String::from("api")),
                    with,
                    public,
                    tier: tier.unwrap_or(3),
                }
            } else if interactive {
                ask_service(
                    &checked,
                    name,
                    owner,
                    kind,
                    with,
                    public,
                    tier,
                    asked_nothing,
                )
                .map_err(|e| Error::Usage(format!("no service written: {e}")))?
            } else {
                let missing: Vec<&str> = [("--name", name.is_none()), ("--owner", owner.is_none())]
                    .into_iter()
                    .filter(|(_, missing)| *missing)
                    .map(|(flag, _)| flag)
                    .collect();
                return Err(Error::Usage(format!(
                    "missing {} (there is no terminal to ask on); for example `paved new service --name billing-api --owner {}`",
                    missing.join(" and "),
                    checked
                        .catalog
                        .teams
                        .keys()
                        .next()
                        .map_or("TEAM", String::as_str)
                )));
            };
            crate::commands::scaffold::check_service(&request, &checked.catalog, &checked.platform)
                .map_err(Error::Usage)?;
            crate::commands::scaffold::service(
                root,
                &checked.config,
                &checked.platform,
                &request,
                local_schemas,
            )
            .map_err(Error::Usage)?
        }
        NewCommand::Team {
            name,
            parent,
            email,
            display_name,
        } => {
            let name = match name {
                Some(name) => name,
                None if interactive => {
                    let mut input = std::io::stdin().lock();
                    let mut output = std::io::stderr();
                    crate::cli::prompt::ask(&mut input, &mut output, "team name", None, &|a| {
                        crate::commands::scaffold::check_name(a)
                    })
                    .map_err(|e| Error::Usage(format!("no team written: {e}")))?
                }
                None => {
                    return Err(Error::Usage(String::from(
                        "missing --name (there is no terminal to ask on); for example `paved new team --name payments`",
                    )));
                }
            };
            let request = crate::commands::scaffold::TeamRequest {
                name,
                parent,
                email,
                display_name,
            };
            crate::commands::scaffold::check_team(&request, &checked.catalog)
                .map_err(Error::Usage)?;
            crate::commands::scaffold::team(root, &request, local_schemas).map_err(Error::Usage)?
        }
    };
    crate::commands::scaffold::validate(&file, &schemas).map_err(Error::Usage)?;
    // What the platform needs for it (a Kafka cluster, an on-call contact for tier 1...)
    // shows only in a check of the whole repository with the new file in it: the file
    // is written, checked with the rest, and taken back if it brings errors.
    let key = |f: &crate::diag::finding::Finding| {
        (
            f.code_name().to_string(),
            f.location.file.path.clone(),
            f.message.clone(),
        )
    };
    let errors =
        |findings: &[crate::diag::finding::Finding]| -> Vec<crate::diag::finding::Finding> {
            findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .cloned()
                .collect()
        };
    let before: std::collections::BTreeSet<_> = errors(&checked.findings).iter().map(key).collect();
    let folder = root.join(&file.path).parent().map(Path::to_path_buf);
    let new_folder = folder.as_ref().filter(|f| !f.exists()).cloned();
    crate::commands::scaffold::write(root, std::slice::from_ref(&file), false)
        .map_err(Error::Usage)?;
    let after = check::run(&Repo::work_tree(root), today, None);
    let introduced: Vec<crate::diag::finding::Finding> = match &after {
        Ok(after) => errors(&after.findings)
            .into_iter()
            .filter(|f| !before.contains(&key(f)))
            .collect(),
        Err(_) => Vec::new(),
    };
    let after = match after {
        Ok(after) => after,
        Err(e) => {
            take_back(root, &file.path, new_folder.as_deref());
            return Err(e);
        }
    };
    if !introduced.is_empty() {
        take_back(root, &file.path, new_folder.as_deref());
        let output = report::render(report::Format::Human, &introduced, &after.stats, style);
        return Ok(Outcome {
            stdout: String::new(),
            stderr: output.stderr
                + &format!(
                    "paved: {} was not written: with it, `paved check` finds the errors above\n",
                    file.path
                ),
            code: 1,
        });
    }
    std::mem::forget(checked);
    Ok(Outcome {
        stderr: format!(
            "paved: wrote {}\nNext: `paved check`, then `paved render` to generate its files.\n",
            file.path
        ),
        ..Outcome::default()
    })
}

/// Remove a file `paved new` wrote, and the folder it made for it.
fn take_back(root: &Path, path: &str, new_folder: Option<&Path>) {
    let _ = std::fs::remove_file(root.join(path));
    if let Some(folder) = new_folder {
        let _ = std::fs::remove_dir(folder);
    }
}

/// Ask on the terminal for what `paved new service` was not told: the name and owner,
/// and, when no flag was given at all, the rest too.
#[allow(clippy::too_many_arguments)]
fn ask_service(
    checked: &check::Outcome,
    name: Option<String>,
    owner: Option<String>,
    kind: Option<String>,
    with: Vec<String>,
    public: bool,
    tier: Option<u8>,
    everything: bool,
) -> std::io::Result<crate::commands::scaffold::ServiceRequest> {
    let mut input = std::io::stdin().lock();
    let mut output = std::io::stderr();
    let catalog = &checked.catalog;
    let name = match name {
        Some(name) => name,
        None => crate::cli::prompt::ask(&mut input, &mut output, "service name", None, &|a| {
            crate::commands::scaffold::check_name(a)?;
            match catalog.services.get(a) {
                Some(e) => Err(format!("`{a}` exists already, in {}", e.origin.file.path)),
                None => Ok(()),
            }
        })?,
    };
    let owner = match owner {
        Some(owner) => owner,
        None => {
            let teams: Vec<&str> = catalog.teams.keys().map(String::as_str).collect();
            let question = format!("owner team ({})", teams.join(", "));
            let default = (teams.len() == 1).then(|| teams[0]);
            crate::cli::prompt::ask(&mut input, &mut output, &question, default, &|a| {
                crate::commands::scaffold::check_owner(a, catalog)
            })?
        }
    };
    if !everything {
        return Ok(crate::commands::scaffold::ServiceRequest {
            name,
            owner,
            kind: kind.unwrap_or_else(|| String::from("api")),
            with,
            public,
            tier: tier.unwrap_or(3),
        });
    }
    let kind = crate::cli::prompt::ask(
        &mut input,
        &mut output,
        "type (api, web, worker)",
        Some("api"),
        &|a| {
            if crate::commands::scaffold::SERVICE_TYPES.contains(&a) {
                Ok(())
            } else {
                Err(String::from("one of api, web, worker"))
            }
        },
    )?;
    let registry = crate::types::Registry::new(&checked.platform);
    let types = registry.names().join(", ");
    let with = crate::cli::prompt::ask(
        &mut input,
        &mut output,
        &format!("resources, comma-separated ({types})"),
        Some(""),
        &|a| {
            for kind in a.split(',').map(str::trim).filter(|k| !k.is_empty()) {
                if registry.find(kind).is_none() {
                    return Err(format!("`{kind}` is not a resource type"));
                }
            }
            Ok(())
        },
    )?;
    let with: Vec<String> = with
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect();
    let public = kind != "worker"
        && crate::cli::prompt::confirm(
            &mut input,
            &mut output,
            "public (on the internet)?",
            false,
        )?;
    let tier = crate::cli::prompt::ask(
        &mut input,
        &mut output,
        "tier, 1 (business-critical) to 4 (best effort)",
        Some("3"),
        &|a| match a.parse::<u8>() {
            Ok(1..=4) => Ok(()),
            _ => Err(String::from("a number from 1 to 4")),
        },
    )?
    .parse()
    .unwrap_or(3);
    Ok(crate::commands::scaffold::ServiceRequest {
        name,
        owner,
        kind,
        with,
        public,
        tier,
    })
}

/// Mermaid refuses flowcharts with more edges than this.
const MERMAID_EDGES: usize = 500;

fn graph(
    root: &Path,
    format: crate::commands::graph::GraphFormat,
    focus: Option<&str>,
    today: &str,
) -> Result<Outcome, Error> {
    let checked = catalog(root, today)?;
    let graph =
        crate::commands::graph::Graph::new(&checked.catalog, focus).map_err(Error::Usage)?;
    let stdout = match format {
        crate::commands::graph::GraphFormat::Mermaid => graph.mermaid(),
        crate::commands::graph::GraphFormat::Dot => graph.dot(),
        crate::commands::graph::GraphFormat::Json => graph.json(),
    };
    let stderr = if format == crate::commands::graph::GraphFormat::Mermaid
        && graph.edges() > MERMAID_EDGES
    {
        format!(
            "paved: the graph has {} edges; Mermaid draws at most {MERMAID_EDGES}: narrow it with --focus, or use --format dot\n",
            graph.edges()
        )
    } else {
        String::new()
    };
    std::mem::forget(checked);
    Ok(Outcome {
        stdout,
        stderr,
        code: 0,
    })
}

fn owners(
    root: &Path,
    cwd: &Path,
    target: &str,
    format: OwnersFormat,
    today: &str,
) -> Result<Outcome, Error> {
    let checked = catalog(root, today)?;
    // A path names a file or folder relative to where paved runs; it need not exist,
    // e.g. a file about to be added or a generated file not yet made.
    let relative = target.contains('/').then(|| {
        let real_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let real_cwd = cwd.canonicalize().unwrap_or_else(|_| cwd.to_path_buf());
        let base = if real_cwd.starts_with(&real_root) {
            crate::load::discover::relative_path(&real_root, &real_cwd)
        } else {
            String::new()
        };
        let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
        for part in target.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                part => parts.push(part),
            }
        }
        parts.join("/")
    });
    let answer = crate::commands::owners::find(
        &checked.catalog,
        &checked.config.output,
        target,
        relative.as_deref(),
    )
    .map_err(Error::Usage)?;
    let stdout = match format {
        OwnersFormat::Human => crate::commands::owners::human(&answer, &checked.catalog),
        OwnersFormat::Json => crate::commands::owners::json(&answer, &checked.catalog),
    };
    std::mem::forget(checked);
    Ok(Outcome {
        stdout,
        ..Outcome::default()
    })
}
