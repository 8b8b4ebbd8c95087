//! Policy guardrails: Rego v1 rules over intents, over generated objects and over the
//! platform configuration.
//!
//! Built-in policies ship in `policies/` (embedded); an organisation adds its own in
//! `platform/policies/`. Each policy package declares `meta` (at least `code`) and
//! `deny` and/or `warn` sets whose items are a message or `{msg, path}`; `path` points
//! into the input's intent so the finding lands on the line to change. All policies are
//! compiled once per run into one program for regorus's register VM, evaluated in
//! parallel; a policy the VM cannot compile runs in regorus's interpreter instead.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rayon::prelude::*;
use regorus::{CompiledPolicy, Engine, Value as Rego};
use serde_json::{Value as Json, json};

use crate::diag::codes::Code;
use crate::diag::finding::{Finding, Rule, Severity, Waived};
use crate::diag::origin::Origin;
use crate::diag::origin::escape_pointer;
use crate::load::repo::Repo;
use crate::load::schema::{self, Schemas};
use crate::model::config::{Config, Level};
use crate::syntax::source::{Location, SourceFile};
use crate::syntax::yaml;
use crate::validate::resolve::{self, Catalog, ServiceEntry};

/// The built-in policies, as shipped in `policies/`.
pub const BUILT_IN: &[(&str, &str)] = &[
    (
        "policies/depends_on_deprecated.rego",
        include_str!("../../policies/depends_on_deprecated.rego"),
    ),
    (
        "policies/depends_on_deprecated_test.rego",
        include_str!("../../policies/depends_on_deprecated_test.rego"),
    ),
    (
        "policies/ephemeral_ttl.rego",
        include_str!("../../policies/ephemeral_ttl.rego"),
    ),
    (
        "policies/ephemeral_ttl_test.rego",
        include_str!("../../policies/ephemeral_ttl_test.rego"),
    ),
    (
        "policies/image_pinned.rego",
        include_str!("../../policies/image_pinned.rego"),
    ),
    (
        "policies/image_pinned_test.rego",
        include_str!("../../policies/image_pinned_test.rego"),
    ),
    (
        "policies/image_registry.rego",
        include_str!("../../policies/image_registry.rego"),
    ),
    (
        "policies/image_registry_test.rego",
        include_str!("../../policies/image_registry_test.rego"),
    ),
    (
        "policies/k8s_container_limits.rego",
        include_str!("../../policies/k8s_container_limits.rego"),
    ),
    (
        "policies/k8s_container_limits_test.rego",
        include_str!("../../policies/k8s_container_limits_test.rego"),
    ),
    (
        "policies/k8s_non_root.rego",
        include_str!("../../policies/k8s_non_root.rego"),
    ),
    (
        "policies/k8s_non_root_test.rego",
        include_str!("../../policies/k8s_non_root_test.rego"),
    ),
    (
        "policies/owner_contact.rego",
        include_str!("../../policies/owner_contact.rego"),
    ),
    (
        "policies/owner_contact_test.rego",
        include_str!("../../policies/owner_contact_test.rego"),
    ),
    (
        "policies/prod_db_backups.rego",
        include_str!("../../policies/prod_db_backups.rego"),
    ),
    (
        "policies/prod_db_backups_test.rego",
        include_str!("../../policies/prod_db_backups_test.rego"),
    ),
    (
        "policies/prod_db_ha.rego",
        include_str!("../../policies/prod_db_ha.rego"),
    ),
    (
        "policies/prod_db_ha_test.rego",
        include_str!("../../policies/prod_db_ha_test.rego"),
    ),
    (
        "policies/prod_image_digest.rego",
        include_str!("../../policies/prod_image_digest.rego"),
    ),
    (
        "policies/prod_image_digest_test.rego",
        include_str!("../../policies/prod_image_digest_test.rego"),
    ),
    (
        "policies/prod_min_replicas.rego",
        include_str!("../../policies/prod_min_replicas.rego"),
    ),
    (
        "policies/prod_min_replicas_test.rego",
        include_str!("../../policies/prod_min_replicas_test.rego"),
    ),
    (
        "policies/public_tls.rego",
        include_str!("../../policies/public_tls.rego"),
    ),
    (
        "policies/public_tls_test.rego",
        include_str!("../../policies/public_tls_test.rego"),
    ),
    (
        "policies/resource_name_length.rego",
        include_str!("../../policies/resource_name_length.rego"),
    ),
    (
        "policies/resource_name_length_test.rego",
        include_str!("../../policies/resource_name_length_test.rego"),
    ),
    (
        "policies/secret_in_env.rego",
        include_str!("../../policies/secret_in_env.rego"),
    ),
    (
        "policies/secret_in_env_test.rego",
        include_str!("../../policies/secret_in_env_test.rego"),
    ),
    (
        "policies/sensitive_data_private.rego",
        include_str!("../../policies/sensitive_data_private.rego"),
    ),
    (
        "policies/sensitive_data_private_test.rego",
        include_str!("../../policies/sensitive_data_private_test.rego"),
    ),
    (
        "policies/tf_db_private_encrypted.rego",
        include_str!("../../policies/tf_db_private_encrypted.rego"),
    ),
    (
        "policies/tf_db_private_encrypted_test.rego",
        include_str!("../../policies/tf_db_private_encrypted_test.rego"),
    ),
    (
        "policies/tf_no_open_ingress.rego",
        include_str!("../../policies/tf_no_open_ingress.rego"),
    ),
    (
        "policies/tf_no_open_ingress_test.rego",
        include_str!("../../policies/tf_no_open_ingress_test.rego"),
    ),
    (
        "policies/tier1_experimental_dependency.rego",
        include_str!("../../policies/tier1_experimental_dependency.rego"),
    ),
    (
        "policies/tier1_experimental_dependency_test.rego",
        include_str!("../../policies/tier1_experimental_dependency_test.rego"),
    ),
    (
        "policies/tier1_oncall.rego",
        include_str!("../../policies/tier1_oncall.rego"),
    ),
    (
        "policies/tier1_oncall_test.rego",
        include_str!("../../policies/tier1_oncall_test.rego"),
    ),
    (
        "policies/tier1_slo.rego",
        include_str!("../../policies/tier1_slo.rego"),
    ),
    (
        "policies/tier1_slo_test.rego",
        include_str!("../../policies/tier1_slo_test.rego"),
    ),
];

/// What a policy's input is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
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

/// What of its input an intent policy reads, as far as its text tells. A service's
/// environments often agree on much of their effective intent: a rule that reads
/// neither the environment nor a field in which they differ gives the same results for
/// all of them, and is evaluated once.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Reads {
    /// The fields of `input.environment` read; `None`: possibly all of it.
    environment: Option<BTreeSet<String>>,
    /// The fields of `input.intent.spec` read; `None`: possibly all of it.
    spec: Option<BTreeSet<String>>,
}

impl Reads {
    fn everything() -> Self {
        Reads {
            environment: None,
            spec: None,
        }
    }

    fn reads_environment(&self) -> bool {
        self.environment
            .as_ref()
            .is_none_or(|fields| !fields.is_empty())
    }

    /// Conservatively from the policy's text: every word `input` followed by its
    /// `.field` path. `input.intent.metadata`, `input.team`, `input.platform` and
    /// `input.kind` are the same in every environment; `input.intent.spec.<field>`,
    /// `input.dependencies` (made from `spec.dependencies`) and
    /// `input.environment.<field>` name a field; anything else (`input[...]`, a bare
    /// `input`, `input.intent.spec` passed whole) and any reference to other documents
    /// under `data`, whose rules may read anything, count as reading everything.
    fn of(text: &str) -> Self {
        let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let bytes = text.as_bytes();
        let words = |word: &'static str| {
            text.match_indices(word)
                .map(|(at, _)| at)
                .filter(move |&at| {
                    (at == 0 || !ident(bytes[at - 1]))
                        && bytes.get(at + word.len()).is_none_or(|b| !ident(*b))
                })
        };
        let path_after = |mut at: usize| {
            let mut path = Vec::new();
            while let Some(rest) = text[at..].strip_prefix('.') {
                let end = rest.bytes().position(|b| !ident(b)).unwrap_or(rest.len());
                if end == 0 {
                    break;
                }
                path.push(&rest[..end]);
                at += 1 + end;
            }
            path
        };
        let read = |set: &mut Option<BTreeSet<String>>, field: Option<&str>| match (set, field) {
            (Some(fields), Some(field)) => {
                fields.insert(field.to_string());
            }
            (set, None) => *set = None,
            _ => {}
        };
        let mut reads = Reads {
            environment: Some(BTreeSet::new()),
            spec: Some(BTreeSet::new()),
        };
        for at in words("input") {
            match path_after(at + "input".len()).as_slice() {
                ["intent", "metadata" | "apiVersion" | "kind", ..]
                | ["team" | "platform" | "kind", ..] => {}
                ["intent", "spec", field, ..] => read(&mut reads.spec, Some(field)),
                ["dependencies", ..] => read(&mut reads.spec, Some("dependencies")),
                ["intent", ..] => read(&mut reads.spec, None),
                ["environment", field, ..] => read(&mut reads.environment, Some(field)),
                ["environment"] => read(&mut reads.environment, None),
                _ => return Reads::everything(),
            }
        }
        if words("data").any(|at| matches!(bytes.get(at + 4), Some(b'.' | b'['))) {
            return Reads::everything();
        }
        reads
    }

    /// Whether two deployments' inputs agree on everything read.
    fn agree(&self, a: (&IntentInput, &Rego), b: (&IntentInput, &Rego)) -> bool {
        let same = |fields: &Option<BTreeSet<String>>, a: &Rego, b: &Rego| match fields {
            None => a == b,
            Some(fields) => fields.iter().all(|f| a[f.as_str()] == b[f.as_str()]),
        };
        same(&self.environment, a.1, b.1)
            && same(&self.spec, &a.0.intent["spec"], &b.0.intent["spec"])
    }
}

