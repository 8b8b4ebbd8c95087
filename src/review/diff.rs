//! `paved diff --base REF`: what a change to the intents does to the generated output,
//! for reviewers. The trees rendered from the base revision and from the work tree are
//! compared file by file, and their findings one by one.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value as Json, json};

use crate::diag::finding::{Finding, Severity};
use crate::validate::resolve::Catalog;

/// Output formats of `paved diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DiffFormat {
    /// A summary then the unified diffs, for a terminal.
    Human,
    /// A pull-request comment: summary table, then one collapsible diff per service.
    Markdown,
    /// One JSON document.
    Json,
}

/// Terraform resource types whose deletion loses data.
const DATA_STORES: &[&str] = &[
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_elasticache_replication_group",
    "aws_elasticache_cluster",
    "aws_s3_bucket",
    "aws_sqs_queue",
    "aws_dynamodb_table",
    "aws_msk_cluster",
];

/// A GitHub comment holds 65,536 characters; the rest is left for the frame.
const MARKDOWN_LIMIT: usize = 60_000;

/// What changes for one service (or, without a name, for files no service owns).
#[derive(Debug, Default)]
pub(crate) struct ServiceDiff {
    pub service: Option<String>,
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
    /// What a reviewer cares about: replicas, images, requests, exposure, resources;
    /// with the environment each holds in.
    pub changes: Vec<(Option<String>, String)>,
    /// Cloud resources that hold data and are destroyed.
    pub deletions: Vec<(Option<String>, String)>,
    /// Unified diffs of its files, secret values masked.
    pub diffs: Vec<(String, String)>,
    /// Findings about it that the change brings, and that it removes.
    pub introduced: Vec<String>,
    pub fixed: Vec<String>,
}

/// The comparison of the base revision with the work tree.
#[derive(Debug)]
pub(crate) struct Report {
    pub base: String,
    pub services: Vec<ServiceDiff>,
}

/// Compare the output of the base revision `base` (`before`) with the work tree's
/// (`after`), file by file and finding by finding.
pub(crate) fn compare(base: &str, before: &Side, after: &Side) -> Report {
    let mut services: BTreeMap<Option<String>, ServiceDiff> = BTreeMap::new();
    let paths: BTreeSet<&String> = before.files.keys().chain(after.files.keys()).collect();
    for path in paths {
        let old = before.files.get(path);
        let new = after.files.get(path);
        if old == new {
            continue;
        }
        let service =
            service_of(path, &after.services).or_else(|| service_of(path, &before.services));
        let entry = entry(&mut services, &service);
        match (old, new) {
            (None, Some(_)) => entry.added.push(path.clone()),
            (Some(_), None) => entry.removed.push(path.clone()),
            _ => entry.changed.push(path.clone()),
        }
        let old_text = old
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        let new_text = new
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        meaning(path, &old_text, &new_text, entry);
        entry.diffs.push((
            path.clone(),
            crate::write::apply::unified(path, old.map(Vec::as_slice), new.map(Vec::as_slice)),
        ));
    }
    let (old_findings, new_findings) = (before.findings(), after.findings());
    for (text, service) in &new_findings {
        if !old_findings.contains_key(text) {
            entry(&mut services, service).introduced.push(text.clone());
        }
    }
    for (text, service) in &old_findings {
        if !new_findings.contains_key(text) {
            entry(&mut services, service).fixed.push(text.clone());
        }
    }
    // Files no service owns come last.
    let mut services: Vec<ServiceDiff> = services.into_values().collect();
    services.sort_by_key(|s| (s.service.is_none(), s.service.clone()));
    Report {
        base: base.to_string(),
        services,
    }
}

fn entry<'a>(
    services: &'a mut BTreeMap<Option<String>, ServiceDiff>,
    service: &Option<String>,
) -> &'a mut ServiceDiff {
    services
        .entry(service.clone())
        .or_insert_with(|| ServiceDiff {
            service: service.clone(),
            ..ServiceDiff::default()
        })
}

/// One side of a comparison: the files rendered from a revision, and the findings of
/// its check and render.
#[derive(Debug)]
pub(crate) struct Side {
    files: BTreeMap<String, Vec<u8>>,
    findings: Vec<Finding>,
    services: BTreeSet<String>,
    /// Intent files that hold one service, with its name.
    intent_files: BTreeMap<String, String>,
    output: String,
}

