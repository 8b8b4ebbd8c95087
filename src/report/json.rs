//! The JSON report: one document on stdout, stable field names.

use serde_json::{Value, json};

use crate::diag::finding::{Finding, Stats, Tally};

pub(super) fn render(findings: &[Finding], stats: &Stats) -> String {
    let tally = Tally::of(findings);
    let document = json!({
        "version": 1,
        "tool": { "name": "paved", "version": env!("CARGO_PKG_VERSION") },
        "summary": {
            "errors": tally.errors,
            "warnings": tally.warnings,
            "notes": tally.notes,
            "files": stats.files,
            "intentFiles": stats.intent_files,
            "intents": stats.intents,
        },
        "findings": findings.iter().map(finding).collect::<Vec<_>>(),
    });
    let mut text = serde_json::to_string_pretty(&document).expect("JSON values always serialize");
    text.push('\n');
    text
}

pub(super) fn finding(finding: &Finding) -> Value {
    let location = &finding.location;
    let (end_line, end_column) = location.end_line_column();
    let mut value = json!({
        "code": finding.code_name(),
        "severity": finding.severity.as_str(),
        "message": finding.message,
        "help": finding.help,
        "file": location.file.path,
        "line": location.span.line,
        "column": location.span.column,
        "endLine": end_line,
        "endColumn": end_column,
        "related": finding.related.iter().map(|r| {
            let mut related = json!({
                "file": r.location.file.path,
                "line": r.location.span.line,
                "column": r.location.span.column,
                "message": r.message,
            });
            // A file of paved's (a built-in policy), which the repository does not hold.
            if r.location.file.built_in {
                related["builtIn"] = json!(true);
            }
            related
        }).collect::<Vec<_>>(),
    });
    if location.file.built_in {
        value["builtIn"] = json!(true);
    }
    if let Some(waived) = &finding.waived {
        value["waived"] = json!({
            "reason": waived.reason,
            "expires": waived.expires,
            "file": waived.location.file.path,
            "line": waived.location.span.line,
        });
    }
    value
}