/// Policies of one target that read the same things, evaluated together through one
/// aggregate entry point: one VM call per input instead of one per policy.
#[derive(Clone)]
struct Group {
    target: Target,
    /// The kinds of object its policies look at; all when `None`.
    kinds: Option<BTreeSet<String>>,
    reads: Reads,
    /// `(policy, level, entry)` of its policies' `deny` and `warn` sets.
    entries: Vec<(usize, Level, String)>,
    /// `data.paved.aggregate.<name>.results`, when compiled for the VM.
    aggregate: Option<String>,
}

impl Group {
    /// Whether its policies look at an object of `kind` (any input when `None`).
    fn looks_at(&self, kind: Option<&str>) -> bool {
        match (&self.kinds, kind) {
            (Some(kinds), Some(kind)) => kinds.contains(kind),
            _ => true,
        }
    }
}

/// Groups by target and, for intents, by what they read: policies that read no part of
/// the environment by the spec fields they read; the others by the environment fields
/// they read, reading the union of their spec fields, since most of them look at a
/// field or two of the spec only in some environments.
fn groups(policies: &[Policy]) -> Vec<Group> {
    type Key = (
        u8,
        Option<BTreeSet<String>>,
        Option<Option<BTreeSet<String>>>,
        Option<BTreeSet<String>>,
    );
    let mut groups: BTreeMap<Key, Group> = BTreeMap::new();
    for (index, policy) in policies.iter().enumerate() {
        let reads = match policy.target {
            Target::Intent => policy.reads.clone(),
            _ => Reads::everything(),
        };
        let spec_key = (!reads.reads_environment()).then(|| reads.spec.clone());
        let group = groups
            .entry((
                policy.target as u8,
                reads.environment.clone(),
                spec_key,
                policy.kinds.clone(),
            ))
            .or_insert_with(|| Group {
                target: policy.target,
                kinds: policy.kinds.clone(),
                reads: Reads {
                    environment: reads.environment.clone(),
                    spec: Some(BTreeSet::new()),
                },
                entries: Vec::new(),
                aggregate: None,
            });
        match (&mut group.reads.spec, reads.spec) {
            (Some(union), Some(fields)) => union.extend(fields),
            (union, _) => *union = None,
        }
        group.entries.extend(
            policy
                .entries
                .iter()
                .map(|(level, entry)| (index, *level, entry.clone())),
        );
    }
    groups
        .into_values()
        .filter(|g| !g.entries.is_empty())
        .collect()
}

/// The spec fields some intent policy reads; `None`: possibly all.
fn spec_fields(policies: &[Policy]) -> Option<BTreeSet<String>> {
    let mut union = BTreeSet::new();
    for policy in policies.iter().filter(|p| p.target == Target::Intent) {
        union.extend(policy.reads.spec.iter().flatten().cloned());
        policy.reads.spec.as_ref()?;
    }
    Some(union)
}

/// One policy package.
pub struct Policy {
    pub rule: Arc<Rule>,
    pub target: Target,
    /// For rendered objects: the Kubernetes kinds or Terraform resource types it looks
    /// at (`meta.kinds`); every object when not given.
    kinds: Option<BTreeSet<String>>,
    reads: Reads,
    /// `data.<package>.deny` / `.warn` where declared, with the level each reports at.
    entries: Vec<(Level, String)>,
}

/// Every policy of a run, compiled.
pub struct Policies {
    pub policies: Vec<Policy>,
    files: Vec<Arc<SourceFile>>,
    engine: Engine,
    program: Option<(CompiledPolicy, Arc<regorus::rvm::program::Program>)>,
    groups: Vec<Group>,
    /// The spec fields intent policies read, the only ones converted for them.
    spec_fields: Option<BTreeSet<String>>,
}