impl Side {
    /// The side of `files` (by path in the output folder `output`) and `findings`,
    /// rendered from `catalog`.
    pub(crate) fn new(
        files: BTreeMap<String, Vec<u8>>,
        findings: Vec<Finding>,
        catalog: &Catalog,
        output: &str,
    ) -> Self {
        let mut intent_files: BTreeMap<String, Option<String>> = BTreeMap::new();
        for (name, entry) in &catalog.services {
            intent_files
                .entry(entry.origin.file.path.clone())
                .and_modify(|one| *one = None)
                .or_insert_with(|| Some(name.clone()));
        }
        Side {
            files,
            findings,
            services: catalog.services.keys().cloned().collect(),
            intent_files: intent_files
                .into_iter()
                .filter_map(|(file, name)| Some((file, name?)))
                .collect(),
            output: output.to_string(),
        }
    }

    /// Findings a reviewer acts on (not notes, not waived), as text, with the service
    /// they are about when one is: by the intent file or the generated file they sit in.
    fn findings(&self) -> BTreeMap<String, Option<String>> {
        let output = format!("{}/", self.output.trim_end_matches('/'));
        self.findings
            .iter()
            .filter(|f| f.severity != Severity::Note && f.waived.is_none())
            .map(|f| {
                let path = &f.location.file.path;
                let service = match path.strip_prefix(&output) {
                    Some(generated) => service_of(generated, &self.services),
                    None => self.intent_files.get(path).cloned(),
                };
                // Masked like every report: a message may quote a value.
                let message = crate::diag::mask::mask(&f.message);
                (format!("{} {path}: {message}", f.code_name()), service)
            })
            .collect()
    }
}

/// The service of the catalog a generated file belongs to.
fn service_of(path: &str, services: &BTreeSet<String>) -> Option<String> {
    let name = crate::render::layout::place(path).service?;
    services.contains(name).then(|| name.to_string())
}

/// What a file's change means to a reviewer, added to `diff`.
fn meaning(path: &str, old: &str, new: &str, diff: &mut ServiceDiff) {
    let env = crate::render::layout::place(path)
        .environment
        .map(str::to_string);
    let name = path.rsplit('/').next().unwrap_or(path);
    if path.ends_with(".tf") {
        let (before, after) = (resources(old), resources(new));
        for address in after.difference(&before) {
            diff.changes.push((env.clone(), format!("+ {address}")));
        }
        for address in before.difference(&after) {
            diff.changes.push((env.clone(), format!("- {address}")));
            let kind = address.split('.').next().unwrap_or_default();
            if DATA_STORES.contains(&kind) {
                diff.deletions.push((env.clone(), address.clone()));
            }
        }
        return;
    }
    if !path.starts_with("kubernetes/") {
        return;
    }
    let (before, after) = (objects(old), objects(new));
    // A file added or removed whole is told by the file counts.
    let both = !before.is_empty() && !after.is_empty();
    match name {
        "deployment.yaml" if both => {
            let field = |objects: &[Json], pointer: &str| {
                objects.iter().find_map(|o| o.pointer(pointer)).cloned()
            };
            for (label, pointer) in [
                ("replicas", "/spec/replicas"),
                ("image", "/spec/template/spec/containers/0/image"),
                (
                    "cpu request",
                    "/spec/template/spec/containers/0/resources/requests/cpu",
                ),
                (
                    "memory request",
                    "/spec/template/spec/containers/0/resources/requests/memory",
                ),
                (
                    "memory limit",
                    "/spec/template/spec/containers/0/resources/limits/memory",
                ),
            ] {
                let (from, to) = (field(&before, pointer), field(&after, pointer));
                if from != to {
                    diff.changes.push((
                        env.clone(),
                        format!("{label} {} → {}", shown(&from), shown(&to)),
                    ));
                }
            }
        }
        "horizontalpodautoscaler.yaml" if both => {
            for (label, pointer) in [
                ("min replicas", "/spec/minReplicas"),
                ("max replicas", "/spec/maxReplicas"),
            ] {
                let field =
                    |objects: &[Json]| objects.iter().find_map(|o| o.pointer(pointer)).cloned();
                let (from, to) = (field(&before), field(&after));
                if from != to {
                    diff.changes.push((
                        env.clone(),
                        format!("{label} {} → {}", shown(&from), shown(&to)),
                    ));
                }
            }
        }
        _ => {}
    }
    let exposed = |objects: &[Json]| {
        objects.iter().any(|o| {
            matches!(
                o.get("kind").and_then(Json::as_str),
                Some("Ingress" | "HTTPRoute")
            )
        })
    };
    match (exposed(&before), exposed(&after)) {
        (false, true) => diff.changes.push((env, format!("exposed: {name} added"))),
        (true, false) => diff
            .changes
            .push((env, format!("no longer exposed: {name} removed"))),
        _ => {}
    }
}

