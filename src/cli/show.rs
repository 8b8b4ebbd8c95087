//! Each command's run: the call into the library, and the values it returns shown as
//! the text of stdout and stderr, with an exit code.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::args::{NewCommand, OwnersFormat};
use crate::cli::{Console, Outcome, prompt};
use crate::commands::graph::{GraphFormat, MERMAID_EDGES};
use crate::commands::new::Added;
use crate::commands::scaffold::{ServiceRequest, TeamRequest};
use crate::diag::error::Error;
use crate::diag::finding::Severity;
use crate::load::repo::Repo;
use crate::pipeline::check::{self, Coverage};
use crate::pipeline::render::{self, Committed, Counts, State};
use crate::report::{self, Style};
use crate::review::diff::DiffFormat;

pub(super) fn check(
    root: &Path,
    format: report::Format,
    style: Style,
    today: &str,
    since: Option<&str>,
) -> Result<Outcome, Error> {
    let outcome = check::run(&Repo::work_tree(root), today, since)?;
    let output = report::render(format, &outcome.findings, &outcome.stats, style);
    let stderr = coverage_note(outcome.coverage().as_ref()) + &output.stderr;
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
fn coverage_note(coverage: Option<&Coverage>) -> String {
    match coverage {
        None => String::new(),
        Some(Coverage::Everything { base, file }) => {
            format!("paved: {file} changed since {base}: every intent is checked\n")
        }
        Some(Coverage::Touched {
            base,
            files,
            services,
            teams,
        }) => format!(
            "paved: {} changed since {base}: checking {} of {} services and {} of {} teams that they touch\n",
            match files {
                1 => String::from("1 file"),
                n => format!("{n} files"),
            },
            services.0,
            services.1,
            teams.0,
            teams.1,
        ),
    }
}

pub(super) fn render(
    root: &Path,
    options: &render::Options,
    format: report::Format,
    style: Style,
    waiting: &mut dyn Write,
) -> Result<Outcome, Error> {
    let rendered = render::run(root, options, waiting)?;
    let output = report::render(format, &rendered.findings, &rendered.stats, style);
    let mut stdout = output.stdout;
    let mut stderr = coverage_note(rendered.coverage.as_ref()) + &output.stderr;
    let out = &rendered.output;
    let code = match &rendered.state {
        State::NotRendered { config_invalid } => {
            stderr.push_str("paved: nothing rendered; fix the findings first\n");
            if *config_invalid { 2 } else { 1 }
        }
        State::NotWritten => {
            stderr.push_str("paved: nothing written; fix the findings first\n");
            1
        }
        State::UpToDate { files } => {
            stderr.push_str(&format!("paved: {out} is up to date ({files} files)\n"));
            0
        }
        State::OutOfDate { counts, plan } => {
            // Machine formats own stdout; the diff is for people.
            if format == report::Format::Human {
                stdout.push_str(&crate::write::apply::diff(out, plan));
            }
            stderr.push_str(&format!(
                "paved: {out} is out of date ({}); run `paved render` and commit the result\n",
                summary(counts)
            ));
            1
        }
        State::Written { counts, committed } => {
            stderr.push_str(&format!(
                "paved: rendered into {out}: {}\n",
                summary(counts)
            ));
            match committed {
                Some(Committed::New(id)) => {
                    stderr.push_str(&format!("paved: committed {out} as {id}\n"));
                }
                Some(Committed::Already) => stderr.push_str(&format!(
                    "paved: {out} is committed already; no commit made\n"
                )),
                None => {}
            }
            0
        }
    };
    Ok(Outcome {
        stdout,
        stderr,
        code,
    })
}

fn summary(counts: &Counts) -> String {
    let Counts {
        created,
        updated,
        deleted,
        unchanged,
    } = counts;
    format!("{created} created, {updated} updated, {deleted} deleted, {unchanged} unchanged")
}

pub(super) fn diff(
    root: &Path,
    base: &str,
    format: DiffFormat,
    color: bool,
    today: &str,
) -> Result<Outcome, Error> {
    let report = crate::pipeline::diff::run(root, base, today)?;
    Ok(Outcome {
        stdout: report.text(format, color),
        stderr: String::new(),
        code: 0,
    })
}

pub(super) fn policy_test(root: &Path, builtin: bool) -> Outcome {
    let tested = crate::commands::policy::test(&Repo::work_tree(root), builtin);
    Outcome {
        stdout: tested.output.stdout,
        stderr: tested.output.stderr,
        code: u8::from(!tested.passed),
    }
}

pub(super) fn explain(root: &Path, code: Option<&str>, list: bool) -> Result<Outcome, Error> {
    let repo = Repo::work_tree(root);
    let stdout = if list {
        crate::commands::explain::list(&repo)
    } else {
        crate::commands::explain::explain(&repo, code.unwrap_or_default())?
    };
    Ok(Outcome {
        stdout,
        ..Outcome::default()
    })
}

/// `paved convert score FILE`: the Services the file's workloads become, on stdout;
/// nothing but the findings when they have errors.
pub(super) fn convert_score(
    cwd: &Path,
    file: &Path,
    root: Result<PathBuf, Error>,
    style: Style,
) -> Result<Outcome, Error> {
    let converted = crate::commands::convert::score(&cwd.join(file), file, root)?;
    let report = report::render(
        report::Format::Human,
        &converted.findings,
        &converted.stats,
        style,
    );
    Ok(Outcome {
        code: u8::from(converted.services.is_none()),
        stdout: converted.services.unwrap_or_default(),
        stderr: report.stderr,
    })
}

pub(super) fn schema(name: Option<&str>, out: Option<&Path>, cwd: &Path) -> Result<Outcome, Error> {
    if let Some(dir) = out {
        let written = crate::commands::schema::export(&cwd.join(dir))?;
        return Ok(Outcome {
            stderr: written
                .iter()
                .map(|path| format!("wrote {}\n", path.display()))
                .collect(),
            ..Outcome::default()
        });
    }
    let stdout = match name {
        Some(name) => crate::commands::schema::text(name)?.to_string(),
        None => crate::commands::schema::list(),
    };
    Ok(Outcome {
        stdout,
        ..Outcome::default()
    })
}

pub(super) fn init(
    root: &Path,
    team: &str,
    org: Option<&str>,
    force: bool,
) -> Result<Outcome, Error> {
    let files = crate::commands::init::init(root, team, org, force)?;
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

/// `paved new`: what the flags do not say is asked on the terminal, when there is one.
pub(super) fn new(
    root: &Path,
    command: NewCommand,
    console: Option<&mut Console>,
    style: Style,
    today: &str,
) -> Result<Outcome, Error> {
    let checked = crate::commands::catalog(root, today)?;
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
                ServiceRequest {
                    name: name.unwrap_or_default(),
                    owner: owner.unwrap_or_default(),
                    kind: kind.unwrap_or_else(|| String::from("api")),
                    with,
                    public,
                    tier: tier.unwrap_or(3),
                }
            } else if let Some(console) = console {
                prompt::ask_service(
                    console,
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
            crate::commands::new::service(root, &checked, &request)?
        }
        NewCommand::Team {
            name,
            parent,
            email,
            display_name,
        } => {
            let name = match (name, console) {
                (Some(name), _) => name,
                (None, Some(console)) => prompt::ask_team_name(console)
                    .map_err(|e| Error::Usage(format!("no team written: {e}")))?,
                (None, None) => {
                    return Err(Error::Usage(String::from(
                        "missing --name (there is no terminal to ask on); for example `paved new team --name payments`",
                    )));
                }
            };
            let request = TeamRequest {
                name,
                parent,
                email,
                display_name,
            };
            crate::commands::new::team(root, &checked, &request)?
        }
    };
    match crate::commands::new::add(root, checked, file, today)? {
        Added::Written(path) => Ok(Outcome {
            stderr: format!(
                "paved: wrote {path}\nNext: `paved check`, then `paved render` to generate its files.\n"
            ),
            ..Outcome::default()
        }),
        Added::Refused {
            path,
            findings,
            stats,
        } => {
            let output = report::render(report::Format::Human, &findings, &stats, style);
            Ok(Outcome {
                stdout: String::new(),
                stderr: output.stderr
                    + &format!(
                        "paved: {path} was not written: with it, `paved check` finds the errors above\n"
                    ),
                code: 1,
            })
        }
    }
}

pub(super) fn graph(
    root: &Path,
    format: GraphFormat,
    focus: Option<&str>,
    today: &str,
) -> Result<Outcome, Error> {
    let checked = crate::commands::catalog(root, today)?;
    let graph =
        crate::commands::graph::Graph::new(&checked.catalog, focus).map_err(Error::Usage)?;
    let stderr = if format == GraphFormat::Mermaid && graph.edges() > MERMAID_EDGES {
        format!(
            "paved: the graph has {} edges; Mermaid draws at most {MERMAID_EDGES}: narrow it with --focus, or use --format dot\n",
            graph.edges()
        )
    } else {
        String::new()
    };
    let stdout = graph.text(format);
    std::mem::forget(checked);
    Ok(Outcome {
        stdout,
        stderr,
        code: 0,
    })
}

pub(super) fn owners(
    root: &Path,
    cwd: &Path,
    target: &str,
    format: OwnersFormat,
    today: &str,
) -> Result<Outcome, Error> {
    let checked = crate::commands::catalog(root, today)?;
    let relative = crate::commands::owners::relative(root, cwd, target);
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
