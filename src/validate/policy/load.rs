//! Reading policies: the built-in ones embedded in the binary, the organisation's from
//! `platform/policies/`, each package's `meta`, then compiling them all.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use regorus::Engine;
use serde_json::Value as Json;

use crate::diag::codes::Code;
use crate::diag::finding::{Finding, Rule};
use crate::load::repo::Repo;
use crate::model::config::Level;
use crate::syntax::source::SourceFile;

use super::compile::{Group, Program, Reads, compile_vm, groups, spec_fields};
use super::definitions::{self, Definition};

/// The built-in policies, as shipped in `policies/`.
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "policies/depends_on_deprecated.rego",
        include_str!("../../../policies/depends_on_deprecated.rego"),
    ),
    (
        "policies/depends_on_deprecated_test.rego",
        include_str!("../../../policies/depends_on_deprecated_test.rego"),
    ),
    (
        "policies/ephemeral_ttl.rego",
        include_str!("../../../policies/ephemeral_ttl.rego"),
    ),
    (
        "policies/ephemeral_ttl_test.rego",
        include_str!("../../../policies/ephemeral_ttl_test.rego"),
    ),
    (
        "policies/image_pinned.rego",
        include_str!("../../../policies/image_pinned.rego"),
    ),
    (
        "policies/image_pinned_test.rego",
        include_str!("../../../policies/image_pinned_test.rego"),
    ),
    (
        "policies/image_registry.rego",
        include_str!("../../../policies/image_registry.rego"),
    ),
    (
        "policies/image_registry_test.rego",
        include_str!("../../../policies/image_registry_test.rego"),
    ),
    (
        "policies/k8s_container_limits.rego",
        include_str!("../../../policies/k8s_container_limits.rego"),
    ),
    (
        "policies/k8s_container_limits_test.rego",
        include_str!("../../../policies/k8s_container_limits_test.rego"),
    ),
    (
        "policies/k8s_non_root.rego",
        include_str!("../../../policies/k8s_non_root.rego"),
    ),
    (
        "policies/k8s_non_root_test.rego",
        include_str!("../../../policies/k8s_non_root_test.rego"),
    ),
    (
        "policies/owner_contact.rego",
        include_str!("../../../policies/owner_contact.rego"),
    ),
    (
        "policies/owner_contact_test.rego",
        include_str!("../../../policies/owner_contact_test.rego"),
    ),
    (
        "policies/prod_db_backups.rego",
        include_str!("../../../policies/prod_db_backups.rego"),
    ),
    (
        "policies/prod_db_backups_test.rego",
        include_str!("../../../policies/prod_db_backups_test.rego"),
    ),
    (
        "policies/prod_db_ha.rego",
        include_str!("../../../policies/prod_db_ha.rego"),
    ),
    (
        "policies/prod_db_ha_test.rego",
        include_str!("../../../policies/prod_db_ha_test.rego"),
    ),
    (
        "policies/prod_image_digest.rego",
        include_str!("../../../policies/prod_image_digest.rego"),
    ),
    (
        "policies/prod_image_digest_test.rego",
        include_str!("../../../policies/prod_image_digest_test.rego"),
    ),
    (
        "policies/prod_min_replicas.rego",
        include_str!("../../../policies/prod_min_replicas.rego"),
    ),
    (
        "policies/prod_min_replicas_test.rego",
        include_str!("../../../policies/prod_min_replicas_test.rego"),
    ),
    (
        "policies/public_tls.rego",
        include_str!("../../../policies/public_tls.rego"),
    ),
    (
        "policies/public_tls_test.rego",
        include_str!("../../../policies/public_tls_test.rego"),
    ),
    (
        "policies/resource_name_length.rego",
        include_str!("../../../policies/resource_name_length.rego"),
    ),
    (
        "policies/resource_name_length_test.rego",
        include_str!("../../../policies/resource_name_length_test.rego"),
    ),
    (
        "policies/secret_in_env.rego",
        include_str!("../../../policies/secret_in_env.rego"),
    ),
    (
        "policies/secret_in_env_test.rego",
        include_str!("../../../policies/secret_in_env_test.rego"),
    ),
    (
        "policies/sensitive_data_private.rego",
        include_str!("../../../policies/sensitive_data_private.rego"),
    ),
    (
        "policies/sensitive_data_private_test.rego",
        include_str!("../../../policies/sensitive_data_private_test.rego"),
    ),
    (
        "policies/tf_db_private_encrypted.rego",
        include_str!("../../../policies/tf_db_private_encrypted.rego"),
    ),
    (
        "policies/tf_db_private_encrypted_test.rego",
        include_str!("../../../policies/tf_db_private_encrypted_test.rego"),
    ),
    (
        "policies/tf_no_open_ingress.rego",
        include_str!("../../../policies/tf_no_open_ingress.rego"),
    ),
    (
        "policies/tf_no_open_ingress_test.rego",
        include_str!("../../../policies/tf_no_open_ingress_test.rego"),
    ),
    (
        "policies/tier1_experimental_dependency.rego",
        include_str!("../../../policies/tier1_experimental_dependency.rego"),
    ),
    (
        "policies/tier1_experimental_dependency_test.rego",
        include_str!("../../../policies/tier1_experimental_dependency_test.rego"),
    ),
    (
        "policies/tier1_oncall.rego",
        include_str!("../../../policies/tier1_oncall.rego"),
    ),
    (
        "policies/tier1_oncall_test.rego",
        include_str!("../../../policies/tier1_oncall_test.rego"),
    ),
    (
        "policies/tier1_slo.rego",
        include_str!("../../../policies/tier1_slo.rego"),
    ),
    (
        "policies/tier1_slo_test.rego",
        include_str!("../../../policies/tier1_slo_test.rego"),
    ),
];

