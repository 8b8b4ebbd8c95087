//! Findings: what paved reports about the user's files.

use std::fmt;
use std::sync::Arc;

use crate::diag::codes::Code;
use crate::syntax::source::{Location, SourceFile, Span};
use crate::syntax::yaml;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Another place that explains a finding, such as the first of two duplicates.
#[derive(Debug, Clone)]
pub struct Related {
    pub location: Location,
    pub message: String,
}

/// A policy rule's description, as its `meta` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub code: String,
    pub title: String,
    pub description: String,
    pub fix: String,
    /// `deny` or `warn`, before paved.yaml's settings.
    pub severity: String,
    /// The policy file.
    pub file: String,
}

/// The exception that silences a finding.
#[derive(Debug, Clone)]
pub struct Waived {
    pub reason: String,
    pub expires: String,
    pub location: Location,
}

/// One problem in the user's files, at a place in one of them.
#[derive(Debug, Clone)]
pub struct Finding {
    pub code: Code,
    /// Set when a policy rule found this: its code names the finding.
    pub rule: Option<Arc<Rule>>,
    /// Set when a waiver silences the finding (it is then reported as a note).
    pub waived: Option<Waived>,
    pub severity: Severity,
    pub message: String,
    /// How to fix this occurrence; the code's general fix when nothing more precise fits.
    pub help: String,
    pub location: Location,
    /// What the primary label under the source snippet says.
    pub label: String,
    pub related: Vec<Related>,
}

impl Finding {
    pub fn new(code: Code, file: &Arc<SourceFile>, span: Span, message: impl Into<String>) -> Self {
        Self::at(code, Location::new(file, span), message)
    }

    /// A finding at a location already resolved.
    pub fn at(code: Code, location: Location, message: impl Into<String>) -> Self {
        Self {
            code,
            rule: None,
            waived: None,
            severity: code.severity(),
            message: message.into(),
            help: code.info().fix.to_string(),
            location,
            label: String::from("here"),
            related: Vec::new(),
        }
    }

    /// The code shown for the finding: the policy rule's, or the built-in one.
    pub fn code_name(&self) -> &str {
        match &self.rule {
            Some(rule) => &rule.code,
            None => self.code.name(),
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = help.into();
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn related(mut self, location: Location, message: impl Into<String>) -> Self {
        self.related.push(Related {
            location,
            message: message.into(),
        });
        self
    }

    pub fn severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// Sort key: file, position, code, message, so output never depends on thread timing.
    fn sort_key(&self) -> (&str, usize, &str, &str) {
        (
            &self.location.file.path,
            self.location.span.start,
            self.code_name(),
            &self.message,
        )
    }
}

/// Sort findings into their reporting order and drop exact repeats.
pub fn sort(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    findings.dedup_by(|a, b| a.sort_key() == b.sort_key());
}

/// Counts per severity.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
}

impl Tally {
    pub fn of(findings: &[Finding]) -> Self {
        let mut tally = Tally::default();
        for finding in findings {
            match finding.severity {
                Severity::Error => tally.errors += 1,
                Severity::Warning => tally.warnings += 1,
                Severity::Note => tally.notes += 1,
            }
        }
        tally
    }
}

/// The closest of `candidates` to `word`, if it is close enough to be a likely typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|&(score, _)| score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

/// `a`, `b` and `c`: a list for messages.
pub fn list<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    join(items, "and")
}

/// `a`, `b` or `c`: a list of alternatives for messages.
pub fn list_or<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    join(items, "or")
}

fn join<S: AsRef<str>>(items: impl IntoIterator<Item = S>, last: &str) -> String {
    let items: Vec<String> = items
        .into_iter()
        .map(|s| format!("`{}`", s.as_ref()))
        .collect();
    match items.len() {
        0 => String::from("none"),
        1 => items[0].clone(),
        n => format!("{} {last} {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

/// A user string made safe and short for a one-line message.
pub fn printable(s: &str) -> String {
    const MAX: usize = 64;
    let mut out: String = s
        .chars()
        .take(MAX)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if s.chars().count() > MAX {
        out.push('…');
    }
    out
}

/// What a check looked at, for the summary under its findings.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// YAML files looked at.
    pub files: usize,
    /// Files that hold at least one paved intent.
    pub intent_files: usize,
    /// Intent documents, valid or not.
    pub intents: usize,
}

/// A YAML problem as a finding.
pub fn yaml_finding(file: &Arc<SourceFile>, problem: &yaml::Problem) -> Finding {
    use yaml::ProblemKind as P;
    let code = match problem.kind {
        P::Syntax => Code::YamlSyntax,
        P::DuplicateKey { .. } => Code::YamlDuplicateKey,
        P::ComplexKey => Code::YamlComplexKey,
        P::AliasLimit => Code::YamlAliasLimit,
        P::TooDeep => Code::YamlTooDeep,
        P::TooManyDocuments => Code::YamlTooManyDocuments,
        P::StringTooLong => Code::YamlStringTooLong,
    };
    let mut span = problem.span;
    let mut message = problem.message.clone();
    if problem.kind == P::Syntax {
        // A parser that ran off the end reports the end of the file; the last thing
        // written is a better place to look.
        let content = file.text.trim_end().len();
        if span.start > content && content > 0 {
            let last = file.text[..content]
                .char_indices()
                .next_back()
                .map_or(0, |(i, _)| i);
            span = file.span(last, content);
        }
        message = format!("invalid YAML: {message}");
    }
    // A string over the limit is shown only up to where it starts: it may be a secret,
    // and it would flood the log.
    let truncated;
    let file = if problem.kind == P::StringTooLong {
        truncated = Arc::new(SourceFile::new(
            file.path.clone(),
            file.text[..span.start].to_string(),
        ));
        &truncated
    } else {
        file
    };
    let mut finding = Finding::new(code, file, span, message);
    if let P::DuplicateKey { first } = problem.kind {
        finding = finding
            .label("duplicate key")
            .related(Location::new(file, first), "first defined here");
    }
    if problem.kind == P::Syntax {
        let line_text = file
            .text
            .lines()
            .nth(problem.span.line.saturating_sub(1) as usize)
            .unwrap_or_default();
        finding = if line_text.trim_start_matches(' ').starts_with('\t') {
            finding.help("indent with spaces: YAML does not allow tabs for indentation")
        } else {
            finding.help(
                "the parser stopped here; the cause may be earlier: an unclosed bracket or quote, a tab, or a `key: value: value` line",
            )
        };
    }
    finding
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_only_for_close_words() {
        assert_eq!(
            did_you_mean("replica", ["replicas", "ports"]),
            Some("replicas")
        );
        assert_eq!(did_you_mean("zzz", ["replicas", "ports"]), None);
    }

    #[test]
    fn lists_read_as_prose() {
        assert_eq!(list(["a"]), "`a`");
        assert_eq!(list(["a", "b", "c"]), "`a`, `b` and `c`");
        assert_eq!(list(Vec::<String>::new()), "none");
        assert_eq!(list_or(["a", "b"]), "`a` or `b`");
    }
}
