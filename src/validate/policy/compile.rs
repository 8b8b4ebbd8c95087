//! Compiling policies: what each reads of its input, the groups evaluated together,
//! and one program for regorus's register VM.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use regorus::{CompiledPolicy, Engine, Value as Rego};

use crate::model::config::Level;

use super::input::IntentInput;
use super::load::{Policy, Target};

/// What of its input an intent policy reads, as far as its text tells. A service's
/// environments often agree on much of their effective intent: a rule that reads
/// neither the environment nor a field in which they differ gives the same results for
/// all of them, and is evaluated once.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Reads {
    /// The fields of `input.environment` read; `None`: possibly all of it.
    pub(super) environment: Option<BTreeSet<String>>,
    /// The fields of `input.intent.spec` read; `None`: possibly all of it.
    pub(super) spec: Option<BTreeSet<String>>,
}

impl Reads {
    fn everything() -> Self {
        Reads {
            environment: None,
            spec: None,
        }
    }

    pub(super) fn reads_environment(&self) -> bool {
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
    pub(super) fn of(text: &str) -> Self {
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
    pub(super) fn agree(&self, a: (&IntentInput, &Rego), b: (&IntentInput, &Rego)) -> bool {
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
pub(super) struct Group {
    pub(super) target: Target,
    /// The kinds of object its policies look at; all when `None`.
    pub(super) kinds: Option<BTreeSet<String>>,
    pub(super) reads: Reads,
    /// `(policy, level, entry)` of its policies' `deny` and `warn` sets.
    pub(super) entries: Vec<(usize, Level, String)>,
    /// `data.paved.aggregate.<name>.results`, when compiled for the VM.
    pub(super) aggregate: Option<String>,
}

impl Group {
    /// Whether its policies look at an object of `kind` (any input when `None`).
    pub(super) fn looks_at(&self, kind: Option<&str>) -> bool {
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
pub(super) fn groups(policies: &[Policy]) -> Vec<Group> {
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
                .map(|entry| (index, entry.level, entry.rule.clone())),
        );
    }
    groups
        .into_values()
        .filter(|g| !g.entries.is_empty())
        .collect()
}

/// The spec fields some intent policy reads; `None`: possibly all.
pub(super) fn spec_fields(policies: &[Policy]) -> Option<BTreeSet<String>> {
    let mut union = BTreeSet::new();
    for policy in policies.iter().filter(|p| p.target == Target::Intent) {
        union.extend(policy.reads.spec.iter().flatten().cloned());
        policy.reads.spec.as_ref()?;
    }
    Some(union)
}

pub(super) type Program = (CompiledPolicy, Arc<regorus::rvm::program::Program>);

/// Every policy compiled: regorus's compiled policy, which lists each rule's
/// definitions, and one program for the register VM with, per group, an aggregate rule
/// gathering its policies' `deny` and `warn` items as `[policy, level, item]`, plus each
/// policy's own entries (used when an aggregate fails on some input). No program when a
/// policy uses what the VM does not compile yet; the interpreter then runs everything.
pub(super) fn compile_vm(
    engine: &mut Engine,
    groups: &mut [Group],
) -> (Option<CompiledPolicy>, Option<Program>) {
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
    let Some(first) = entries.first() else {
        return (None, None);
    };
    let Ok(compiled) = engine.compile_with_entrypoint(&(*first).into()) else {
        return (None, None);
    };
    let program =
        regorus::languages::rego::compiler::Compiler::compile_from_policy(&compiled, &entries)
            .ok()
            .map(|program| (compiled.clone(), program));
    (Some(compiled), program)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::policy::load::built_in;
    use serde_json::json;

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
        let policies = built_in();
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
        let policies = built_in();
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
}
