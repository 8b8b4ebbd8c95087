//! Expanding the resolved catalog into the files the platform's tools consume.
//!
//! Everything here is pure: the same catalog gives the same bytes, with no clock, no
//! randomness and no environment. Built-in output is typed code building values that
//! are then written by the canonical YAML, JSON and HCL writers, so no user value can
//! add structure to a generated file.

mod catalog;
mod codeowners;
mod k8s;
pub(crate) mod layout;
mod observability;
mod provision;
mod terraform;
mod tree;
mod unit;

use std::collections::BTreeMap;

use crate::diag::codes::Code;
use crate::diag::finding::Finding;
use crate::load::platform::Platform;
use crate::model::config::Config;
use crate::types::Registry;
use crate::validate::resolve::{Catalog, ServiceEntry};

use unit::Unit;

pub use tree::Tree;

/// A piece of the output rendered on its own: one service in every environment it is
/// deployed to (with the shared resources it declares first), or the files made from
/// the whole catalog. Patches are applied and the files written out.
#[derive(Debug, Default)]
pub struct Part {
    pub tree: Tree,
    /// Template and patch errors of the platform's extensions.
    pub findings: Vec<Finding>,
}

/// Render every service (or only the services of `only`) and the catalog, in parallel,
/// handing each part to `sink` as it is done, so that a part's files need not outlive
/// its processing. The results come back in a fixed order: services by name, then the
/// catalog's part.
pub fn render_parts<R: Send>(
    config: &Config,
    catalog: &Catalog,
    platform: &Platform,
    only: Option<&std::collections::BTreeSet<String>>,
    sink: impl Fn(Part) -> R + Sync + Send,
) -> Vec<R> {
    use rayon::prelude::*;
    let dependents = dependents(catalog);
    let services: Vec<&ServiceEntry> = catalog
        .services
        .values()
        .filter(|entry| only.is_none_or(|only| only.contains(&entry.service.metadata.name)))
        .collect();
    // The service that declares each shared resource in each environment: the first one
    // using it.
    let registry = Registry::new(&platform.provisioners);
    let mut declarers: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    for entry in &services {
        for deployment in &entry.deployments {
            for resource in deployment.spec.resources.values() {
                if let Some(id) = &resource.id
                    && registry.find(&resource.kind).is_some()
                {
                    declarers
                        .entry((deployment.environment.as_str(), id.as_str()))
                        .or_insert(entry.service.metadata.name.as_str());
                }
            }
        }
    }
    let dependents = &dependents;
    let declarers = &declarers;
    let budget = Budget::new(config);
    let budget = &budget;
    let each_service = || -> Vec<R> {
        services
            .par_iter()
            .map(|entry| {
                let part = service_part(config, platform, catalog, entry, dependents, declarers);
                sink(budget.spend(part))
            })
            .collect()
    };
    // The catalog's part is one big part: it is made while the services are.
    let whole_catalog = || sink(budget.spend(catalog_part(config, catalog, platform, only)));
    let (mut results, catalog_part) = rayon::join(each_service, whole_catalog);
    results.push(catalog_part);
    results
}

/// What one render may generate (`limits.maxOutputFileBytes` and
/// `limits.maxOutputBytes`), and what the parts rendered so far hold.
struct Budget {
    output: String,
    file_limit: u64,
    total_limit: u64,
    spent: std::sync::atomic::AtomicU64,
}