/// What a policy's input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// A service in one environment, with its team and the platform's settings.
    Intent,
    /// One generated Kubernetes object.
    Kubernetes,
    /// One generated Terraform resource or data block.
    Terraform,
    /// The platform configuration, once per environment.
    Platform,
}

impl Target {
    fn parse(text: &str) -> Option<Self> {
        match text {
            "intent" => Some(Target::Intent),
            "kubernetes" => Some(Target::Kubernetes),
            "terraform" => Some(Target::Terraform),
            "platform" => Some(Target::Platform),
            _ => None,
        }
    }
}

/// One policy package.
pub(super) struct Policy {
    pub(super) rule: Arc<Rule>,
    pub(super) target: Target,
    /// For rendered objects: the Kubernetes kinds or Terraform resource types it looks
    /// at (`meta.kinds`); every object when not given.
    pub(super) kinds: Option<BTreeSet<String>>,
    pub(super) reads: Reads,
    /// Its `deny` and `warn` sets, where declared.
    pub(super) entries: Vec<Entry>,
}

/// A policy's `deny` or `warn` set.
#[derive(Debug, Clone)]
pub(super) struct Entry {
    /// The level it reports at.
    pub(super) level: Level,
    /// `data.<package>.deny` or `.warn`.
    pub(super) rule: String,
    /// Where it is defined; none when the policies did not compile.
    pub(super) definitions: Vec<Definition>,
}

/// Every policy of a run, compiled.
pub struct Policies {
    pub(super) policies: Vec<Policy>,
    pub(super) files: Vec<Arc<SourceFile>>,
    pub(super) engine: Engine,
    pub(super) program: Option<Program>,
    /// The engine with each definition of a set that has several also alone, to tell
    /// which of them produced a violation.
    pub(super) definitions_alone: Engine,
    pub(super) groups: Vec<Group>,
    /// The spec fields intent policies read, the only ones converted for them.
    pub(super) spec_fields: Option<BTreeSet<String>>,
}

impl Default for Policies {
    fn default() -> Self {
        Self {
            policies: Vec::new(),
            files: Vec::new(),
            engine: Engine::new(),
            program: None,
            definitions_alone: Engine::new(),
            groups: Vec::new(),
            spec_fields: None,
        }
    }
}

impl std::fmt::Debug for Policies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Policies")
            .field(
                "rules",
                &self
                    .policies
                    .iter()
                    .map(|p| &p.rule.code)
                    .collect::<Vec<_>>(),
            )
            .field("vm", &self.program.is_some())
            .finish()
    }
}

impl Policies {
    pub fn rules(&self) -> impl Iterator<Item = &Arc<Rule>> {
        self.policies.iter().map(|p| &p.rule)
    }

    pub(super) fn find(&self, code: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.rule.code == code)
    }
}

/// The source files of the built-in and organisation policies (tests too when asked);
/// the organisation's are read up to `limit` bytes (`limits.maxFileBytes`).
pub(super) fn sources(
    repo: &Repo,
    tests: bool,
    limit: u64,
) -> (Vec<Arc<SourceFile>>, Vec<Finding>) {
    let mut files: Vec<Arc<SourceFile>> = BUILT_IN
        .iter()
        .filter(|(path, _)| tests || !path.ends_with("_test.rego"))
        .map(|(path, text)| Arc::new(SourceFile::built_in(*path, *text)))
        .collect();
    let mut findings = Vec::new();
    let mut organisation = Vec::new();
    for listed in repo.list(&format!("{}/policies", crate::load::platform::DIR)) {
        let relative = listed.relative;
        if !listed.regular
            || !relative.ends_with(".rego")
            || (!tests && relative.ends_with("_test.rego"))
        {
            continue;
        }
        match repo.read_text(&relative, limit) {
            Ok(file) => organisation.push(file),
            Err(finding) => findings.push(*finding),
        }
    }
    organisation.sort_by(|a, b| a.path.cmp(&b.path));
    files.extend(organisation);
    (files, findings)
}

