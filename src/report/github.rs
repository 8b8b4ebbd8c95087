//! GitHub Actions workflow commands: `::error file=..,line=..::message` lines that the
//! runner turns into annotations on the pull request's diff.

use crate::diag::finding::{Finding, Severity};

pub(super) fn render(findings: &[Finding]) -> String {
    let mut out = String::new();
    for finding in findings {
        let command = match finding.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
        let location = &finding.location;
        let (end_line, end_column) = location.end_line_column();
        let end_column = if end_line == location.span.line {
            end_column.max(location.span.column + 1)
        } else {
            end_column
        };
        out.push_str(&format!(
            "::{command} file={},line={},col={},endLine={end_line},endColumn={end_column},title={}::{}\n",
            property(&location.file.path),
            location.span.line,
            location.span.column,
            property(&format!("paved {}", finding.code_name())),
            data(&format!("{}\nhelp: {}", finding.message, finding.help)),
        ));
    }
    out
}

/// Escaping of a command's message (the runner's `escapeData`).
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of a command's property value (the runner's `escapeProperty`).
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_follows_the_runner() {
        assert_eq!(data("50%\nnext"), "50%25%0Anext");
        assert_eq!(property("a,b:c"), "a%2Cb%3Ac");
    }
}
