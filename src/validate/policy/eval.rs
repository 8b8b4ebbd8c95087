//! Evaluating compiled policies on inputs, on regorus's register VM or, for what it does
//! not compile, its interpreter; what they report becomes violations.

use std::collections::BTreeSet;
use std::sync::Arc;

use rayon::prelude::*;
use regorus::{Engine, Value as Rego};
use serde_json::Value as Json;

use crate::diag::finding::Finding;
use crate::diag::origin::escape_pointer;
use crate::model::config::Level;
use crate::syntax::source::SourceFile;

use super::compile::Group;
use super::load::{Policies, Target, error_finding};

/// Evaluates entry points against inputs, on whichever engine the policies allow.
pub(super) struct Evaluator {
    runner: Runner,
    /// The interpreter with the definitions of sets alone, cloned when first needed.
    alone: Option<Box<Engine>>,
}

enum Runner {
    Vm(Box<regorus::rvm::vm::RegoVM>),
    Interpreter(Box<Engine>),
}

impl Evaluator {
    /// Every policy's results through the target's aggregate entry, or `None` when it
    /// fails (some policy errs on this input; evaluating them one by one tells which).
    fn aggregate(&mut self, input: &Rego, entry: &str) -> Option<Vec<Violation>> {
        let Runner::Vm(vm) = &mut self.runner else {
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
                definition: None,
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
        match &mut self.runner {
            Runner::Vm(vm) => {
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
            Runner::Interpreter(engine) => {
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

    /// The items the definition `rule` alone reports on `input`; `None` when it fails.
    fn alone(
        &mut self,
        policies: &Policies,
        input: &Rego,
        rule: &str,
    ) -> Option<Vec<(String, Option<String>)>> {
        let engine = self
            .alone
            .get_or_insert_with(|| Box::new(policies.definitions_alone.clone()));
        engine.set_input(input.clone());
        engine
            .eval_rule(rule.to_string())
            .ok()
            .map(|value| items(&value))
    }
}

/// One input's violations, and the evaluation errors of the policies that failed on it.
pub(super) type Outcome = (Vec<Violation>, Vec<(usize, String)>);

/// A violation a policy reported for one input.
#[derive(Clone)]
pub(super) struct Violation {
    pub(super) policy: usize,
    pub(super) level: Level,
    pub(super) message: String,
    /// A JSON pointer into the input's intent (or object), when the policy gave one.
    pub(super) path: Option<String>,
    /// Which definition of its set produced it, when that is known.
    pub(super) definition: Option<usize>,
}

impl Policies {
    pub(super) fn evaluator(&self) -> Evaluator {
        let runner = match &self.program {
            Some((compiled, program)) => {
                let mut vm = regorus::rvm::vm::RegoVM::new_with_policy(compiled.clone());
                vm.load_program(Arc::clone(program));
                let _ = vm.set_data(Rego::new_object());
                Runner::Vm(Box::new(vm))
            }
            None => Runner::Interpreter(Box::new(self.engine.clone())),
        };
        Evaluator {
            runner,
            alone: None,
        }
    }

    /// Every policy of `target` on each input, in parallel; with `kinds`, the kind of
    /// object each input is, for the policies that look at some kinds only. Evaluation
    /// errors become findings on the policy.
    pub(super) fn evaluate(
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

    /// One group's policies on one input, each violation with the definition that
    /// produced it.
    pub(super) fn run(&self, evaluator: &mut Evaluator, group: &Group, input: &Rego) -> Outcome {
        let (mut violations, errors) = self.run_group(evaluator, group, input);
        self.attribute(evaluator, input, &mut violations);
        (violations, errors)
    }

    /// Through the group's aggregate entry when it has one and it succeeds, else policy
    /// by policy, which tells which policy failed.
    fn run_group(&self, evaluator: &mut Evaluator, group: &Group, input: &Rego) -> Outcome {
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
                        definition: None,
                    }))
                }
                Err(e) => errors.push((policy, e)),
            }
        }
        (violations, errors)
    }

    /// Which definition of its set produced each violation on `input`: the only one,
    /// or the first that alone reports the same item (see [`super::definitions`]).
    fn attribute(&self, evaluator: &mut Evaluator, input: &Rego, violations: &mut [Violation]) {
        type Reported = Vec<Option<Vec<(String, Option<String>)>>>;
        // What each definition of a set reports alone, evaluated once per set.
        let mut alone: Vec<((usize, Level), Reported)> = Vec::new();
        for violation in violations {
            let key = (violation.policy, violation.level);
            let Some(entry) = self.policies[key.0]
                .entries
                .iter()
                .find(|e| e.level == key.1)
            else {
                continue;
            };
            if entry.definitions.len() == 1 {
                violation.definition = Some(0);
                continue;
            }
            let index = match alone.iter().position(|(k, _)| *k == key) {
                Some(index) => index,
                None => {
                    let reported = entry
                        .definitions
                        .iter()
                        .map(|d| evaluator.alone(self, input, d.alone.as_deref()?))
                        .collect();
                    alone.push((key, reported));
                    alone.len() - 1
                }
            };
            let item = (violation.message.clone(), violation.path.clone());
            violation.definition = alone[index]
                .1
                .iter()
                .position(|items| items.as_ref().is_some_and(|items| items.contains(&item)));
        }
    }

    /// One finding per policy that failed, on the policy's source.
    pub(super) fn error_findings(&self, errors: Vec<(usize, String)>) -> Vec<Finding> {
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
fn to_pointer(path: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::policy::load::{Policy, built_in};
    use serde_json::json;

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
    fn the_vm_and_the_interpreter_agree() {
        let policies = built_in();
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
            definitions_alone: policies.definitions_alone.clone(),
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
            let mut k: Vec<(usize, String, Option<String>, Option<usize>)> = v
                .iter()
                .map(|x| (x.policy, x.message.clone(), x.path.clone(), x.definition))
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
    fn violations_name_the_definition_that_produced_them() {
        let policies = built_in();
        let input = json!({"environment": {"name": "prod", "production": true},
            "intent": {"metadata": {"name": "api", "owner": "core", "tier": 3},
                "spec": {"type": "api", "image": "ghcr.io/acme/api", "replicas": 1,
                    "sidecars": {"log": {"image": "ghcr.io/acme/log:latest"}}}},
            "platform": {"registries": ["ghcr.io/acme/"]}, "team": {"spec": {}}, "dependencies": []});
        let (violations, errors) = policies.evaluate(Target::Intent, &[Rego::from(input)], None);
        assert!(errors.is_empty());
        let mut fired: Vec<(&str, &str, Option<usize>)> = violations[0]
            .iter()
            .map(|v| {
                let code = policies.policies[v.policy].rule.code.as_str();
                (code, v.message.as_str(), v.definition)
            })
            .filter(|(code, ..)| ["image-pinned", "prod-min-replicas"].contains(code))
            .collect();
        fired.sort();
        assert_eq!(
            fired,
            [
                (
                    "image-pinned",
                    "image \"ghcr.io/acme/api\" has no tag or digest",
                    Some(0)
                ),
                (
                    "image-pinned",
                    "sidecar \"log\": image \"ghcr.io/acme/log:latest\" uses the `latest` tag",
                    Some(3)
                ),
                (
                    "prod-min-replicas",
                    "replicas is 1; production needs at least 2",
                    Some(1)
                ),
            ]
        );
    }
}