/// A regorus error as a finding on the policy's line (`--> file:line:col` in its text),
/// else at the start of `fallback`, the policy being loaded or evaluated.
pub(super) fn error_finding(
    files: &[Arc<SourceFile>],
    fallback: &Arc<SourceFile>,
    error: &str,
    context: &str,
) -> Finding {
    let located = error.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("--> ")?;
        let mut parts = rest.rsplitn(3, ':');
        let column: usize = parts.next()?.parse().ok()?;
        let line: usize = parts.next()?.parse().ok()?;
        Some((parts.next()?.to_string(), line, column))
    });
    let message = error
        .lines()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or(error.trim())
        .to_string();
    let located = located.and_then(|(path, line, column)| {
        let file = files.iter().find(|f| f.path == path)?;
        let start = file.offset(line, column);
        Some((file, file.span(start, start + 1)))
    });
    let (file, span) = located.unwrap_or((fallback, fallback.start()));
    Finding::new(
        Code::PolicyError,
        file,
        span,
        format!("{context}: {message}"),
    )
}

/// Parse and compile every policy, reading files of up to `limit` bytes; problems are
/// findings.
pub fn load(repo: &Repo, limit: u64) -> (Policies, Vec<Finding>) {
    let (files, mut findings) = sources(repo, false, limit);
    let mut engine = Engine::new();
    engine.set_strict_builtin_errors(false);
    let mut packages: Vec<(Arc<SourceFile>, String)> = Vec::new();
    for file in &files {
        match engine.add_policy(file.path.clone(), file.text.to_string()) {
            Ok(package) => packages.push((Arc::clone(file), package)),
            Err(e) => findings.push(error_finding(
                &files,
                file,
                &e.to_string(),
                "the policy does not parse",
            )),
        }
    }
    let mut policies = Vec::new();
    let mut codes: BTreeMap<String, String> = BTreeMap::new();
    for (file, package) in &packages {
        let declared = |rule: &str| {
            engine
                .has_declared_rule_rooted_at(&file.path, rule)
                .unwrap_or(false)
        };
        let entries: Vec<Entry> = [(Level::Deny, "deny"), (Level::Warn, "warn")]
            .into_iter()
            .filter(|(_, rule)| declared(rule))
            .map(|(level, rule)| Entry {
                level,
                rule: format!("{package}.{rule}"),
                definitions: Vec::new(),
            })
            .collect();
        if !declared("meta") {
            if !entries.is_empty() {
                let at = file
                    .text
                    .find("deny")
                    .or_else(|| file.text.find("warn"))
                    .unwrap_or(0);
                findings.push(Finding::new(
                    Code::PolicyError,
                    file,
                    file.span(at, at + 4),
                    "the policy declares rules but no `meta` with its `code`",
                ).help("add `meta := {\"code\": \"my-rule\", \"title\": \"...\", \"severity\": \"deny\"}` to the package"));
            }
            continue;
        }
        let meta = match engine.eval_rule(format!("{package}.meta")) {
            Ok(meta) => meta,
            Err(e) => {
                findings.push(error_finding(
                    &files,
                    file,
                    &e.to_string(),
                    "`meta` cannot be evaluated",
                ));
                continue;
            }
        };
        let meta: Json =
            serde_json::from_str(&meta.to_json_str().unwrap_or_default()).unwrap_or(Json::Null);
        let text = |key: &str| meta.get(key).and_then(Json::as_str).map(str::to_string);
        let at = file.text.find("meta").unwrap_or(0);
        let meta_span = file.span(at, at + 4);
        let Some(code) = text("code").filter(|c| {
            !c.is_empty()
                && c.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        }) else {
            findings.push(
                Finding::new(
                    Code::PolicyError,
                    file,
                    meta_span,
                    "`meta.code` is missing or not a kebab-case code",
                )
                .help("set `meta.code` to a stable kebab-case code such as `prod-min-replicas`"),
            );
            continue;
        };
        if Code::from_name(&code).is_some() || codes.contains_key(&code) {
            let other = codes
                .get(&code)
                .cloned()
                .unwrap_or_else(|| String::from("paved itself"));
            findings.push(Finding::new(
                Code::PolicyError,
                file,
                meta_span,
                format!("the code `{code}` is already used by {other}"),
            ));
            continue;
        }
        let severity = text("severity").unwrap_or_else(|| String::from("deny"));
        let target = match Target::parse(&text("target").unwrap_or_else(|| String::from("intent")))
        {
            Some(target) if matches!(severity.as_str(), "deny" | "warn") => target,
            _ => {
                findings.push(
                    Finding::new(Code::PolicyError, file, meta_span, "`meta.severity` must be `deny` or `warn` and `meta.target` one of `intent`, `kubernetes`, `terraform` or `platform`"),
                );
                continue;
            }
        };
        let kinds = match meta.get("kinds") {
            None | Some(Json::Null) => None,
            Some(Json::Array(items))
                if matches!(target, Target::Kubernetes | Target::Terraform)
                    && !items.is_empty()
                    && items
                        .iter()
                        .all(|k| k.as_str().is_some_and(|k| !k.is_empty())) =>
            {
                Some(
                    items
                        .iter()
                        .filter_map(|k| Some(k.as_str()?.to_string()))
                        .collect(),
                )
            }
            Some(_) => {
                findings.push(
                    Finding::new(
                        Code::PolicyError,
                        file,
                        meta_span,
                        "`meta.kinds` must be a non-empty list of Kubernetes kinds or Terraform resource types, on a policy whose target is `kubernetes` or `terraform`",
                    )
                    .help("write `\"kinds\": [\"Deployment\", \"StatefulSet\"]`, or leave it out to see every object"),
                );
                continue;
            }
        };
        codes.insert(code.clone(), file.path.clone());
        let title = text("title").unwrap_or_else(|| code.clone());
        policies.push(Policy {
            rule: Arc::new(Rule {
                description: text("description").unwrap_or_else(|| title.clone()),
                fix: text("fix").unwrap_or_else(|| {
                    String::from("Change the intent so that the rule holds, or take a waiver.")
                }),
                title,
                code,
                severity,
                file: file.path.clone(),
            }),
            target,
            kinds,
            reads: Reads::of(&file.text),
            entries,
        });
    }
    let mut groups = groups(&policies);
    let spec_fields = spec_fields(&policies);
    let (compiled, program) = compile_vm(&mut engine, &mut groups);
    let mut alone = engine.clone();
    if let Some(compiled) = &compiled {
        for entry in policies.iter_mut().flat_map(|p| &mut p.entries) {
            let (definitions, modules) = definitions::of(compiled, &files, &entry.rule);
            entry.definitions = definitions;
            for (path, text) in modules {
                // Copies that do not load leave the set's violations unattributed.
                if alone.add_policy(path, text).is_err() {
                    entry.definitions.iter_mut().for_each(|d| d.alone = None);
                }
            }
        }
    }
    (
        Policies {
            policies,
            files,
            engine,
            program,
            definitions_alone: alone,
            spec_fields,
            groups,
        },
        findings,
    )
}

