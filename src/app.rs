//! Running a parsed command line: the library side of the binary.

use std::path::{Path, PathBuf};

use crate::check;
use crate::cli::{Cli, Color, Command};
use crate::codes;
use crate::error::Error;
use crate::finding::Severity;
use crate::report::{self, Style};
use crate::schema;

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
    pub width: usize,
}

pub fn run(cli: Cli, context: &Context) -> Outcome {
    let color = match cli.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => context.color_terminal,
    };
    let style = Style {
        color,
        width: context.width,
    };
    let result = match cli.command {
        Command::Check { format } => repository(cli.repo.as_deref(), &context.cwd)
            .and_then(|root| check(&root, format, style)),
        Command::Explain { code, list } => explain(code.as_deref(), list),
        Command::Schema { name, out } => {
            schema_command(name.as_deref(), out.as_deref(), &context.cwd)
        }
    };
    result.unwrap_or_else(|error| Outcome {
        stdout: String::new(),
        stderr: format!("paved: {error}\n"),
        code: error.exit_code(),
    })
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

fn check(root: &Path, format: report::Format, style: Style) -> Result<Outcome, Error> {
    let outcome = check::run(root)?;
    let output = report::render(format, &outcome.findings, &outcome.stats, style);
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
        stderr: output.stderr,
        code,
    })
}

fn explain(code: Option<&str>, list: bool) -> Result<Outcome, Error> {
    if list {
        let width = codes::ALL.iter().map(|i| i.name.len()).max().unwrap_or(0);
        let stdout = codes::ALL
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
        return Ok(Outcome {
            stdout,
            ..Outcome::default()
        });
    }
    let code = code.unwrap_or_default();
    let Some(info) = codes::ALL.iter().find(|i| i.name == code) else {
        let suggestion = crate::finding::did_you_mean(code, codes::ALL.iter().map(|i| i.name))
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