impl Budget {
    pub(super) fn new(config: &Config) -> Self {
        Self {
            output: config.output.clone(),
            file_limit: config.limits.max_output_file_bytes,
            total_limit: config.limits.max_output_bytes,
            spent: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// A part without its files over the size limit, reported. Once the whole output
    /// is over its limit, later parts lose all their files, so that nothing more is
    /// staged on disk: the run fails on the finding and writes nothing.
    fn spend(&self, mut part: Part) -> Part {
        let too_big: Vec<(String, usize)> = part
            .tree
            .files
            .iter()
            .filter(|(_, bytes)| bytes.len() as u64 > self.file_limit)
            .map(|(path, bytes)| (path.clone(), bytes.len()))
            .collect();
        for (path, size) in too_big {
            let location = part
                .tree
                .origins
                .get(&path)
                .cloned()
                .unwrap_or_else(|| self.location(&format!("{}/{path}", self.output)));
            part.findings.push(Finding::at(
                Code::OutputFileTooLarge,
                location,
                format!(
                    "generated file {}/{path} would hold {size} bytes, over the {}-byte limit (`limits.maxOutputFileBytes`)",
                    self.output, self.file_limit
                ),
            ));
            part.tree.retain(|p| p != path);
        }
        let size: u64 = part.tree.files.values().map(|b| b.len() as u64).sum();
        let before = self
            .spent
            .fetch_add(size, std::sync::atomic::Ordering::Relaxed);
        if before.saturating_add(size) > self.total_limit {
            if before <= self.total_limit {
                // One finding, whichever part passes the limit: its text names no part.
                part.findings.push(Finding::at(
                    Code::OutputTooLarge,
                    self.location(&self.output),
                    format!(
                        "the files of this render would hold more than the {}-byte limit (`limits.maxOutputBytes`)",
                        self.total_limit
                    ),
                ));
            }
            part.tree = Tree::default();
        }
        part
    }

    fn location(&self, path: &str) -> crate::syntax::source::Location {
        let file = std::sync::Arc::new(crate::syntax::source::SourceFile::new(path, ""));
        crate::syntax::source::Location::new(&file, file.start())
    }
}

/// One service in every environment it is deployed to, its dashboard, and the shared
/// resources it declares first.
fn service_part(
    config: &Config,
    platform: &Platform,
    catalog: &Catalog,
    entry: &ServiceEntry,
    dependents: &BTreeMap<&str, Vec<&ServiceEntry>>,
    declarers: &BTreeMap<(&str, &str), &str>,
) -> Part {
    let mut part = Part::default();
    let (tree, findings) = (&mut part.tree, &mut part.findings);
    let name = entry.service.metadata.name.as_str();
    for environment in &config.environments {
        let Some(deployment) = entry.deployment(&environment.name) else {
            continue;
        };
        let unit = Unit::new(
            config,
            environment,
            (catalog, entry),
            &deployment.spec,
            dependents.get(name).map(Vec::as_slice).unwrap_or_default(),
            platform,
            findings,
        );
        k8s::render(&unit, tree, findings);
        observability::alerts(&unit, tree);
        terraform::service_module(&unit, tree, findings);
        for instance in &unit.instances {
            if let Some(id) = &instance.shared_id
                && declarers.get(&(environment.name.as_str(), id.as_str())) == Some(&name)
            {
                terraform::shared_module(config, environment, instance, platform, tree, findings);
            }
        }
        if let Some(argocd) = &config.argocd {
            k8s::argocd::argocd_application(&unit, argocd, tree);
        }
    }
    observability::dashboard(config, entry, tree);
    part.tree = std::mem::take(&mut part.tree).finish(platform, &mut part.findings);
    part
}

/// The files made from the whole catalog: namespaces (and their Argo CD
/// Applications) of every team with a service in an environment, catalog entities and
/// CODEOWNERS.
fn catalog_part(
    config: &Config,
    catalog: &Catalog,
    platform: &Platform,
    only: Option<&std::collections::BTreeSet<String>>,
) -> Part {
    let mut part = Part::default();
    for environment in &config.environments {
        let teams: std::collections::BTreeSet<&str> = catalog
            .services
            .values()
            .filter(|e| e.deployment(&environment.name).is_some())
            .map(|e| e.service.metadata.owner.as_str())
            .collect();
        for team in teams {
            k8s::namespace(environment, team, &mut part.tree);
            if let Some(argocd) = &config.argocd {
                k8s::argocd::argocd_namespace_application(
                    config,
                    environment,
                    team,
                    argocd,
                    &mut part.tree,
                );
            }
        }
    }
    catalog::render(config, catalog, only, &mut part.tree);
    if config.codeowners.enabled {
        codeowners::render(config, catalog, &mut part.tree);
    }
    part.tree = std::mem::take(&mut part.tree).finish(platform, &mut part.findings);
    part
}

/// Render everything (or only the services of `only`) into one tree, for the commands
/// that compare whole trees.
pub fn render(
    config: &Config,
    catalog: &Catalog,
    platform: &Platform,
    only: Option<&std::collections::BTreeSet<String>>,
) -> (Tree, Vec<Finding>) {
    let mut tree = Tree::default();
    let mut findings = Vec::new();
    for part in render_parts(config, catalog, platform, only, |part| part) {
        tree.files.extend(part.tree.files);
        tree.documents.extend(part.tree.documents);
        tree.origins.extend(part.tree.origins);
        tree.blocks.extend(part.tree.blocks);
        findings.extend(part.findings);
    }
    (tree, findings)
}

/// For each service, the services that depend on it.
pub(crate) fn dependents(catalog: &Catalog) -> BTreeMap<&str, Vec<&ServiceEntry>> {
    let mut map: BTreeMap<&str, Vec<&ServiceEntry>> = BTreeMap::new();
    for entry in catalog.services.values() {
        for dependency in entry.service.spec.dependencies.iter() {
            if catalog.services.contains_key(dependency)
                && dependency != &entry.service.metadata.name
            {
                map.entry(dependency.as_str()).or_default().push(entry);
            }
        }
    }
    map
}