/// The built-in policies alone, as a repository without policies of its own has them.
#[cfg(test)]
pub(super) fn built_in() -> Policies {
    let dir = tempfile::tempdir().unwrap();
    let limit = crate::model::config::Limits::default().max_file_bytes;
    load(&Repo::work_tree(dir.path()), limit).0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_policies_load_and_compile_for_the_vm() {
        let dir = tempfile::tempdir().unwrap();
        let limit = crate::model::config::Limits::default().max_file_bytes;
        let (policies, findings) = load(&Repo::work_tree(dir.path()), limit);
        assert!(findings.is_empty(), "{findings:?}");
        assert!(policies.policies.len() >= 15);
        assert!(
            policies.program.is_some(),
            "every built-in policy runs on the VM"
        );
    }

    #[test]
    fn policy_errors_land_on_their_line_or_on_their_policy() {
        let a = Arc::new(SourceFile::new("platform/policies/a.rego", "package a\n"));
        let b = Arc::new(SourceFile::new(
            "platform/policies/b.rego",
            "package b\nx := 1\n",
        ));
        let files = [Arc::clone(&a), Arc::clone(&b)];
        let located = error_finding(
            &files,
            &a,
            "error: var y is unsafe\n --> platform/policies/b.rego:2:6\n",
            "the policy does not parse",
        );
        assert_eq!(located.location.file.path, "platform/policies/b.rego");
        assert_eq!(
            (located.location.span.line, located.location.span.column),
            (2, 6)
        );
        assert_eq!(
            located.message,
            "the policy does not parse: var y is unsafe"
        );
        let unlocated = error_finding(&files, &b, "some builtin failed", "policy `b` failed");
        assert_eq!(unlocated.location.file.path, "platform/policies/b.rego");
    }

    #[test]
    fn built_in_codes_match_their_file_names() {
        let policies = built_in();
        for policy in &policies.policies {
            let expected = format!("policies/{}.rego", policy.rule.code.replace('-', "_"));
            assert_eq!(policy.rule.file, expected);
        }
    }

    #[test]
    fn every_policy_file_is_embedded() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
        let mut on_disk: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".rego"))
            .map(|n| format!("policies/{n}"))
            .collect();
        on_disk.sort();
        let mut embedded: Vec<String> = BUILT_IN.iter().map(|(p, _)| p.to_string()).collect();
        embedded.sort();
        assert_eq!(on_disk, embedded);
    }
}
