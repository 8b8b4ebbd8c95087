//! Policies over rendered objects: Kubernetes-style objects and Terraform blocks of the
//! generated files, each with the service and environment it was rendered for.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use regorus::Value as Rego;
use serde_json::{Value as Json, json};

use crate::diag::codes::Code;
use crate::diag::finding::Finding;
use crate::diag::origin::Origin;
use crate::model::config::Config;
use crate::syntax::hcl;
use crate::syntax::source::{Location, SourceFile};
use crate::validate::resolve::{Catalog, ServiceEntry};

use super::compile::Group;
use super::input::environment_json;
use super::load::{Policies, Target};
use super::reporter::Reporter;
use super::waivers::Waivers;

/// A generated file as policies over rendered objects see it.
#[derive(Debug, Clone, Copy)]
pub struct RenderedFile<'a> {
    /// Relative to the output folder, `/`-separated.
    pub path: &'a str,
    /// The name of the service it was rendered for; none for files made from the whole
    /// catalog.
    pub service: Option<&'a str>,
    /// The environment folder it sits in.
    pub environment: Option<&'a str>,
    /// Where the platform template or patch that made or changed it is.
    pub origin: Option<&'a Location>,
    pub content: Content<'a>,
}

/// What policies look at in a generated file.
#[derive(Debug, Clone, Copy)]
pub enum Content<'a> {
    /// A YAML file's documents: Kubernetes-style objects (those with a `kind`).
    Yaml(&'a [Json]),
    /// A Terraform file's blocks: its `resource` and `data` blocks.
    Terraform(&'a [hcl::Block]),
}

/// The file a rendered-object input comes from, and the service it was rendered for.
struct ObjectSource<'f, 'c> {
    file: &'f RenderedFile<'f>,
    service: Option<&'c ServiceEntry>,
}

/// Policies over rendered objects: every Kubernetes-style object (anything with a
/// `kind`) and every Terraform resource or data block of a generated tree (or part of
/// one), as [`RenderedFile`]s. Returns the findings and the waivers that silenced
/// some; which waivers silenced nothing is told once every part is done
/// ([`unused_object_waivers`]).
pub fn objects<'f>(
    config: &Config,
    config_file: Option<&Arc<SourceFile>>,
    catalog: &Catalog,
    policies: &Policies,
    waivers: &Waivers,
    files: &'f [RenderedFile<'f>],
    today: &str,
) -> (Vec<Finding>, BTreeSet<usize>) {
    let mut findings = Vec::new();
    let config_origin = config_file.map(|file| Origin::lazy(file, 0));
    let mut reporter = Reporter::new(config, config_origin, policies, waivers, today);
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
        // What the input calls the target, and the object in it.
        let (kind, key) = match target {
            Target::Kubernetes => ("kubernetes", "object"),
            _ => ("terraform", "resource"),
        };
        let mut push = |file: &'f RenderedFile<'f>, value: Rego, object_kind: String| {
            let service = file.service.and_then(|s| catalog.services.get(s));
            let intent = match service {
                Some(entry) => intents
                    .entry(entry.service.metadata.name.as_str())
                    .or_insert_with(|| parse(&json!({ "metadata": entry.service.metadata })))
                    .clone(),
                None => Rego::Null,
            };
            let environment_value = file
                .environment
                .and_then(|e| environments.get(e).cloned())
                .unwrap_or(Rego::Null);
            let input = BTreeMap::from([
                (Rego::from("kind"), Rego::from(kind)),
                (Rego::from(key), value),
                (Rego::from("file"), Rego::from(file.path)),
                (Rego::from("environment"), environment_value),
                (Rego::from("intent"), intent),
            ]);
            inputs.push(Rego::from(input));
            kinds.push(object_kind);
            sources.push(ObjectSource { file, service });
        };
        for file in files {
            match (target, &file.content) {
                (Target::Kubernetes, Content::Yaml(documents)) => {
                    for document in documents.iter() {
                        let Some(kind) = document.get("kind") else {
                            continue;
                        };
                        let kind = kind.as_str().unwrap_or_default();
                        if wanted(kind) {
                            push(file, parse(document), kind.into());
                        }
                    }
                }
                (Target::Terraform, Content::Terraform(blocks)) => {
                    for block in blocks
                        .iter()
                        .filter(|b| matches!(b.kind.as_str(), "resource" | "data"))
                    {
                        let kind = block.labels.first().cloned().unwrap_or_default();
                        if wanted(&kind) {
                            push(file, parse(&block.to_json()), kind);
                        }
                    }
                }
                _ => {}
            }
        }
        let (results, errors) = policies.evaluate(target, &inputs, Some(&kinds));
        findings.extend(errors);
        for (source, violations) in sources.iter().zip(results) {
            for violation in &violations {
                let output = format!("{}/{}", config.output, source.file.path);
                // The platform template or patch behind the file, else the intent.
                let location = match (source.file.origin, source.service) {
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
                if let Some(mut finding) =
                    reporter.finding(violation, location, owner, source.file.environment, &prefix)
                {
                    if let (Some(_), Some(entry)) = (source.file.origin, source.service) {
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
    let mut reporter = Reporter::new(config, None, policies, waivers, today);
    reporter.used = used;
    reporter
        .waiver_findings(&[Target::Kubernetes, Target::Terraform])
        .into_iter()
        .filter(|f| f.code == Code::WaiverUnused)
        .collect()
}
