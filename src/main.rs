use std::io::{IsTerminal, Write};
use std::panic::AssertUnwindSafe;
use std::process::ExitCode;

use clap::Parser;

// The binary owns the process's streams: it alone reads stdin and writes stdout and
// stderr, which clippy.toml keeps out of the library.
#[allow(clippy::disallowed_methods)]
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
    let mut console = paved::cli::Console {
        input: &mut std::io::stdin().lock(),
        output: &mut std::io::stderr(),
    };
    // After a panic nothing of the run is used again: its hook has reported it.
    let outcome = match std::panic::catch_unwind(AssertUnwindSafe(|| {
        paved::cli::run(cli, &context, &mut console)
    })) {
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
