//! Diagnostics for people: miette's graphical reports with the offending lines.

use std::fmt;
use std::sync::Arc;

use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan,
};

use crate::diag::finding::{Finding, Related, Severity, Stats, Tally};
use crate::syntax::source::{Location, SourceFile};

use super::Style;

pub(super) fn render(findings: &[Finding], stats: &Stats, style: Style) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_links(false)
        .with_context_lines(1);
    let mut out = String::new();
    let mut masked = Masked::default();
    for finding in findings {
        if let Some(waived) = &finding.waived {
            // A waived finding is settled: one line says where and until when.
            let location = &finding.location;
            out.push_str(&format!(
                "waived {} at {}:{}:{} until {} ({}:{})\n",
                finding.code_name(),
                location.file.path,
                location.span.line,
                location.span.column,
                waived.expires,
                waived.location.file.path,
                waived.location.span.line,
            ));
            continue;
        }
        let diagnostic = FindingDiagnostic::new(finding, &mut masked);
        if handler.render_report(&mut out, &diagnostic).is_err() {
            // Rendering into a String cannot fail; keep a plain line if it ever does.
            out.push_str(&plain(finding));
        }
        out.push('\n');
    }
    out.push_str(&summary(findings, stats));
    out
}

fn plain(finding: &Finding) -> String {
    let location = &finding.location;
    format!(
        "{}:{}:{}: {} [{}] {}\n",
        location.file.path,
        location.span.line,
        location.span.column,
        finding.severity,
        finding.code_name(),
        finding.message
    )
}

fn summary(findings: &[Finding], stats: &Stats) -> String {
    let tally = Tally::of(findings);
    let intents = plural(stats.intents, "intent");
    let files = plural(stats.intent_files, "file");
    if findings.is_empty() {
        return format!("paved: checked {intents} in {files}, no findings\n");
    }
    let mut parts = Vec::new();
    if tally.errors > 0 {
        parts.push(plural(tally.errors, "error"));
    }
    if tally.warnings > 0 {
        parts.push(plural(tally.warnings, "warning"));
    }
    let waived = findings.iter().filter(|f| f.waived.is_some()).count();
    if waived > 0 {
        parts.push(format!("{waived} waived"));
    }
    if tally.notes > waived {
        parts.push(plural(tally.notes - waived, "note"));
    }
    let mut line = format!("paved: {} (checked {intents} in {files})", parts.join(", "));
    if let Some(first) = findings.iter().find(|f| f.waived.is_none()) {
        line.push_str(&format!(
            "; `paved explain {}` tells more about a code",
            first.code_name()
        ));
    }
    line.push('\n');
    line
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// A finding as a miette diagnostic. Related places in the same file become secondary
/// labels; places in other files become related diagnostics with their own snippet.
struct FindingDiagnostic<'a> {
    finding: &'a Finding,
    source: NamedSource<Arc<str>>,
    elsewhere: Vec<RelatedDiagnostic>,
}

impl<'a> FindingDiagnostic<'a> {
    fn new(finding: &'a Finding, masked: &mut Masked) -> Self {
        let file = &finding.location.file;
        Self {
            finding,
            source: NamedSource::new(&file.path, masked.text(file)),
            elsewhere: finding
                .related
                .iter()
                .filter(|r| !Arc::ptr_eq(&r.location.file, file))
                .map(|related| RelatedDiagnostic::new(related, masked))
                .collect(),
        }
    }
}

/// Files' texts with secret values masked, each masked once however many findings
/// show it; masking keeps byte offsets, so spans still fit.
#[derive(Default)]
struct Masked(std::collections::HashMap<*const SourceFile, Arc<str>>);

impl Masked {
    fn text(&mut self, file: &Arc<SourceFile>) -> Arc<str> {
        let text =
            self.0.entry(Arc::as_ptr(file)).or_insert_with(|| {
                match crate::diag::mask::mask(&file.text) {
                    std::borrow::Cow::Borrowed(_) => Arc::clone(&file.text),
                    std::borrow::Cow::Owned(masked) => Arc::from(masked),
                }
            });
        Arc::clone(text)
    }
}

fn source_span(location: &Location) -> SourceSpan {
    SourceSpan::from((location.span.start, location.span.len()))
}

impl fmt::Debug for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FindingDiagnostic")
            .field("code", &self.finding.code)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.finding.message)
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.finding.code_name()))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.finding.help))
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let file = &self.finding.location.file;
        let primary = LabeledSpan::new_primary_with_span(
            Some(self.finding.label.clone()),
            source_span(&self.finding.location),
        );
        let secondary = self
            .finding
            .related
            .iter()
            .filter(|r| Arc::ptr_eq(&r.location.file, file))
            .map(|r| LabeledSpan::new_with_span(Some(r.message.clone()), source_span(&r.location)));
        Some(Box::new(std::iter::once(primary).chain(secondary)))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b>> {
        if self.elsewhere.is_empty() {
            return None;
        }
        Some(Box::new(
            self.elsewhere.iter().map(|d| d as &dyn Diagnostic),
        ))
    }
}

/// A related place in another file.
struct RelatedDiagnostic {
    message: String,
    span: SourceSpan,
    source: NamedSource<Arc<str>>,
}

impl RelatedDiagnostic {
    fn new(related: &Related, masked: &mut Masked) -> Self {
        let file = &related.location.file;
        Self {
            message: related.message.clone(),
            span: source_span(&related.location),
            source: NamedSource::new(&file.path, masked.text(file)),
        }
    }
}

impl fmt::Debug for RelatedDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for RelatedDiagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RelatedDiagnostic {}

impl Diagnostic for RelatedDiagnostic {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(None, self.span),
        )))
    }
}
