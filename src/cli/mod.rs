//! Running a parsed command line: the library side of the binary.

pub mod args;
pub(crate) mod prompt;
mod show;

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use crate::cli::args::{Cli, Color, Command, ConvertCommand, PolicyCommand};
use crate::diag::error::Error;
use crate::pipeline::render;
use crate::report::Style;

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

/// The process's streams while a command runs, for what cannot wait for its outcome:
/// questions and their answers, and progress such as waiting for another render.
pub struct Console<'a> {
    /// Where answers come from: stdin.
    pub input: &'a mut dyn BufRead,
    /// Where questions and progress go: stderr.
    pub output: &'a mut dyn Write,
}

/// Run the command `cli` in `context`; whatever cannot wait for the outcome goes
/// through `console`.
pub fn run(cli: Cli, context: &Context, console: &mut Console) -> Outcome {
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
    let today = cli.today.clone().unwrap_or_else(today);
    if cli.timings {
        crate::diag::timings::enable();
    }
    let result = match cli.command {
        Command::Check {
            format,
            changed_since,
        } => repository(cli.repo.as_deref(), &context.cwd).and_then(|root| {
            show::check(
                &root,
                format.into(),
                style,
                &today,
                changed_since.as_deref(),
            )
        }),
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
            let options = render::Options {
                check_only: check,
                force,
                commit: commit.then_some(render::CommitOptions { author, message }),
                env,
                changed_since,
                today: today.clone(),
            };
            show::render(&root, &options, format.into(), style, console.output)
        }),
        Command::Diff { base, format } => {
            repository(cli.repo.as_deref(), &context.cwd).and_then(|root| {
                show::diff(
                    &root,
                    &base,
                    format.into(),
                    color(context.color_stdout),
                    &today,
                )
            })
        }
        Command::Policy {
            command: PolicyCommand::Test { builtin },
        } => repository(cli.repo.as_deref(), &context.cwd)
            .map(|root| show::policy_test(&root, builtin)),
        Command::Explain { code, list } => {
            let root = repository(cli.repo.as_deref(), &context.cwd)
                .unwrap_or_else(|_| context.cwd.clone());
            show::explain(&root, code.as_deref(), list)
        }
        Command::Convert {
            command: ConvertCommand::Score { file },
        } => {
            let root = repository(cli.repo.as_deref(), &context.cwd);
            show::convert_score(&context.cwd, &file, root, style)
        }
        Command::Schema { name, out } => {
            show::schema(name.as_deref(), out.as_deref(), &context.cwd)
        }
        Command::Init {
            dir,
            team,
            org,
            force,
        } => {
            let root = context.cwd.join(dir.or(cli.repo).unwrap_or_default());
            show::init(&root, &team, org.as_deref(), force)
        }
        Command::New { command } => {
            repository(cli.repo.as_deref(), &context.cwd).and_then(|root| {
                let console = context.interactive.then_some(console);
                show::new(&root, command, console, style, &today)
            })
        }
        Command::Graph { format, focus } => repository(cli.repo.as_deref(), &context.cwd)
            .and_then(|root| show::graph(&root, format.into(), focus.as_deref(), &today)),
        Command::Owners { target, format } => repository(cli.repo.as_deref(), &context.cwd)
            .and_then(|root| show::owners(&root, &context.cwd, &target, format, &today)),
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

/// Today's date in UTC, `YYYY-MM-DD` (days since the epoch to the civil calendar).
fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0);
    civil(i64::try_from(days).unwrap_or(0))
}

/// The date `days` after 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(civil(0), "1970-01-01");
        assert_eq!(civil(20_775), "2026-11-18");
        assert_eq!(civil(11_016), "2000-02-29");
    }
}
