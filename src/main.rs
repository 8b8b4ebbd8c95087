use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // A panic is a bug, never the user's fault: report it as an internal failure.
    std::panic::set_hook(Box::new(|info| {
        let _ = writeln!(
            std::io::stderr(),
            "paved: internal error: {info}\nThis is a bug in paved; please report it with the input that triggers it."
        );
    }));
    let cli = paved::cli::args::Cli::parse();
    let context = paved::cli::Context {
        cwd: std::env::current_dir().unwrap_or_else(|_| ".".into()),
        color_terminal: std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        color_stdout: std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
        width: std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(100),
    };
    let outcome = match std::panic::catch_unwind(|| paved::cli::run(cli, &context)) {
        Ok(outcome) => outcome,
        Err(_) => return ExitCode::from(3),
    };
    // A closed pipe (`paved check | head`) is not an error worth reporting.
    let _ = std::io::stdout().write_all(outcome.stdout.as_bytes());
    let _ = std::io::stderr().write_all(outcome.stderr.as_bytes());
    ExitCode::from(outcome.code)
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
