//! SARIF 2.1.0, the format GitHub code scanning (and most CI dashboards) ingest.
//!
//! Every code is a rule of the driver, so rule indexes are stable between runs.
//! Paths are relative to `%SRCROOT%` (the repository root); columns count Unicode
//! code points, as paved's do.

use serde_sarif::sarif;

use crate::codes::{self, Code};
use crate::finding::{Finding, Severity};
use crate::source;

const INFORMATION_URI: &str = "https://github.com/paved-dev/paved";

pub fn render(findings: &[Finding]) -> String {
    let rules: Vec<sarif::ReportingDescriptor> = codes::ALL
        .iter()
        .map(|info| {
            sarif::ReportingDescriptor::builder()
                .id(info.name)
                .name(rule_name(info.name))
                .short_description(text(info.summary))
                .full_description(text(info.explanation))
                .help(text(&format!("{}\n\nFix: {}", info.explanation, info.fix)))
                .default_configuration(
                    sarif::ReportingConfiguration::builder()
                        .level(serde_json::json!(level(info.severity)))
                        .build(),
                )
                .properties(
                    sarif::PropertyBag::builder()
                        .tags(vec![String::from("paved"), info.group.to_string()])
                        .build(),
                )
                .build()
        })
        .collect();
    let results: Vec<sarif::Result> = findings.iter().map(result).collect();
    let driver = sarif::ToolComponent::builder()
        .name("paved")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(INFORMATION_URI)
        .rules(rules)
        .build();
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .results(results)
        .column_kind(serde_json::json!("unicodeCodePoints"))
        .original_uri_base_ids(
            [(
                String::from("%SRCROOT%"),
                sarif::ArtifactLocation::builder()
                    .description(
                        sarif::Message::builder()
                            .text("The repository root.")
                            .build(),
                    )
                    .build(),
            )]
            .into_iter()
            .collect::<std::collections::BTreeMap<_, _>>(),
        )
        .build();
    let log = sarif::Sarif::builder()
        .schema(sarif::SCHEMA_URL)
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build();
    let mut out = serde_json::to_string_pretty(&log).expect("SARIF values always serialize");
    out.push('\n');
    out
}

fn result(finding: &Finding) -> sarif::Result {
    let related: Vec<sarif::Location> = finding
        .related
        .iter()
        .enumerate()
        .map(|(i, r)| {
            sarif::Location::builder()
                .id(i64::try_from(i).unwrap_or(i64::MAX))
                .physical_location(physical(&r.location))
                .message(sarif::Message::builder().text(&r.message).build())
                .build()
        })
        .collect();
    let builder = sarif::Result::builder()
        .rule_id(finding.code.name())
        .rule_index(rule_index(finding.code))
        .level(result_level(finding.severity))
        .message(
            sarif::Message::builder()
                .text(format!("{}\nhelp: {}", finding.message, finding.help))
                .build(),
        )
        .locations(vec![
            sarif::Location::builder()
                .physical_location(physical(&finding.location))
                .build(),
        ]);
    if related.is_empty() {
        builder.build()
    } else {
        builder.related_locations(related).build()
    }
}

fn physical(location: &source::Location) -> sarif::PhysicalLocation {
    let (end_line, end_column) = location.end_line_column();
    let start_line = i64::from(location.span.line);
    let start_column = i64::from(location.span.column);
    // An empty span still covers one column, so viewers have something to highlight.
    let end_column = if end_line == location.span.line {
        i64::from(end_column).max(start_column + 1)
    } else {
        i64::from(end_column)
    };
    sarif::PhysicalLocation::builder()
        .artifact_location(
            sarif::ArtifactLocation::builder()
                .uri(uri_path(&location.file.path))
                .uri_base_id("%SRCROOT%")
                .build(),
        )
        .region(
            sarif::Region::builder()
                .start_line(start_line)
                .start_column(start_column)
                .end_line(i64::from(end_line))
                .end_column(end_column)
                .build(),
        )
        .build()
}

fn text(s: &str) -> sarif::MultiformatMessageString {
    sarif::MultiformatMessageString::builder().text(s).build()
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

fn result_level(severity: Severity) -> sarif::ResultLevel {
    match severity {
        Severity::Error => sarif::ResultLevel::Error,
        Severity::Warning => sarif::ResultLevel::Warning,
        Severity::Note => sarif::ResultLevel::Note,
    }
}

fn rule_index(code: Code) -> i64 {
    let index = codes::ALL
        .iter()
        .position(|info| info.code == code)
        .unwrap_or_default();
    i64::try_from(index).unwrap_or_default()
}

/// `unknown-owner` becomes `UnknownOwner`: SARIF rule names are identifiers.
fn rule_name(code: &str) -> String {
    code.split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// A relative path as a URI reference: every byte outside the unreserved set and `/`
/// is percent-encoded.
fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_uri_references() {
        assert_eq!(
            uri_path("services/a b/é.yaml"),
            "services/a%20b/%C3%A9.yaml"
        );
    }

    #[test]
    fn rule_names_are_identifiers() {
        assert_eq!(rule_name("unknown-owner"), "UnknownOwner");
    }
}
