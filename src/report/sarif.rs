//! SARIF 2.1.0, the format GitHub code scanning (and most CI dashboards) ingest.
//!
//! Every code is a rule of the driver, so rule indexes are stable between runs.
//! Paths are relative to `%SRCROOT%` (the repository root), or to `%PAVED%` for the
//! files built into paved (a built-in policy a finding's label points at); columns
//! count Unicode code points, as paved's do.

use serde_sarif::sarif;

use crate::diag::codes;
use crate::diag::finding::{Finding, Rule, Severity};
use crate::syntax::source;

const INFORMATION_URI: &str = "https://github.com/paved-dev/paved";

/// The base of the paths of the repository's files.
const SRCROOT: &str = "%SRCROOT%";
/// The base of the paths of paved's own files, which are in no repository a viewer has.
const PAVED: &str = "%PAVED%";

fn descriptor(
    id: &str,
    summary: &str,
    explanation: &str,
    fix: &str,
    severity: Severity,
    group: &str,
) -> sarif::ReportingDescriptor {
    sarif::ReportingDescriptor::builder()
        .id(id)
        .name(rule_name(id))
        .short_description(text(summary))
        .full_description(text(explanation))
        .help(text(&format!("{explanation}\n\nFix: {fix}")))
        .default_configuration(
            sarif::ReportingConfiguration::builder()
                .level(serde_json::json!(level(severity)))
                .build(),
        )
        .properties(
            sarif::PropertyBag::builder()
                .tags(vec![String::from("paved"), group.to_string()])
                .build(),
        )
        .build()
}

pub(super) fn render(findings: &[Finding]) -> String {
    // Built-in codes first, in their fixed order; then the policy rules that fired.
    let mut ids: Vec<String> = codes::ALL.iter().map(|i| i.name.to_string()).collect();
    let mut rules: Vec<sarif::ReportingDescriptor> = codes::ALL
        .iter()
        .map(|info| {
            descriptor(
                info.name,
                info.summary,
                info.explanation,
                info.fix,
                info.severity,
                info.group,
            )
        })
        .collect();
    let mut policy_rules: Vec<&Rule> = findings.iter().filter_map(|f| f.rule.as_deref()).collect();
    policy_rules.sort_by(|a, b| a.code.cmp(&b.code));
    policy_rules.dedup_by(|a, b| a.code == b.code);
    for rule in policy_rules {
        let severity = if rule.severity == "warn" {
            Severity::Warning
        } else {
            Severity::Error
        };
        rules.push(descriptor(
            &rule.code,
            &rule.title,
            &rule.description,
            &rule.fix,
            severity,
            "policy",
        ));
        ids.push(rule.code.clone());
    }
    let results: Vec<sarif::Result> = findings.iter().map(|f| result(f, &ids)).collect();
    let mut bases = vec![(SRCROOT, "The repository root.")];
    let built_in = findings
        .iter()
        .any(|f| f.location.file.built_in || f.related.iter().any(|r| r.location.file.built_in));
    if built_in {
        bases.push((
            PAVED,
            "Files built into paved, such as its built-in policies; `paved explain <code>` describes a policy rule.",
        ));
    }
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
            bases
                .into_iter()
                .map(|(id, description)| {
                    let location = sarif::ArtifactLocation::builder()
                        .description(sarif::Message::builder().text(description).build())
                        .build();
                    (id.to_string(), location)
                })
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

fn result(finding: &Finding, ids: &[String]) -> sarif::Result {
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
        .rule_id(finding.code_name())
        .rule_index(rule_index(finding.code_name(), ids))
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
    let mut result = builder.build();
    if !related.is_empty() {
        result.related_locations = Some(related);
    }
    if let Some(waived) = &finding.waived {
        result.suppressions = Some(vec![
            sarif::Suppression::builder()
                .kind(serde_json::json!("external"))
                .justification(format!("{} (until {})", waived.reason, waived.expires))
                .location(
                    sarif::Location::builder()
                        .physical_location(physical(&waived.location))
                        .build(),
                )
                .build(),
        ]);
    }
    result
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
                .uri_base_id(if location.file.built_in {
                    PAVED
                } else {
                    SRCROOT
                })
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

fn rule_index(code: &str, ids: &[String]) -> i64 {
    let index = ids.iter().position(|id| id == code).unwrap_or_default();
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
