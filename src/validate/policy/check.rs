//! Intent and platform policies over the whole catalog: each service in each of its
//! environments, and the platform configuration once per environment.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rayon::prelude::*;
use regorus::Value as Rego;
use serde_json::json;

use crate::diag::codes::Code;
use crate::diag::finding::Finding;
use crate::diag::origin::Origin;
use crate::model::config::Config;
use crate::syntax::source::{Location, SourceFile};
use crate::validate::resolve::{self, Catalog, ServiceEntry};

use super::compile::Group;
use super::eval::{Evaluator, Outcome};
use super::input::{Inputs, environment_json, platform_json};
use super::load::{Policies, Target};
use super::reporter::Reporter;
use super::waivers::Waivers;

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
    let config_origin = config_file.map(|file| Origin::lazy(file, 0));
    let mut reporter = Reporter::new(config, config_origin.clone(), policies, waivers, today);
    // A violation found the same way in several environments is one finding, naming
    // the environments unless it holds in all of them. Found the same way: by the same
    // rule and with the same labels, which name the paved.yaml setting that changed its
    // severity in an environment.
    type Key = (
        String,
        String,
        usize,
        String,
        bool,
        Vec<(String, usize, String)>,
        String,
    );
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
                finding
                    .related
                    .iter()
                    .map(|r| {
                        let at = &r.location;
                        (at.file.path.clone(), at.span.start, r.message.clone())
                    })
                    .collect(),
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