impl Default for Policies {
    fn default() -> Self {
        Self {
            policies: Vec::new(),
            files: Vec::new(),
            engine: Engine::new(),
            program: None,
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

/// The source files of the built-in and organisation policies (tests too when asked);
/// the organisation's are read up to `limit` bytes (`limits.maxFileBytes`).
pub fn sources(repo: &Repo, tests: bool, limit: u64) -> (Vec<Arc<SourceFile>>, Vec<Finding>) {
    let mut files: Vec<Arc<SourceFile>> = BUILT_IN
        .iter()
        .filter(|(path, _)| tests || !path.ends_with("_test.rego"))
        .map(|(path, text)| Arc::new(SourceFile::new(*path, *text)))
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
fn error_finding(
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
        let entries: Vec<(Level, String)> = [(Level::Deny, "deny"), (Level::Warn, "warn")]
            .into_iter()
            .filter(|(_, rule)| declared(rule))
            .map(|(level, rule)| (level, format!("{package}.{rule}")))
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
    let program = compile_vm(&mut engine, &mut groups);
    (
        Policies {
            policies,
            files,
            engine,
            program,
            spec_fields,
            groups,
        },
        findings,
    )
}

type Program = (CompiledPolicy, Arc<regorus::rvm::program::Program>);

/// One program for the register VM: per group, an aggregate rule gathering its policies'
/// `deny` and `warn` items as `[policy, level, item]`, plus each policy's own entries
/// (used when an aggregate fails on some input). `None` when a policy uses what the VM
/// does not compile yet; the interpreter then runs everything.
fn compile_vm(engine: &mut Engine, groups: &mut [Group]) -> Option<Program> {
    for (index, group) in groups.iter_mut().enumerate() {
        let mut module = format!("package paved.aggregate.g{index}\n\nimport rego.v1\n");
        for (policy, level, entry) in &group.entries {
            let level = if *level == Level::Warn {
                "warn"
            } else {
                "deny"
            };
            module.push_str(&format!(
                "\nresults contains [{policy}, \"{level}\", item] if {{\n\tsome item in {entry}\n}}\n"
            ));
        }
        if engine
            .add_policy(format!("<aggregate {index}>"), module)
            .is_ok()
        {
            group.aggregate = Some(format!("data.paved.aggregate.g{index}.results"));
        }
    }
    let mut entries: Vec<&str> = groups
        .iter()
        .filter_map(|g| g.aggregate.as_deref())
        .collect();
    entries.extend(
        groups
            .iter()
            .flat_map(|g| g.entries.iter().map(|(.., e)| e.as_str())),
    );
    let first = entries.first()?;
    let compiled = engine.compile_with_entrypoint(&(*first).into()).ok()?;
    let program =
        regorus::languages::rego::compiler::Compiler::compile_from_policy(&compiled, &entries)
            .ok()?;
    Some((compiled, program))
}

/// Evaluates entry points against inputs, on whichever engine the policies allow.
enum Evaluator {
    Vm(Box<regorus::rvm::vm::RegoVM>),
    Interpreter(Box<Engine>),
}

impl Evaluator {
    /// Every policy's results through the target's aggregate entry, or `None` when it
    /// fails (some policy errs on this input; evaluating them one by one tells which).
    fn aggregate(&mut self, input: &Rego, entry: &str) -> Option<Vec<Violation>> {
        let Evaluator::Vm(vm) = self else {
            return None;
        };
        vm.set_input(input.clone());
        let value = vm.execute_entry_point_by_name(entry).ok()?;
        let text = value.to_json_str().ok()?;
        let Json::Array(results) = serde_json::from_str(&text).ok()? else {
            return Some(Vec::new());
        };
        let mut violations = Vec::new();
        for result in results {
            let (Some(policy), Some(level), Some(item)) = (
                result.get(0).and_then(Json::as_u64),
                result.get(1).and_then(Json::as_str),
                result.get(2),
            ) else {
                continue;
            };
            let level = if level == "warn" {
                Level::Warn
            } else {
                Level::Deny
            };
            let policy = usize::try_from(policy).ok()?;
            violations.extend(item_of(item).map(|(message, path)| Violation {
                policy,
                level,
                message,
                path,
            }));
        }
        Some(violations)
    }

    fn evaluate(
        &mut self,
        input: &Rego,
        entries: &[(usize, Level, String)],
    ) -> Vec<(usize, Level, Result<Rego, String>)> {
        let input = input.clone();
        match self {
            Evaluator::Vm(vm) => {
                vm.set_input(input);
                entries
                    .iter()
                    .map(|(policy, level, entry)| {
                        (
                            *policy,
                            *level,
                            vm.execute_entry_point_by_name(entry)
                                .map_err(|e| e.to_string()),
                        )
                    })
                    .collect()
            }
            Evaluator::Interpreter(engine) => {
                engine.set_input(input);
                entries
                    .iter()
                    .map(|(policy, level, entry)| {
                        (
                            *policy,
                            *level,
                            engine.eval_rule(entry.clone()).map_err(|e| e.to_string()),
                        )
                    })
                    .collect()
            }
        }
    }
}

/// One input's violations, and the evaluation errors of the policies that failed on it.
type Outcome = (Vec<Violation>, Vec<(usize, String)>);

/// A violation a policy reported for one input.
#[derive(Clone)]
pub struct Violation {
    pub policy: usize,
    pub level: Level,
    pub message: String,
    /// A JSON pointer into the input's intent (or object), when the policy gave one.
    pub path: Option<String>,
}

impl Policies {
    pub fn rules(&self) -> impl Iterator<Item = &Arc<Rule>> {
        self.policies.iter().map(|p| &p.rule)
    }

    pub fn find(&self, code: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.rule.code == code)
    }

    fn evaluator(&self) -> Evaluator {
        match &self.program {
            Some((compiled, program)) => {
                let mut vm = regorus::rvm::vm::RegoVM::new_with_policy(compiled.clone());
                vm.load_program(Arc::clone(program));
                let _ = vm.set_data(Rego::new_object());
                Evaluator::Vm(Box::new(vm))
            }
            None => Evaluator::Interpreter(Box::new(self.engine.clone())),
        }
    }

    /// Evaluate the policies of `target` on every input, in parallel. Evaluation errors
    /// become findings on the policy.
    /// Every policy of `target` on each input; with `kinds`, the kind of object each
    /// input is, for the policies that look at some kinds only.
    pub fn evaluate(
        &self,
        target: Target,
        inputs: &[Rego],
        kinds: Option<&[String]>,
    ) -> (Vec<Vec<Violation>>, Vec<Finding>) {
        let groups: Vec<&Group> = self.groups.iter().filter(|g| g.target == target).collect();
        let results: Vec<Outcome> = inputs
            .par_iter()
            .enumerate()
            .map_init(
                || self.evaluator(),
                |evaluator, (index, input)| {
                    let kind = kinds.and_then(|kinds| kinds.get(index)).map(String::as_str);
                    let mut outcome = Outcome::default();
                    for group in groups.iter().filter(|g| g.looks_at(kind)) {
                        let (violations, errors) = self.run(evaluator, group, input);
                        outcome.0.extend(violations);
                        outcome.1.extend(errors);
                    }
                    outcome
                },
            )
            .collect();
        let mut errors = Vec::new();
        let violations = results
            .into_iter()
            .map(|(violations, e)| {
                errors.extend(e);
                violations
            })
            .collect();
        (violations, self.error_findings(errors))
    }

    /// One group's policies on one input: through its aggregate entry when it has one
    /// and it succeeds, else policy by policy, which tells which policy failed.
    fn run(&self, evaluator: &mut Evaluator, group: &Group, input: &Rego) -> Outcome {
        if self.program.is_some()
            && let Some(entry) = &group.aggregate
            && let Some(violations) = evaluator.aggregate(input, entry)
        {
            return (violations, Vec::new());
        }
        let mut violations = Vec::new();
        let mut errors = Vec::new();
        for (policy, level, result) in evaluator.evaluate(input, &group.entries) {
            match result {
                Ok(value) => {
                    violations.extend(items(&value).into_iter().map(|(message, path)| Violation {
                        policy,
                        level,
                        message,
                        path,
                    }))
                }
                Err(e) => errors.push((policy, e)),
            }
        }
        (violations, errors)
    }

    /// One finding per policy that failed, on the policy's source.
    fn error_findings(&self, errors: Vec<(usize, String)>) -> Vec<Finding> {
        let mut reported = BTreeSet::new();
        errors
            .into_iter()
            .filter(|(policy, _)| reported.insert(*policy))
            .map(|(policy, error)| {
                let rule = &self.policies[policy].rule;
                let file = self.files.iter().find(|f| f.path == rule.file);
                let fallback = file
                    .cloned()
                    .unwrap_or_else(|| Arc::new(SourceFile::new(rule.file.clone(), "")));
                let context = format!("policy `{}` failed", rule.code);
                error_finding(&self.files, &fallback, &error, &context)
            })
            .collect()
    }
}

/// A `deny`/`warn` set's items as (message, path): strings, or objects with `msg` and
/// an optional `path` (a JSON pointer, or a dotted path like `spec.ports[0].port`).
fn items(value: &Rego) -> Vec<(String, Option<String>)> {
    let Ok(text) = value.to_json_str() else {
        return Vec::new();
    };
    let json: Json = serde_json::from_str(&text).unwrap_or(Json::Null);
    let list = match json {
        Json::Array(items) => items,
        Json::Null => Vec::new(),
        other => vec![other],
    };
    list.iter().filter_map(item_of).collect()
}

fn item_of(item: &Json) -> Option<(String, Option<String>)> {
    Some(match item {
        Json::String(message) => (message.clone(), None),
        Json::Object(map) => {
            let message = map
                .get("msg")
                .or_else(|| map.get("message"))
                .and_then(Json::as_str)
                .unwrap_or("the policy does not hold")
                .to_string();
            let path = map.get("path").and_then(Json::as_str).map(to_pointer);
            (message, path)
        }
        other => (other.to_string(), None),
    })
}

/// `spec.ports[0].port` → `/spec/ports/0/port`; JSON pointers pass through.
pub fn to_pointer(path: &str) -> String {
    if path.is_empty() || path.starts_with('/') {
        return path.to_string();
    }
    let mut out = String::new();
    for part in path.split('.') {
        let mut rest = part;
        if let Some(open) = rest.find('[') {
            out.push('/');
            out.push_str(&escape_pointer(&rest[..open]));
            rest = &rest[open..];
            while let Some(stripped) = rest.strip_prefix('[') {
                let Some(close) = stripped.find(']') else {
                    break;
                };
                out.push('/');
                out.push_str(stripped[..close].trim_matches('"'));
                rest = &stripped[close + 1..];
            }
        } else {
            out.push('/');
            out.push_str(&escape_pointer(rest));
        }
    }
    out
}

/// The severity a violation is reported at: paved.yaml's setting for the rule (in the
/// environment, else overall), else the entry's (`deny` or `warn`); `None` when off.
fn severity(
    config: &Config,
    rule: &Rule,
    environment: Option<&str>,
    level: Level,
) -> Option<Severity> {
    match config
        .policies
        .level(&rule.code, environment)
        .unwrap_or(level)
    {
        Level::Deny => Some(Severity::Error),
        Level::Warn => Some(Severity::Warning),
        Level::Off => None,
    }
}

/// Builds the inputs service policies see. What many inputs share (the platform, a
/// team, an environment) is converted once: regorus values share their subtrees.
pub struct Inputs<'a> {
    catalog: &'a Catalog,
    platform: Rego,
    environments: BTreeMap<String, Rego>,
    teams: BTreeMap<String, Rego>,
}

impl<'a> Inputs<'a> {
    pub fn new(config: &'a Config, catalog: &'a Catalog) -> Self {
        Self {
            catalog,
            platform: Rego::from(platform_json(config)),
            environments: config
                .environments
                .iter()
                .map(|e| (e.name.clone(), Rego::from(environment_json(e))))
                .collect(),
            teams: catalog
                .teams
                .iter()
                .map(|(name, t)| {
                    (
                        name.clone(),
                        Rego::from(serde_json::to_value(&t.team).unwrap_or(Json::Null)),
                    )
                })
                .collect(),
        }
    }

    /// A service's effective intents (one per distinct spec its environments resolve
    /// to) with the summaries of their dependencies, holding the spec fields policies
    /// `read` (all when `None`). A field's value is converted once for all the specs that
    /// share it: environments mostly override a field or two.
    pub fn intents(
        &self,
        entry: &ServiceEntry,
        specs: &[&crate::model::intent::ServiceSpec],
        read: Option<&BTreeSet<String>>,
    ) -> Vec<IntentInput> {
        let service = &entry.service;
        let summary = |name: &String| {
            self.catalog.services.get(name).map(|d| {
                json!({
                    "name": name,
                    "owner": d.service.metadata.owner,
                    "tier": d.service.metadata.tier,
                    "lifecycle": d.service.metadata.lifecycle,
                })
            })
        };
        // Through JSON text: regorus parses it straight into its values, several times
        // faster than through `serde_json::Value`.
        let parse = |text: &str| Rego::from_json_str(text).unwrap_or(Rego::Null);
        let metadata = parse(&serde_json::to_string(&service.metadata).unwrap_or_default());
        // Converted field values, by the collection they share or by their JSON text.
        let mut converted: BTreeMap<(&str, FieldKey), Rego> = BTreeMap::new();
        let mut summaries: Vec<(usize, Rego)> = Vec::new();
        specs
            .iter()
            .map(|spec| {
                let mut object = BTreeMap::new();
                spec_fields_of(spec, &mut |name, shared, text| {
                    if read.is_some_and(|r| !r.contains(name)) {
                        return;
                    }
                    let key = match shared {
                        Some(address) => FieldKey::Shared(address),
                        None => FieldKey::Text(text()),
                    };
                    let value = match converted.entry((name, key)) {
                        std::collections::btree_map::Entry::Occupied(known) => known.get().clone(),
                        std::collections::btree_map::Entry::Vacant(new) => {
                            let value = match &new.key().1 {
                                FieldKey::Text(text) => parse(text),
                                FieldKey::Shared(_) => parse(&text()),
                            };
                            new.insert(value).clone()
                        }
                    };
                    object.insert(Rego::from(name), value);
                });
                let intent = BTreeMap::from([
                    (
                        Rego::from("apiVersion"),
                        Rego::from(crate::model::intent::API_VERSION),
                    ),
                    (Rego::from("kind"), Rego::from("Service")),
                    (Rego::from("metadata"), metadata.clone()),
                    (Rego::from("spec"), Rego::from(object)),
                ]);
                let address = Arc::as_ptr(&spec.dependencies) as usize;
                let dependencies = match summaries.iter().find(|(a, _)| *a == address) {
                    Some((_, value)) => value.clone(),
                    None => {
                        let list: Vec<Json> =
                            spec.dependencies.iter().filter_map(summary).collect();
                        let value = parse(&Json::Array(list).to_string());
                        summaries.push((address, value.clone()));
                        value
                    }
                };
                IntentInput {
                    intent: Rego::from(intent),
                    dependencies,
                }
            })
            .collect()
    }

    /// An environment as policies see it.
    pub fn environment(&self, name: &str) -> Rego {
        self.environments.get(name).cloned().unwrap_or(Rego::Null)
    }

    /// The input of a service in one environment: its intent, the environment, its
    /// team, its dependencies, the platform. Without an environment, for the policies
    /// that do not read it.
    pub fn service(
        &self,
        entry: &ServiceEntry,
        intent: &IntentInput,
        environment: Option<&Rego>,
    ) -> Rego {
        let mut input = BTreeMap::new();
        input.insert(Rego::from("kind"), Rego::from("Service"));
        input.insert(Rego::from("intent"), intent.intent.clone());
        input.insert(Rego::from("dependencies"), intent.dependencies.clone());
        input.insert(Rego::from("platform"), self.platform.clone());
        if let Some(environment) = environment {
            input.insert(Rego::from("environment"), environment.clone());
        }
        input.insert(
            Rego::from("team"),
            self.teams
                .get(&entry.service.metadata.owner)
                .cloned()
                .unwrap_or(Rego::Null),
        );
        Rego::from(input)
    }
}

/// What identifies a spec field's value among a service's specs.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
enum FieldKey {
    /// The address of the collection behind an `Arc`, shared by the specs whose
    /// environments leave it alone.
    Shared(usize),
    /// The JSON text of the value.
    Text(String),
}

/// Receives a field's name, the shared collection behind it and its JSON text on demand.
type FieldVisitor<'a, 'v> = dyn FnMut(&'a str, Option<usize>, &dyn Fn() -> String) + 'v;

/// Calls `visit` with each field of `spec` as its JSON form has it (name, the shared
/// collection behind it if any, its JSON text on demand), leaving out `environments`,
/// which the resolver has applied. The destructuring names every field, so that a
/// field added to the spec cannot be forgotten here.
fn spec_fields_of<'a>(
    spec: &'a crate::model::intent::ServiceSpec,
    visit: &mut FieldVisitor<'a, '_>,
) {
    fn text<T: serde::Serialize + ?Sized>(value: &T) -> String {
        serde_json::to_string(value).unwrap_or_default()
    }
    fn shared<T>(value: &Arc<T>) -> Option<usize> {
        Some(Arc::as_ptr(value).cast::<()>() as usize)
    }
    let crate::model::intent::ServiceSpec {
        kind,
        image,
        command,
        args,
        ports,
        size,
        replicas,
        autoscaling,
        probes,
        env,
        files,
        volumes,
        sidecars,
        secrets,
        dependencies,
        expose,
        slos,
        alerts,
        resources,
        environments: _,
        extensions,
    } = spec;
    visit("type", None, &|| text(kind));
    visit("image", None, &|| text(image));
    visit("command", shared(command), &|| text(command));
    visit("args", shared(args), &|| text(args));
    visit("ports", shared(ports), &|| text(ports));
    if let Some(size) = size {
        visit("size", None, &|| text(size));
    }
    if let Some(replicas) = replicas {
        visit("replicas", None, &|| text(replicas));
    }
    if let Some(autoscaling) = autoscaling {
        visit("autoscaling", None, &|| text(autoscaling));
    }
    visit("probes", shared(probes), &|| text(probes));
    visit("env", shared(env), &|| text(env));
    visit("files", shared(files), &|| text(files));
    visit("volumes", shared(volumes), &|| text(volumes));
    visit("sidecars", shared(sidecars), &|| text(sidecars));
    visit("secrets", shared(secrets), &|| text(secrets));
    visit("dependencies", shared(dependencies), &|| text(dependencies));
    if let Some(expose) = expose {
        visit("expose", None, &|| text(expose));
    }
    visit("slos", shared(slos), &|| text(slos));
    visit("alerts", shared(alerts), &|| text(alerts));
    visit("resources", shared(resources), &|| text(resources));
    for (name, value) in extensions {
        visit(name, None, &|| text(value));
    }
}

/// See [`Inputs::intents`].
pub struct IntentInput {
    intent: Rego,
    dependencies: Rego,
}

impl IntentInput {
    /// The intent as policies see it, under `input.intent`.
    pub fn intent(&self) -> &Rego {
        &self.intent
    }
}

/// An environment for policies. Unset settings are absent, not null, so that Rego's
/// `not input.environment.ttl` means "no ttl".
fn environment_json(env: &crate::model::config::Environment) -> Json {
    let mut value = json!({
        "name": env.name,
        "production": env.production,
        "ephemeral": env.ttl.is_some(),
        "region": env.region,
    });
    for (key, setting) in [
        ("ttl", &env.ttl),
        ("account", &env.account),
        ("cluster", &env.cluster),
        ("domain", &env.domain),
    ] {
        if let Some(setting) = setting {
            value[key] = json!(setting);
        }
    }
    value
}

fn platform_json(config: &Config) -> Json {
    json!({
        "registries": config.registries,
        "sizes": config.size_names().collect::<Vec<_>>(),
        "defaultSize": config.default_size,
        "environments": config.environments.iter().map(environment_json).collect::<Vec<_>>(),
    })
}

/// A waiver, from an intent or from `platform/waivers.yaml`.
#[derive(Debug, Clone)]
pub struct WaiverEntry {
    pub rule: String,
    pub reason: String,
    pub expires: String,
    pub environments: Vec<String>,
    /// Services it applies to; empty with `teams` empty means none.
    pub services: Vec<String>,
    pub teams: Vec<String>,
    pub location: Location,
}

/// Every waiver of a run, with an index from the services and teams they name, so
/// that finding the waiver of a finding does not scan them all: each service may
/// carry waivers of its own.
#[derive(Debug, Default)]
pub struct Waivers {
    entries: Vec<WaiverEntry>,
    /// `(rule, service)` and `(rule, team)` to the waivers naming them, in order.
    by_service: BTreeMap<(String, String), Vec<usize>>,
    by_team: BTreeMap<(String, String), Vec<usize>>,
}

impl Waivers {
    fn new(entries: Vec<WaiverEntry>) -> Self {
        let mut by_service: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
        let mut by_team: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
        for (index, waiver) in entries.iter().enumerate() {
            for service in &waiver.services {
                let key = (waiver.rule.clone(), service.clone());
                by_service.entry(key).or_default().push(index);
            }
            for team in &waiver.teams {
                let key = (waiver.rule.clone(), team.clone());
                by_team.entry(key).or_default().push(index);
            }
        }
        Waivers {
            entries,
            by_service,
            by_team,
        }
    }

    /// The first waiver still valid on `today` that covers `rule` for `service` of
    /// `team` in `environment`, with its index.
    fn covering(
        &self,
        rule: &str,
        service: &str,
        team: &str,
        environment: Option<&str>,
        today: &str,
    ) -> Option<(usize, &WaiverEntry)> {
        let key = |name: &str| (rule.to_string(), name.to_string());
        let service_key = key(service);
        let team_key = key(team);
        let named = self.by_service.get(&service_key).into_iter().flatten();
        named
            .chain(self.by_team.get(&team_key).into_iter().flatten())
            .copied()
            .filter(|&index| {
                let waiver = &self.entries[index];
                waiver.expires.as_str() >= today && waiver.covers(rule, service, team, environment)
            })
            .min()
            .map(|index| (index, &self.entries[index]))
    }
}

impl std::ops::Deref for Waivers {
    type Target = [WaiverEntry];

    fn deref(&self) -> &[WaiverEntry] {
        &self.entries
    }
}

impl WaiverEntry {
    fn covers(&self, rule: &str, service: &str, team: &str, environment: Option<&str>) -> bool {
        self.rule == rule
            && (self.services.iter().any(|s| s == service) || self.teams.iter().any(|t| t == team))
            && (self.environments.is_empty()
                || environment.is_some_and(|e| self.environments.iter().any(|x| x == e)))
    }
}

/// Every waiver of the repository, with problems in the waivers file as findings.
pub fn waivers(
    repo: &Repo,
    catalog: &Catalog,
    schemas: &Schemas,
    limits: &crate::model::config::Limits,
    findings: &mut Vec<Finding>,
) -> Waivers {
    Waivers::new(waiver_entries(repo, catalog, schemas, limits, findings))
}

fn waiver_entries(
    repo: &Repo,
    catalog: &Catalog,
    schemas: &Schemas,
    limits: &crate::model::config::Limits,
    findings: &mut Vec<Finding>,
) -> Vec<WaiverEntry> {
    let mut out = Vec::new();
    for (name, entry) in &catalog.services {
        for (i, waiver) in entry.service.metadata.waivers.iter().enumerate() {
            out.push(WaiverEntry {
                rule: waiver.rule.clone(),
                reason: waiver.reason.clone(),
                expires: waiver.expires.clone(),
                environments: waiver.environments.clone(),
                services: vec![name.clone()],
                teams: Vec::new(),
                location: entry.origin.value(&format!("/metadata/waivers/{i}/rule")),
            });
        }
    }
    let path = format!("{}/waivers.yaml", crate::load::platform::DIR);
    let file = match repo.read_text(&path, limits.max_file_bytes) {
        Ok(file) => file,
        Err(finding) => {
            if finding.code != Code::FileUnreadable {
                findings.push(*finding);
            }
            return out;
        }
    };
    let loaded = yaml::load(&file, limits.yaml);
    findings.extend(
        loaded
            .problems
            .iter()
            .map(|p| crate::diag::finding::yaml_finding(&file, p)),
    );
    let Some(root_node) = loaded.documents.into_iter().next() else {
        return out;
    };
    let origin = Origin::new(&file, 0, root_node);
    let json = origin.root().to_json();
    let errors = schemas.check(schema::Kind::Waivers, &json, &origin, &|p| p.to_string());
    if !errors.is_empty() {
        findings.extend(errors);
        return out;
    }
    let strings = |value: &Json| -> Vec<String> {
        value
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Json::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    for (i, waiver) in json["waivers"].as_array().into_iter().flatten().enumerate() {
        out.push(WaiverEntry {
            rule: waiver["rule"].as_str().unwrap_or_default().to_string(),
            reason: waiver["reason"].as_str().unwrap_or_default().to_string(),
            expires: waiver["expires"].as_str().unwrap_or_default().to_string(),
            environments: strings(&waiver["environments"]),
            services: strings(&waiver["services"]),
            teams: strings(&waiver["teams"]),
            location: origin.value(&format!("/waivers/{i}/rule")),
        });
    }
    out
}

/// Turns violations into findings: severity from paved.yaml, waivers applied.
pub struct Reporter<'a> {
    pub config: &'a Config,
    pub policies: &'a Policies,
    pub waivers: &'a Waivers,
    /// Today, `YYYY-MM-DD`: waivers expiring before it no longer apply.
    pub today: &'a str,
    /// Which waivers silenced something.
    pub used: BTreeSet<usize>,
}

impl<'a> Reporter<'a> {
    pub fn new(
        config: &'a Config,
        policies: &'a Policies,
        waivers: &'a Waivers,
        today: &'a str,
    ) -> Self {
        Reporter {
            config,
            policies,
            waivers,
            today,
            used: BTreeSet::new(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub fn finding(
        &mut self,
        violation: &Violation,
        location: Location,
        service: Option<(&str, &str)>,
        environment: Option<&str>,
        prefix: &str,
    ) -> Option<Finding> {
        let policy = &self.policies.policies[violation.policy];
        let rule = &policy.rule;
        let severity = severity(self.config, rule, environment, violation.level)?;
        let mut finding = Finding::at(
            Code::PolicyViolation,
            location,
            format!("{prefix}{}", violation.message),
        )
        .severity(severity)
        .help(rule.fix.clone())
        .label(rule.title.clone());
        finding.rule = Some(Arc::clone(rule));
        if let Some((name, team)) = service
            && let Some((index, waiver)) =
                self.waivers
                    .covering(&rule.code, name, team, environment, self.today)
        {
            self.used.insert(index);
            finding.severity = Severity::Note;
            finding.waived = Some(Waived {
                reason: waiver.reason.clone(),
                expires: waiver.expires.clone(),
                location: waiver.location.clone(),
            });
        }
        Some(finding)
    }

    /// Findings about the waivers themselves: expired, naming no rule, or (for rules of
    /// the targets evaluated) silencing nothing.
    pub fn waiver_findings(&self, targets: &[Target]) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (index, waiver) in self.waivers.iter().enumerate() {
            let Some(policy) = self.policies.find(&waiver.rule) else {
                let known: Vec<&str> = self.policies.rules().map(|r| r.code.as_str()).collect();
                let mut finding = Finding::at(
                    Code::WaiverUnknownRule,
                    waiver.location.clone(),
                    format!("no policy rule has the code `{}`", waiver.rule),
                );
                if let Some(s) =
                    crate::diag::finding::did_you_mean(&waiver.rule, known.iter().copied())
                {
                    finding = finding.help(format!("did you mean `{s}`?"));
                }
                findings.push(finding);
                continue;
            };
            if waiver.expires.as_str() < self.today {
                findings.push(
                    Finding::at(
                        Code::WaiverExpired,
                        waiver.location.clone(),
                        format!(
                            "the waiver of `{}` expired on {}",
                            waiver.rule, waiver.expires
                        ),
                    )
                    .label("expired"),
                );
            } else if targets.contains(&policy.target) && !self.used.contains(&index) {
                findings.push(Finding::at(
                    Code::WaiverUnused,
                    waiver.location.clone(),
                    format!("the waiver of `{}` silences no finding", waiver.rule),
                ));
            }
        }
        findings
    }
}

/// The intent policies' outcome for each of a service's deployments. Environments that
/// agree on what a group of policies reads share one evaluation of the group.
fn evaluate_service(
    policies: &Policies,
    groups: &[&Group],
    builder: &Inputs,
    evaluator: &mut Evaluator,
    entry: &ServiceEntry,
) -> Vec<Outcome> {
    let deployments = &entry.deployments;
    // Environments that override nothing share one spec: it is converted once.
    let mut specs: Vec<&crate::model::intent::ServiceSpec> = Vec::new();
    let spec_of: Vec<usize> = deployments
        .iter()
        .map(|d| {
            specs
                .iter()
                .position(|s| std::ptr::eq(*s, d.spec.as_ref()))
                .unwrap_or_else(|| {
                    specs.push(&d.spec);
                    specs.len() - 1
                })
        })
        .collect();
    let intents = builder.intents(entry, &specs, policies.spec_fields.as_ref());
    let environments: Vec<Rego> = deployments
        .iter()
        .map(|d| builder.environment(&d.environment))
        .collect();
    // Inputs are built once and shared by the groups: per deployment, and per spec
    // without the environment.
    let mut with_environment: Vec<Option<Rego>> = vec![None; deployments.len()];
    let mut without_environment: Vec<Option<Rego>> = vec![None; specs.len()];
    let mut outcomes = vec![Outcome::default(); deployments.len()];
    for group in groups {
        let mut classes: Vec<Vec<usize>> = Vec::new();
        for (d, &spec) in spec_of.iter().enumerate() {
            let same = classes.iter_mut().find(|class| {
                let other = class[0];
                group.reads.agree(
                    (&intents[spec_of[other]], &environments[other]),
                    (&intents[spec], &environments[d]),
                )
            });
            match same {
                Some(class) => class.push(d),
                None => classes.push(vec![d]),
            }
        }
        for class in classes {
            let first = class[0];
            let spec = spec_of[first];
            let input = if group.reads.reads_environment() {
                with_environment[first].get_or_insert_with(|| {
                    builder.service(entry, &intents[spec], Some(&environments[first]))
                })
            } else {
                without_environment[spec]
                    .get_or_insert_with(|| builder.service(entry, &intents[spec], None))
            };
            let (violations, errors) = policies.run(evaluator, group, input);
            for &d in &class {
                outcomes[d].0.extend(violations.iter().cloned());
            }
            outcomes[first].1.extend(errors);
        }
    }
    outcomes
}

/// Intent and platform policies over the whole catalog.
pub fn check(
    config: &Config,
    config_file: Option<&Arc<SourceFile>>,
    catalog: &Catalog,
    policies: &Policies,
    waivers: &Waivers,
    today: &str,
    only: Option<&BTreeSet<String>>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    let builder = Inputs::new(config, catalog);
    let groups: Vec<&Group> = policies
        .groups
        .iter()
        .filter(|g| g.target == Target::Intent)
        .collect();
    // Service by service, so that only the inputs of the services being evaluated exist
    // at once.
    let services: Vec<&ServiceEntry> = catalog
        .services
        .iter()
        .filter(|(name, _)| only.is_none_or(|only| only.contains(*name)))
        .map(|(_, entry)| entry)
        .collect();
    let outcomes: Vec<Vec<Outcome>> = services
        .par_iter()
        .map_init(
            || policies.evaluator(),
            |evaluator, entry| evaluate_service(policies, &groups, &builder, evaluator, entry),
        )
        .collect();
    let mut errors = Vec::new();
    let mut results = Vec::new();
    for (violations, e) in outcomes.into_iter().flatten() {
        results.push(violations);
        errors.extend(e);
    }
    findings.extend(policies.error_findings(errors));
    // In the order of `results`: services, then their deployments.
    let units: Vec<(&ServiceEntry, &str)> = services
        .iter()
        .flat_map(|entry| {
            entry
                .deployments
                .iter()
                .map(move |d| (*entry, d.environment.as_str()))
        })
        .collect();
    let mut reporter = Reporter::new(config, policies, waivers, today);
    // A violation found the same way in several environments is one finding, naming
    // the environments unless it holds in all of them.
    type Key = (String, String, usize, String, bool, String);
    let mut grouped: BTreeMap<Key, (Finding, Vec<String>)> = BTreeMap::new();
    for ((entry, environment), violations) in units.iter().zip(results) {
        let metadata = &entry.service.metadata;
        for violation in &violations {
            let pointer = violation
                .path
                .clone()
                .unwrap_or_else(|| String::from("/metadata/name"));
            // `team...` paths point into the owner team's intent, where the fix goes.
            let team = pointer
                .strip_prefix("/team")
                .and_then(|rest| Some((catalog.teams.get(&metadata.owner)?, rest)));
            let location = match team {
                Some((team, rest)) => team.origin.place(rest),
                None => {
                    let pointer = pointer.strip_prefix("/intent").unwrap_or(&pointer);
                    entry.origin.place(&resolve::document_pointer(
                        entry,
                        Some(environment),
                        pointer,
                    ))
                }
            };
            let Some(finding) = reporter.finding(
                violation,
                location,
                Some((&metadata.name, &metadata.owner)),
                Some(environment),
                "",
            ) else {
                continue;
            };
            let key = (
                finding.code_name().to_string(),
                finding.location.file.path.clone(),
                finding.location.span.start,
                finding.message.clone(),
                finding.waived.is_some(),
                metadata.name.clone(),
            );
            grouped
                .entry(key)
                .or_insert_with(|| (finding, Vec::new()))
                .1
                .push((*environment).to_string());
        }
    }
    for ((.., service), (mut finding, environments)) in grouped {
        let deployed = catalog.services.get(&service).map(|e| e.deployments.len());
        if deployed != Some(environments.len()) {
            finding.message = format!(
                "in {}: {}",
                crate::diag::finding::list(&environments),
                finding.message
            );
        }
        findings.push(finding);
    }
    let platform_inputs: Vec<Rego> = config
        .environments
        .iter()
        .map(|env| Rego::from(json!({ "kind": "Platform", "environment": environment_json(env), "platform": platform_json(config) })))
        .collect();
    let (results, errors) = policies.evaluate(Target::Platform, &platform_inputs, None);
    findings.extend(errors);
    let config_origin = config_file.map(|file| Origin::lazy(file, 0));
    for (env, violations) in config.environments.iter().zip(results) {
        for violation in &violations {
            let location = match &config_origin {
                Some(origin) => origin.value(
                    &violation
                        .path
                        .clone()
                        .unwrap_or_else(|| format!("/environments/{}", env.name)),
                ),
                None => {
                    let file = Arc::new(SourceFile::new(crate::load::config::FILE_NAME, ""));
                    Location::new(&file, file.start())
                }
            };
            if let Some(finding) = reporter.finding(violation, location, None, Some(&env.name), "")
            {
                findings.push(finding);
            }
        }
    }
    findings.extend(reporter.waiver_findings(&[Target::Intent, Target::Platform]));
    findings.extend(unknown_settings(config, config_origin.as_ref(), policies));
    findings
}

/// paved.yaml settings for rules that do not exist.
fn unknown_settings(config: &Config, origin: Option<&Origin>, policies: &Policies) -> Vec<Finding> {
    let Some(origin) = origin else {
        return Vec::new();
    };
    let known: Vec<&str> = policies.rules().map(|r| r.code.as_str()).collect();
    let settings = &config.policies;
    let global = settings
        .rules
        .keys()
        .map(|code| (code, format!("/policies/rules/{code}")));
    let per_env = settings.environments.iter().flat_map(|(env, rules)| {
        rules
            .keys()
            .map(move |code| (code, format!("/policies/environments/{env}/{code}")))
    });
    global
        .chain(per_env)
        .filter(|(code, _)| !known.contains(&code.as_str()))
        .map(|(code, pointer)| {
            let mut finding = Finding::at(
                Code::UnknownPolicyRule,
                origin.key(&pointer),
                format!("no policy rule has the code `{code}`"),
            );
            if let Some(s) = crate::diag::finding::did_you_mean(code, known.iter().copied()) {
                finding = finding.help(format!("did you mean `{s}`?"));
            }
            finding
        })
        .collect()
}

/// The outcome of `paved policy test`.
#[derive(Debug, Default)]
pub struct TestReport {
    /// (file, test rule, passed, why it failed)
    pub results: Vec<(String, String, bool, Option<String>)>,
    pub findings: Vec<Finding>,
}

/// Run the `test_*` rules of the policies' `*_test.rego` files (OPA's convention):
/// a test passes when it evaluates to true.
pub fn test(repo: &Repo, built_in: bool) -> TestReport {
    let (files, findings) = sources(
        repo,
        true,
        crate::model::config::Limits::default().max_file_bytes,
    );
    let mut report = TestReport {
        findings,
        ..TestReport::default()
    };
    let mut engine = Engine::new();
    let mut tests: Vec<(String, String)> = Vec::new();
    for file in &files {
        match engine.add_policy(file.path.clone(), file.text.to_string()) {
            Ok(package) => {
                let is_test = file.path.ends_with("_test.rego");
                let organisation = file.path.starts_with(crate::load::platform::DIR);
                if is_test && (organisation || built_in) {
                    for line in file.text.lines() {
                        if let Some(rest) = line.strip_prefix("test_") {
                            let name: String = rest
                                .chars()
                                .take_while(|c| c.is_alphanumeric() || *c == '_')
                                .collect();
                            let rule = format!("{package}.test_{name}");
                            if !tests.iter().any(|(_, r)| *r == rule) {
                                tests.push((file.path.clone(), rule));
                            }
                        }
                    }
                }
            }
            Err(e) => report.findings.push(error_finding(
                &files,
                file,
                &e.to_string(),
                "the policy does not parse",
            )),
        }
    }
    for (file, rule) in tests {
        let name = rule.rsplit('.').next().unwrap_or_default().to_string();
        match engine.eval_rule(rule) {
            Ok(Rego::Bool(true)) => report.results.push((file, name, true, None)),
            Ok(Rego::Undefined) => {
                report
                    .results
                    .push((file, name, false, Some(String::from("undefined"))))
            }
            Ok(other) => report.results.push((
                file,
                name,
                false,
                Some(other.to_json_str().unwrap_or_default()),
            )),
            Err(e) => {
                let message = e.to_string();
                let short = message
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("error: "))
                    .unwrap_or(message.trim())
                    .to_string();
                report.results.push((file, name, false, Some(short)));
            }
        }
    }
    report
}

/// Today's date in UTC, `YYYY-MM-DD` (days since the epoch to the civil calendar).
pub fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0);
    civil(i64::try_from(days).unwrap_or(0))
}

/// The date `days` after 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// What generated file a rendered-object input comes from, and for whom.
struct ObjectSource<'a> {
    path: String,
    service: Option<&'a ServiceEntry>,
    environment: Option<String>,
}

