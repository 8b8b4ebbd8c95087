//! Turning findings into text: for people (human), for programs (json), for code
//! scanning (sarif) and for GitHub Actions logs (github).

mod github;
mod human;
mod json;
mod sarif;

use crate::diag::finding::{Finding, Stats};

/// Output formats of `paved check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Diagnostics with source snippets, on stderr.
    Human,
    /// One JSON document, on stdout.
    Json,
    /// SARIF 2.1.0 for code scanning, on stdout.
    Sarif,
    /// GitHub Actions workflow commands (annotations), on stdout.
    Github,
}

/// Text for the two output streams.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Output {
    pub stdout: String,
    pub stderr: String,
}

/// Options of the human format.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    pub color: bool,
    pub width: usize,
}

impl Default for Style {
    fn default() -> Self {
        Self {
            color: false,
            width: 100,
        }
    }
}

/// Render findings in `format`, with secret values masked (see [`crate::diag::mask`]) in
/// their texts and, for people, in the source lines shown.
pub(crate) fn render(format: Format, findings: &[Finding], stats: &Stats, style: Style) -> Output {
    let masked: Vec<Finding> = findings.iter().map(masked).collect();
    let findings = masked.as_slice();
    match format {
        Format::Human => Output {
            stdout: String::new(),
            stderr: human::render(findings, stats, style),
        },
        Format::Json => Output {
            stdout: json::render(findings, stats),
            stderr: String::new(),
        },
        Format::Sarif => Output {
            stdout: sarif::render(findings),
            stderr: String::new(),
        },
        Format::Github => Output {
            stdout: github::render(findings),
            stderr: String::new(),
        },
    }
}

fn masked(finding: &Finding) -> Finding {
    let text = |text: &String| crate::diag::mask::mask(text).into_owned();
    let mut finding = finding.clone();
    finding.message = text(&finding.message);
    finding.label = text(&finding.label);
    finding.help = text(&finding.help);
    for related in &mut finding.related {
        related.message = text(&related.message);
    }
    finding
}