fn shown(value: &Option<Json>) -> String {
    match value {
        None => String::from("(none)"),
        Some(Json::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// `type.name` of every Terraform resource in a file.
fn resources(text: &str) -> BTreeSet<String> {
    crate::syntax::hcl::from_hcl(text)
        .unwrap_or_default()
        .into_iter()
        .filter(|b| b.kind == "resource" && b.labels.len() == 2)
        .map(|b| format!("{}.{}", b.labels[0], b.labels[1]))
        .collect()
}

/// The YAML documents of a generated file, as JSON.
fn objects(text: &str) -> Vec<Json> {
    if text.is_empty() {
        return Vec::new();
    }
    let file = crate::syntax::source::SourceFile::new("generated.yaml", text.to_string());
    // Generated files are bounded by the output limits, not by those on input.
    crate::syntax::yaml::load(&file, crate::syntax::yaml::Limits::LARGEST)
        .documents
        .iter()
        .map(|d| d.to_json())
        .collect()
}

impl ServiceDiff {
    fn name(&self) -> &str {
        self.service.as_deref().unwrap_or("(shared files)")
    }

    /// `2 new, 1 fixed`, or nothing.
    fn finding_counts(&self) -> String {
        let mut parts = Vec::new();
        if !self.introduced.is_empty() {
            parts.push(format!("{} new", self.introduced.len()));
        }
        if !self.fixed.is_empty() {
            parts.push(format!("{} fixed", self.fixed.len()));
        }
        parts.join(", ")
    }

    fn summary(&self) -> String {
        let mut parts: Vec<String> = merged(&self.deletions)
            .into_iter()
            .map(|d| format!("**deletes {d}**"))
            .collect();
        parts.extend(merged(&self.changes));
        parts.join("; ")
    }
}

impl Report {
    /// The report in `format`; `color` is for the human one.
    pub(crate) fn text(&self, format: DiffFormat, color: bool) -> String {
        match format {
            DiffFormat::Human => self.human(color),
            DiffFormat::Markdown => self.markdown(),
            DiffFormat::Json => self.json(),
        }
    }

    /// For a terminal; `color` marks additions, removals and deletions of data.
    pub(crate) fn human(&self, color: bool) -> String {
        let paint = |code: &str, text: &str| {
            if color {
                format!("\x1b[{code}m{text}\x1b[0m")
            } else {
                text.to_string()
            }
        };
        let mut out = format!("paved diff against {}\n", self.base);
        if self.services.is_empty() {
            out.push_str("The generated output does not change.\n");
        }
        for service in &self.services {
            out.push_str(&format!(
                "\n{}: {} added, {} changed, {} removed\n",
                service.name(),
                service.added.len(),
                service.changed.len(),
                service.removed.len()
            ));
            for deletion in merged(&service.deletions) {
                let line = format!("  !! deletes {deletion}: its data is lost");
                out.push_str(&paint("1;31", &line));
                out.push('\n');
            }
            for change in merged(&service.changes) {
                out.push_str(&format!("  {change}\n"));
            }
            for finding in &service.introduced {
                out.push_str(&paint("33", &format!("  finding introduced: {finding}")));
                out.push('\n');
            }
            for finding in &service.fixed {
                out.push_str(&format!("  finding fixed: {finding}\n"));
            }
        }
        for service in &self.services {
            for (_, diff) in &service.diffs {
                out.push('\n');
                for line in diff.split_inclusive('\n') {
                    let code = match line.as_bytes() {
                        [b'-', b'-', b'-', ..] | [b'+', b'+', b'+', ..] => "1",
                        [b'@', b'@', ..] => "36",
                        [b'+', ..] => "32",
                        [b'-', ..] => "31",
                        _ => "",
                    };
                    if code.is_empty() {
                        out.push_str(line);
                    } else {
                        out.push_str(&paint(code, line.trim_end_matches('\n')));
                        out.push('\n');
                    }
                }
            }
        }
        out
    }

    pub(crate) fn markdown(&self) -> String {
        let mut out = format!("### paved: generated output against `{}`\n\n", self.base);
        if self.services.is_empty() {
            out.push_str("The generated output does not change.\n");
            return out;
        }
        let deletions: Vec<String> = self
            .services
            .iter()
            .flat_map(|s| merged(&s.deletions))
            .collect();
        if !deletions.is_empty() {
            out.push_str("> [!CAUTION]\n> This change **deletes data stores**: ");
            out.push_str(
                &deletions
                    .iter()
                    .map(|d| format!("`{d}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            out.push_str(".\n\n");
        }
        out.push_str(
            "| service | added | changed | removed | findings | what changes |\n|---|---:|---:|---:|---|---|\n",
        );
        for service in &self.services {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                service.name(),
                service.added.len(),
                service.changed.len(),
                service.removed.len(),
                service.finding_counts(),
                cell(&service.summary())
            ));
        }
        let introduced: fn(&ServiceDiff) -> &Vec<String> = |s| &s.introduced;
        let fixed: fn(&ServiceDiff) -> &Vec<String> = |s| &s.fixed;
        for (label, list) in [
            ("Findings introduced", introduced),
            ("Findings fixed", fixed),
        ] {
            let lines: Vec<String> = self
                .services
                .iter()
                .flat_map(|s| {
                    list(s)
                        .iter()
                        .map(move |f| format!("- {}: {}\n", s.name(), cell(f)))
                })
                .collect();
            if !lines.is_empty() {
                out.push_str(&format!("\n**{label}**\n\n{}", lines.concat()));
            }
        }
        let mut cut = Vec::new();
        for service in &self.services {
            let mut section = format!(
                "\n<details><summary>{}: {} files</summary>\n\n",
                service.name(),
                service.diffs.len()
            );
            for (_, diff) in &service.diffs {
                section.push_str(&format!(
                    "```diff\n{}```\n",
                    diff.replace("```", "`\u{200b}``")
                ));
            }
            section.push_str("\n</details>\n");
            if out.len() + section.len() > MARKDOWN_LIMIT {
                cut.push(service.name());
                continue;
            }
            out.push_str(&section);
        }
        if !cut.is_empty() {
            out.push_str(&format!(
                "\nThe diffs of {} did not fit in this comment; `paved diff --base {}` shows them.\n",
                cut.join(", "),
                self.base
            ));
        }
        out
    }

    pub(crate) fn json(&self) -> String {
        let services: Vec<Json> = self
            .services
            .iter()
            .map(|s| {
                json!({
                    "service": s.service,
                    "added": s.added,
                    "changed": s.changed,
                    "removed": s.removed,
                    "changes": grouped(&s.changes),
                    "deletions": grouped(&s.deletions),
                    "findings": {"introduced": s.introduced, "fixed": s.fixed},
                    "diffs": s.diffs.iter().map(|(path, diff)| json!({"path": path, "diff": diff})).collect::<Vec<_>>(),
                })
            })
            .collect();
        let report = json!({
            "base": self.base,
            "services": services,
        });
        format!(
            "{}\n",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        )
    }
}

/// Each change once, with the environments it holds in, in first-seen order.
fn grouped(changes: &[(Option<String>, String)]) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for (env, change) in changes {
        let at = match out.iter().position(|(c, _)| c == change) {
            Some(at) => at,
            None => {
                out.push((change.clone(), Vec::new()));
                out.len() - 1
            }
        };
        out[at].1.extend(env.clone());
    }
    out
}

/// `change (env, env)` lines.
fn merged(changes: &[(Option<String>, String)]) -> Vec<String> {
    grouped(changes)
        .into_iter()
        .map(|(change, envs)| match envs.as_slice() {
            [] => change,
            envs => format!("{change} ({})", envs.join(", ")),
        })
        .collect()
}

/// Text for a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