/// The service and environment a generated path belongs to.
fn owner_of<'a>(catalog: &'a Catalog, path: &str) -> (Option<&'a ServiceEntry>, Option<String>) {
    let place = crate::render::layout::place(path);
    let (service, environment) = (place.service, place.environment);
    (
        service.and_then(|s| catalog.services.get(s)),
        environment.map(str::to_string),
    )
}

/// Policies over rendered objects: every Kubernetes-style object (anything with a
/// `kind`) and every Terraform resource or data block of a generated tree (or part of
/// one). Returns the findings and the waivers that silenced some; which waivers
/// silenced nothing is told once every part is done ([`unused_object_waivers`]).
pub fn objects(
    config: &Config,
    catalog: &Catalog,
    policies: &Policies,
    waivers: &Waivers,
    tree: &crate::render::Tree,
    today: &str,
) -> (Vec<Finding>, BTreeSet<usize>) {
    let mut findings = Vec::new();
    let mut reporter = Reporter::new(config, policies, waivers, today);
    let has = |target| policies.policies.iter().any(|p| p.target == target);
    // Through JSON text, which regorus parses straight into its values, and with what
    // many inputs share (an environment, a service's metadata) converted once.
    let parse = |value: &Json| Rego::from_json_str(&value.to_string()).unwrap_or(Rego::Null);
    let environments: BTreeMap<&str, Rego> = config
        .environments
        .iter()
        .map(|e| (e.name.as_str(), parse(&environment_json(e))))
        .collect();
    let mut intents: BTreeMap<&str, Rego> = BTreeMap::new();
    for target in [Target::Kubernetes, Target::Terraform] {
        if !has(target) {
            continue;
        }
        let groups: Vec<&Group> = policies
            .groups
            .iter()
            .filter(|g| g.target == target)
            .collect();
        // Objects no policy looks at are not converted for them.
        let wanted = |kind: &str| groups.iter().any(|g| g.looks_at(Some(kind)));
        let mut sources = Vec::new();
        let mut inputs = Vec::new();
        let mut kinds = Vec::new();
        let mut push = |path: &str, key: &str, value: Rego, kind: &str, object_kind: String| {
            let (service, environment) = owner_of(catalog, path);
            let intent = match service {
                Some(entry) => intents
                    .entry(entry.service.metadata.name.as_str())
                    .or_insert_with(|| parse(&json!({ "metadata": entry.service.metadata })))
                    .clone(),
                None => Rego::Null,
            };
            let environment_value = environment
                .as_deref()
                .and_then(|e| environments.get(e).cloned())
                .unwrap_or(Rego::Null);
            let input = BTreeMap::from([
                (Rego::from("kind"), Rego::from(kind)),
                (Rego::from(key), value),
                (Rego::from("file"), Rego::from(path)),
                (Rego::from("environment"), environment_value),
                (Rego::from("intent"), intent),
            ]);
            inputs.push(Rego::from(input));
            kinds.push(object_kind);
            sources.push(ObjectSource {
                path: path.to_string(),
                service,
                environment,
            });
        };
        match target {
            Target::Kubernetes => {
                for (path, documents) in tree.objects() {
                    for document in documents.iter() {
                        let Some(kind) = document.get("kind") else {
                            continue;
                        };
                        let kind = kind.as_str().unwrap_or_default();
                        if wanted(kind) {
                            push(path, "object", parse(document), "kubernetes", kind.into());
                        }
                    }
                }
            }
            _ => {
                for (path, blocks) in tree.terraform_blocks() {
                    for block in blocks
                        .iter()
                        .filter(|b| matches!(b.kind.as_str(), "resource" | "data"))
                    {
                        let kind = block.labels.first().cloned().unwrap_or_default();
                        if wanted(&kind) {
                            push(path, "resource", parse(&block.to_json()), "terraform", kind);
                        }
                    }
                }
            }
        }
        let (results, errors) = policies.evaluate(target, &inputs, Some(&kinds));
        findings.extend(errors);
        for (source, violations) in sources.iter().zip(results) {
            for violation in &violations {
                let output = format!("{}/{}", config.output, source.path);
                // The platform template or patch behind the file, else the intent.
                let location = match (tree.origins.get(&source.path), source.service) {
                    (Some(origin), _) => origin.clone(),
                    (None, Some(entry)) => entry.origin.key("/metadata/name"),
                    (None, None) => {
                        let file = Arc::new(SourceFile::new(output.clone(), ""));
                        Location::new(&file, file.start())
                    }
                };
                let owner = source.service.map(|e| {
                    (
                        e.service.metadata.name.as_str(),
                        e.service.metadata.owner.as_str(),
                    )
                });
                let prefix = format!("in `{output}`: ");
                if let Some(mut finding) = reporter.finding(
                    violation,
                    location,
                    owner,
                    source.environment.as_deref(),
                    &prefix,
                ) {
                    if let (Some(_), Some(entry)) = (tree.origins.get(&source.path), source.service)
                    {
                        finding = finding.related(
                            entry.origin.key("/metadata/name"),
                            "rendered for this service",
                        );
                    }
                    findings.push(finding);
                }
            }
        }
    }
    (findings, reporter.used)
}

/// Waivers of rules on rendered objects that silenced nothing in any part.
pub fn unused_object_waivers(
    config: &Config,
    policies: &Policies,
    waivers: &Waivers,
    today: &str,
    used: BTreeSet<usize>,
) -> Vec<Finding> {
    let mut reporter = Reporter::new(config, policies, waivers, today);
    reporter.used = used;
    reporter
        .waiver_findings(&[Target::Kubernetes, Target::Terraform])
        .into_iter()
        .filter(|f| f.code == Code::WaiverUnused)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX_FILE_BYTES: u64 = 1024 * 1024;

    #[test]
    fn dates() {
        assert_eq!(civil(0), "1970-01-01");
        assert_eq!(civil(20_775), "2026-11-18");
        assert_eq!(civil(11_016), "2000-02-29");
    }

    #[test]
    fn paths_become_pointers() {
        assert_eq!(to_pointer("spec.replicas"), "/spec/replicas");
        assert_eq!(to_pointer("spec.ports[1].port"), "/spec/ports/1/port");
        assert_eq!(to_pointer("/spec/image"), "/spec/image");
        assert_eq!(
            to_pointer("spec.resources[\"db\"].params"),
            "/spec/resources/db/params"
        );
    }

    #[test]
    fn built_in_policies_load_and_compile_for_the_vm() {
        let dir = tempfile::tempdir().unwrap();
        let (policies, findings) = load(&Repo::work_tree(dir.path()), MAX_FILE_BYTES);
        assert!(findings.is_empty(), "{findings:?}");
        assert!(policies.policies.len() >= 15);
        assert!(
            policies.program.is_some(),
            "every built-in policy runs on the VM"
        );
    }

    #[test]
    fn what_a_policy_reads_is_told_from_its_text() {
        let fields = |names: &[&str]| Some(names.iter().map(|n| n.to_string()).collect());
        let reads = Reads::of(
            "deny contains x if { input.intent.spec.replicas < 2; input.team.spec.email; input.dependencies[_] }",
        );
        assert_eq!(reads.environment, fields(&[]));
        assert_eq!(reads.spec, fields(&["dependencies", "replicas"]));
        assert!(!reads.reads_environment());
        let reads = Reads::of("import input.intent.metadata as meta\nx := meta.name");
        assert_eq!((reads.environment, reads.spec), (fields(&[]), fields(&[])));
        let reads = Reads::of(
            "deny contains x if { input.environment.production; input.intent.spec.image }",
        );
        assert_eq!(reads.environment, fields(&["production"]));
        assert_eq!(reads.spec, fields(&["image"]));
        // The spec passed whole, or the environment read whole.
        assert_eq!(
            Reads::of("x := object.get(input.intent.spec, \"a\", 1)").spec,
            None
        );
        assert_eq!(Reads::of("import input.intent as i").spec, None);
        assert_eq!(Reads::of("e := input.environment").environment, None);
        // What the analysis cannot follow reads everything.
        for text in [
            "deny contains x if { some k, v in input; k == \"environment\" }",
            "x := input[\"environment\"]",
            "import data.lib.helpers",
            "x := data[\"lib\"]",
        ] {
            assert_eq!(Reads::of(text), Reads::everything(), "{text}");
        }
        // Words that only contain `input` or `data`.
        assert_eq!(
            Reads::of("myinput.environment := 1\ninputs.environment := 2\nmydata.x := 3"),
            Reads::of(""),
        );
        let (policies, _) = load(
            &Repo::work_tree(tempfile::tempdir().unwrap().path()),
            MAX_FILE_BYTES,
        );
        let reads = |code: &str| policies.find(code).unwrap().reads.clone();
        assert_eq!(
            reads("prod-min-replicas").environment,
            fields(&["production"])
        );
        assert!(!reads("secret-in-env").reads_environment());
        assert_eq!(reads("image-registry").spec, fields(&["image", "sidecars"]));
    }

    #[test]
    fn environments_share_evaluations_only_where_they_agree() {
        let (policies, _) = load(
            &Repo::work_tree(tempfile::tempdir().unwrap().path()),
            MAX_FILE_BYTES,
        );
        let group = |code: &str| {
            policies
                .groups
                .iter()
                .find(|g| {
                    g.entries
                        .iter()
                        .any(|e| policies.policies[e.0].rule.code == code)
                })
                .unwrap()
        };
        let intent = |image: &str, size: &str| IntentInput {
            intent: Rego::from(json!({"spec": {"image": image, "size": size}})),
            dependencies: Rego::from(json!([])),
        };
        let dev = Rego::from(json!({"name": "dev", "production": false}));
        let staging = Rego::from(json!({"name": "staging", "production": false}));
        let prod = Rego::from(json!({"name": "prod", "production": true}));
        let (a, b) = (intent("app:1", "small"), intent("app:1", "large"));
        let image = &group("image-pinned").reads;
        assert!(image.agree((&a, &dev), (&b, &prod)), "size is not read");
        assert!(!image.agree((&a, &dev), (&intent("app:2", "small"), &dev)));
        let production = &group("prod-image-digest").reads;
        assert!(production.agree((&a, &dev), (&b, &staging)));
        assert!(!production.agree((&a, &staging), (&a, &prod)));
        assert!(
            !group("resource-name-length")
                .reads
                .agree((&a, &dev), (&a, &staging))
        );
    }

    #[test]
    fn spec_fields_are_those_the_spec_serializes_to() {
        let spec: crate::model::intent::ServiceSpec = serde_json::from_value(json!({
            "type": "api",
            "image": "ghcr.io/acme/a:1",
            "ports": [{"name": "http", "port": 8080}],
            "replicas": 2,
            "env": {"LOG_LEVEL": "info"},
            "dependencies": ["b"],
            "expose": {"visibility": "internal"},
            "resources": {"db": {"type": "postgres"}},
            "environments": {"prod": {"replicas": 3}},
            "x-team-note": "kept",
        }))
        .unwrap();
        let mut expected = serde_json::to_value(&spec).unwrap();
        expected.as_object_mut().unwrap().remove("environments");
        let mut seen = serde_json::Map::new();
        spec_fields_of(&spec, &mut |name, _, text| {
            seen.insert(name.to_string(), serde_json::from_str(&text()).unwrap());
        });
        assert_eq!(Json::Object(seen), expected);
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
    fn a_finding_takes_the_first_valid_waiver_covering_it() {
        let file = Arc::new(SourceFile::new("platform/waivers.yaml", ""));
        let waiver =
            |rule: &str, services: &[&str], teams: &[&str], expires: &str, envs: &[&str]| {
                let strings = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
                WaiverEntry {
                    rule: rule.into(),
                    reason: String::from("because"),
                    expires: expires.into(),
                    environments: strings(envs),
                    services: strings(services),
                    teams: strings(teams),
                    location: Location::new(&file, file.start()),
                }
            };
        let waivers = Waivers::new(vec![
            waiver("image-pinned", &["cart"], &[], "2026-01-01", &[]),
            waiver("image-pinned", &[], &["shop"], "2027-01-01", &["prod"]),
            waiver("image-pinned", &["cart"], &[], "2027-01-01", &[]),
            waiver("tier1-slo", &["cart"], &[], "2027-01-01", &[]),
        ]);
        let today = "2026-06-01";
        let first = |rule, service, team, env| {
            waivers
                .covering(rule, service, team, env, today)
                .map(|(index, _)| index)
        };
        // The first one expired; the team's covers prod only.
        assert_eq!(first("image-pinned", "cart", "shop", Some("prod")), Some(1));
        assert_eq!(first("image-pinned", "cart", "shop", Some("dev")), Some(2));
        assert_eq!(first("image-pinned", "basket", "shop", Some("dev")), None);
        assert_eq!(
            first("image-pinned", "basket", "shop", Some("prod")),
            Some(1)
        );
        assert_eq!(first("tier1-slo", "cart", "other", None), Some(3));
        assert_eq!(first("prod-min-replicas", "cart", "shop", None), None);
    }

    #[test]
    fn built_in_codes_match_their_file_names() {
        let dir = tempfile::tempdir().unwrap();
        let (policies, _) = load(&Repo::work_tree(dir.path()), MAX_FILE_BYTES);
        for policy in &policies.policies {
            let expected = format!("policies/{}.rego", policy.rule.code.replace('-', "_"));
            assert_eq!(policy.rule.file, expected);
        }
    }

    #[test]
    fn the_vm_and_the_interpreter_agree() {
        let dir = tempfile::tempdir().unwrap();
        let (policies, _) = load(&Repo::work_tree(dir.path()), MAX_FILE_BYTES);
        assert!(policies.program.is_some());
        let inputs = vec![
            json!({"environment": {"name": "prod", "production": true}, "platform": {"registries": ["ghcr.io/acme/"]},
                "intent": {"metadata": {"name": "api", "owner": "core", "tier": 1, "tags": ["pii"]},
                    "spec": {"type": "api", "image": "docker.io/x:latest", "replicas": 1, "env": {"API_TOKEN": "abc"},
                        "expose": {"visibility": "public", "tls": false}, "slos": {},
                        "resources": {"db": {"type": "postgres", "params": {"highAvailability": false, "backupRetentionDays": 1}}}}},
                "team": {"spec": {}}, "dependencies": [{"name": "b", "lifecycle": "deprecated"}]}),
            json!({"environment": {"name": "dev", "production": false}, "platform": {"registries": []},
                "intent": {"metadata": {"name": "w", "owner": "core", "tier": 3}, "spec": {"type": "worker", "image": "ghcr.io/acme/w:1"}},
                "team": {"spec": {"email": "x@y.z"}}, "dependencies": []}),
        ];
        let inputs: Vec<Rego> = inputs.into_iter().map(Rego::from).collect();
        let (fast, errors) = policies.evaluate(Target::Intent, &inputs, None);
        assert!(errors.is_empty());
        let slow = Policies {
            program: None,
            policies: policies
                .policies
                .iter()
                .map(|p| Policy {
                    rule: Arc::clone(&p.rule),
                    target: p.target,
                    kinds: p.kinds.clone(),
                    reads: p.reads.clone(),
                    entries: p.entries.clone(),
                })
                .collect(),
            files: policies.files.clone(),
            engine: policies.engine.clone(),
            groups: policies
                .groups
                .iter()
                .map(|g| Group {
                    aggregate: None,
                    ..g.clone()
                })
                .collect(),
            spec_fields: None,
        };
        let (reference, errors) = slow.evaluate(Target::Intent, &inputs, None);
        assert!(errors.is_empty());
        let key = |v: &Vec<Violation>| {
            let mut k: Vec<(usize, String, Option<String>)> = v
                .iter()
                .map(|x| (x.policy, x.message.clone(), x.path.clone()))
                .collect();
            k.sort();
            k
        };
        for (a, b) in fast.iter().zip(&reference) {
            assert_eq!(key(a), key(b));
        }
        assert!(fast[0].len() >= 10, "the first input breaks many rules");
    }

    #[test]
    fn built_in_policy_tests_pass() {
        let dir = tempfile::tempdir().unwrap();
        let report = test(&Repo::work_tree(dir.path()), true);
        assert!(report.findings.is_empty(), "{:?}", report.findings);
        let failed: Vec<_> = report.results.iter().filter(|r| !r.2).collect();
        assert!(failed.is_empty(), "{failed:?}");
        assert!(report.results.len() >= 30);
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
