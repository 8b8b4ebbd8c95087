//! Expanding the resolved catalog into the files the platform's tools consume.
//!
//! Everything here is pure: the same catalog gives the same bytes, with no clock, no
//! randomness and no environment. Built-in output is typed code building values that
//! are then written by the canonical YAML, JSON and HCL writers, so no user value can
//! add structure to a generated file.

mod catalog;
mod codeowners;
mod k8s;
mod observability;
mod provision;
mod terraform;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value as Json, json};

use crate::diag::codes::Code;
use crate::diag::finding::Finding;
use crate::load::platform::Platform;
use crate::model::config::{Config, Environment};
use crate::model::intent::{ServiceSpec, ServiceType};
use crate::model::names;
use crate::model::placeholder;
use crate::syntax::{hcl, yaml_out};
use crate::types::{Registry, TypeRef};
use crate::validate::policy::{Content, RenderedFile};
use crate::validate::resolve::{Catalog, ServiceEntry};

/// Generated files by path relative to the output folder, `/`-separated.
#[derive(Debug, Default, Clone)]
pub struct Tree {
    pub files: BTreeMap<String, Vec<u8>>,
    /// YAML files as objects until the platform's patches have been applied.
    documents: BTreeMap<String, Vec<Json>>,
    /// For files a platform template or patch made or changed: where, so that findings
    /// about them point there.
    pub origins: BTreeMap<String, crate::syntax::source::Location>,
    /// Terraform files as blocks, for policies over rendered output.
    blocks: BTreeMap<String, Vec<hcl::Block>>,
}

impl Tree {
    fn yaml(&mut self, path: String, value: &Json) {
        self.documents.insert(path, vec![value.clone()]);
    }

    fn yaml_documents(&mut self, path: String, values: &[Json]) {
        self.documents.insert(path, values.to_vec());
    }

    /// Set a YAML file's documents; none removes the file.
    fn replace_yaml(&mut self, path: String, values: Vec<Json>) {
        if values.is_empty() {
            self.documents.remove(&path);
        } else {
            self.documents.insert(path, values);
        }
    }

    fn json(&mut self, path: String, value: &Json) {
        let mut text = serde_json::to_string_pretty(value).expect("JSON values serialize");
        text.push('\n');
        self.files.insert(path, text.into_bytes());
    }

    fn text(&mut self, path: String, text: String) {
        self.files.insert(path, text.into_bytes());
    }

    fn terraform(&mut self, path: String, blocks: Vec<hcl::Block>) {
        self.files
            .insert(path.clone(), hcl::file(&blocks).into_bytes());
        self.blocks.insert(path, blocks);
    }

    /// Apply the platform's patches to every YAML object, then write them out.
    fn finish(mut self, platform: &Platform, findings: &mut Vec<Finding>) -> Self {
        for patch in &platform.patches {
            for (path, documents) in &mut self.documents {
                for document in documents.iter_mut().filter(|d| patch.target.matches(d)) {
                    self.origins
                        .entry(path.clone())
                        .or_insert_with(|| patch.origin.key("/spec"));
                    if let Some(merge) = &patch.merge {
                        json_patch::merge(document, merge);
                    }
                    if let Some(operations) = &patch.operations
                        && let Err(e) = json_patch::patch(document, operations)
                    {
                        findings.push(
                            patch
                                .origin
                                .finding(
                                    Code::PatchFailed,
                                    &format!("/spec/operations/{}", e.operation),
                                    format!(
                                        "patch `{}` cannot be applied to {path}: {}",
                                        patch.name, e.kind
                                    ),
                                )
                                .label("this operation failed"),
                        );
                    }
                }
            }
        }
        for (path, documents) in &self.documents {
            self.files
                .insert(path.clone(), yaml_out::documents(documents).into_bytes());
        }
        self
    }

    /// Keep only the files at the paths `keep` accepts.
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.files.retain(|path, _| keep(path));
        self.documents.retain(|path, _| keep(path));
        self.origins.retain(|path, _| keep(path));
        self.blocks.retain(|path, _| keep(path));
    }

    /// The YAML files as objects and the Terraform files as blocks, each with the
    /// service and environment it belongs to, for policies over rendered output.
    pub fn rendered(&self) -> Vec<RenderedFile<'_>> {
        let yaml = self
            .documents
            .iter()
            .map(|(path, documents)| (path, Content::Yaml(documents)));
        let terraform = self
            .blocks
            .iter()
            .map(|(path, blocks)| (path, Content::Terraform(blocks)));
        yaml.chain(terraform)
            .map(|(path, content)| {
                let (service, environment) = owner(path);
                RenderedFile {
                    path,
                    service,
                    environment,
                    origin: self.origins.get(path),
                    content,
                }
            })
            .collect()
    }
}

/// Where a generated path belongs, from the output's layout: the service it was
/// rendered for (a name to look up in the catalog; shared files have none) and the
/// environment folder it sits in.
pub fn owner(path: &str) -> (Option<&str>, Option<&str>) {
    let parts: Vec<&str> = path.split('/').collect();
    let environment = match parts.as_slice() {
        ["kubernetes" | "terraform" | "alerts" | "argocd", env, _, ..] => Some(*env),
        _ => None,
    };
    let service = match parts.as_slice() {
        ["kubernetes", _, _, service, _, ..] | ["terraform", _, service, _] => Some(*service),
        ["alerts" | "argocd", _env, file] => file.strip_suffix(".yaml"),
        ["dashboards", file] => file.strip_suffix(".json"),
        ["catalog", "components", file] => file.strip_suffix(".yaml"),
        _ => None,
    };
    (service, environment)
}

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
    let registry = Registry::new(platform);
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
    fn new(config: &Config) -> Self {
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
                terraform::shared_module(config, environment, instance, tree, findings);
            }
        }
        if let Some(argocd) = &config.argocd {
            k8s::argocd_application(&unit, argocd, tree);
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
                k8s::argocd_namespace_application(
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
fn dependents(catalog: &Catalog) -> BTreeMap<&str, Vec<&ServiceEntry>> {
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

/// One service in one environment: what every renderer works from.
pub(crate) struct Unit<'a> {
    pub config: &'a Config,
    pub env: &'a Environment,
    pub entry: &'a ServiceEntry,
    pub spec: &'a ServiceSpec,
    /// Services that depend on this one and are deployed in the same environment.
    pub dependents: Vec<&'a ServiceEntry>,
    pub instances: Vec<Instance<'a>>,
    pub platform: &'a Platform,
}

/// A resource of a service, resolved for one environment.
#[derive(Clone)]
pub(crate) struct Instance<'a> {
    /// The resource's name in the service.
    pub name: String,
    pub kind: TypeRef<'a>,
    pub class: Option<String>,
    pub params: Json,
    /// Set for shared resources, which get a root module of their own.
    pub shared_id: Option<String>,
    /// The service that declares it (the first one, for a shared resource).
    pub service: &'a str,
    /// Cloud name stem: `<env>-<service>-<resource>` or `<env>-<id>`.
    pub physical: String,
    /// Where its connection details live in the cloud secret store.
    pub secret_path: String,
    pub environment: &'a Environment,
    pub production: bool,
    pub platform: &'a Platform,
    /// Outputs known at render time that the instance works out itself: a platform
    /// provisioner's, a service-port's.
    pub custom_outputs: BTreeMap<String, String>,
}

impl Instance<'_> {
    /// What a platform template knows about the resource.
    pub fn context(&self) -> Json {
        json!({
            "resource": {
                "name": self.name,
                "label": self.name,
                "type": self.kind.name(),
                "class": self.class,
                "id": self.shared_id,
                "shared": self.shared_id.is_some(),
                "params": self.params,
                "physical": self.physical,
                "secretPath": self.secret_path,
            },
            "service": { "name": self.service },
            "environment": environment_context(self.environment),
        })
    }
}

pub(crate) fn environment_context(env: &Environment) -> Json {
    json!({
        "name": env.name,
        "production": env.production,
        "region": env.region,
        "account": env.account,
        "cluster": env.cluster,
        "domain": env.domain,
        "ingressHostname": env.ingress_hostname,
    })
}

/// A service-port's outputs: the other service's name in the cluster DNS (it runs in
/// its team's namespace) and the port its Kubernetes Service offers.
fn service_port_outputs(catalog: &Catalog, params: &Json) -> BTreeMap<String, String> {
    let Some(target) = params
        .get("workload")
        .and_then(Json::as_str)
        .and_then(|w| catalog.services.get(w))
    else {
        return BTreeMap::new();
    };
    let metadata = &target.service.metadata;
    let mut outputs = BTreeMap::from([(
        String::from("hostname"),
        format!("{}.{}.svc.cluster.local", metadata.name, metadata.owner),
    )]);
    if let Some(port) = crate::validate::resolve::service_port(target, params.get("port")) {
        outputs.insert(
            String::from("port"),
            port.service_port.unwrap_or(port.port).to_string(),
        );
    }
    outputs
}

impl<'a> Unit<'a> {
    fn new(
        config: &'a Config,
        env: &'a Environment,
        (catalog, entry): (&Catalog, &'a ServiceEntry),
        spec: &'a ServiceSpec,
        dependents: &[&'a ServiceEntry],
        platform: &'a Platform,
        findings: &mut Vec<Finding>,
    ) -> Self {
        let name = entry.service.metadata.name.as_str();
        let registry = Registry::new(platform);
        let metadata = &entry.service.metadata;
        // Params read the outputs of resources built before them.
        let mut built: BTreeMap<&str, Instance<'a>> = BTreeMap::new();
        for resource_name in params_order(&spec.resources) {
            let resource = &spec.resources[resource_name];
            let Some(kind) = registry.find(&resource.kind) else {
                continue;
            };
            let (physical, secret_path) = match &resource.id {
                Some(id) => (
                    names::bounded(&[&env.name, id], 63),
                    format!("paved/{}/shared/{id}", env.name),
                ),
                None => (
                    names::bounded(&[&env.name, name, resource_name], 63),
                    format!("paved/{}/{name}/{resource_name}", env.name),
                ),
            };
            let params = placeholder::substitute_json(&resource.params, &mut |path| match path {
                [root, other, output] if root == "resources" => built
                    .get(other.as_str())
                    .and_then(|other| provision::static_output(other, output)),
                _ => metadata_value(metadata, path),
            });
            let mut instance = Instance {
                name: resource_name.to_string(),
                kind,
                class: resource.class.clone(),
                params,
                shared_id: resource.id.clone(),
                service: name,
                physical,
                secret_path,
                environment: env,
                production: env.production,
                platform,
                custom_outputs: BTreeMap::new(),
            };
            if let TypeRef::Custom(provisioner) = kind {
                instance.custom_outputs =
                    provision::custom_outputs(&instance, provisioner, findings);
            } else if kind.name() == "service-port" {
                instance.custom_outputs = service_port_outputs(catalog, &instance.params);
            }
            built.insert(resource_name, instance);
        }
        let instances = built.into_values().collect();
        let dependents = dependents
            .iter()
            .copied()
            .filter(|d| d.deployment(&env.name).is_some())
            .collect();
        Self {
            config,
            env,
            entry,
            spec,
            dependents,
            instances,
            platform,
        }
    }

    pub fn name(&self) -> &'a str {
        &self.entry.service.metadata.name
    }

    /// The namespace: the owning team's.
    pub fn team(&self) -> &'a str {
        &self.entry.service.metadata.owner
    }

    pub fn serves_traffic(&self) -> bool {
        self.spec.kind != ServiceType::Worker && !self.spec.ports.is_empty()
    }

    /// Whether the service has cloud resources, and so a Terraform module and a role.
    pub fn has_cloud_resources(&self) -> bool {
        self.instances
            .iter()
            .any(|i| !crate::types::in_cluster(i.kind.name()))
    }

    pub fn instance(&self, name: &str) -> Option<&Instance<'a>> {
        self.instances.iter().find(|i| i.name == name)
    }

    /// The IAM role the service's pods assume.
    pub fn role_name(&self) -> String {
        names::bounded(&["paved", &self.env.name, self.name()], 64)
    }

    pub fn role_arn(&self) -> Option<String> {
        let account = self.env.account.as_ref()?;
        Some(format!("arn:aws:iam::{account}:role/{}", self.role_name()))
    }

    /// Labels on every object of the service.
    pub fn labels(&self) -> Json {
        let mut labels = json!({
            "app.kubernetes.io/name": self.name(),
            "app.kubernetes.io/managed-by": "paved",
            "paved.dev/team": self.team(),
            "paved.dev/environment": self.env.name,
        });
        if let Some(system) = &self.entry.service.metadata.system {
            labels["app.kubernetes.io/part-of"] = json!(system);
        }
        labels
    }

    pub fn selector(&self) -> Json {
        json!({ "app.kubernetes.io/name": self.name() })
    }

    /// Replicas when autoscaling is off: the intent's, or 2 in production and 1 elsewhere.
    pub fn replicas(&self) -> u32 {
        self.spec
            .replicas
            .unwrap_or(if self.env.production { 2 } else { 1 })
    }

    pub fn min_replicas(&self) -> u32 {
        self.spec
            .autoscaling
            .map_or_else(|| self.replicas(), |a| a.min)
    }

    /// The value of every environment variable, placeholders resolved where they can
    /// be at render time.
    pub fn env_values(&self) -> Vec<(String, EnvValue)> {
        let mut values: Vec<(String, EnvValue)> = self
            .spec
            .env
            .iter()
            .map(|(name, value)| (name.clone(), self.resolve_value(&value.0)))
            .collect();
        for name in self.spec.secrets.keys() {
            values.push((name.clone(), EnvValue::UserSecret));
        }
        values.sort_by(|a, b| a.0.cmp(&b.0));
        values
    }

    /// A value with its placeholders resolved: text when everything is known now,
    /// else a template over secret-store values.
    pub fn resolve_value(&self, value: &str) -> EnvValue {
        let Ok(parts) = placeholder::parse(value) else {
            // Malformed placeholders were reported by check; keep the text.
            return EnvValue::Text(value.to_string());
        };
        let mut resolved = Vec::new();
        for part in parts {
            match part {
                placeholder::Part::Text(text) => resolved.push(Piece::Text(text)),
                placeholder::Part::Ref { path, .. } => resolved.push(self.reference(&path)),
            }
        }
        if resolved.iter().all(|p| matches!(p, Piece::Text(_))) {
            EnvValue::Text(
                resolved
                    .into_iter()
                    .map(|p| match p {
                        Piece::Text(t) => t,
                        Piece::Secret { .. } => unreachable!("all pieces are text"),
                    })
                    .collect(),
            )
        } else {
            EnvValue::Composed(resolved)
        }
    }

    fn reference(&self, path: &[String]) -> Piece {
        match path {
            [root, name, output] if root == "resources" => match self.instance(name) {
                Some(instance) => match provision::static_output(instance, output) {
                    Some(value) => Piece::Text(value),
                    None => Piece::Secret {
                        resource: name.clone(),
                        path: instance.secret_path.clone(),
                        property: output.clone(),
                    },
                },
                None => Piece::Text(String::new()),
            },
            _ => {
                Piece::Text(metadata_value(&self.entry.service.metadata, path).unwrap_or_default())
            }
        }
    }
}

/// The value of a `${metadata...}` placeholder.
fn metadata_value(
    metadata: &crate::model::intent::ServiceMetadata,
    path: &[String],
) -> Option<String> {
    match path {
        [root, key] if root == "metadata" => match key.as_str() {
            "name" => Some(metadata.name.clone()),
            "owner" => Some(metadata.owner.clone()),
            "system" => metadata.system.clone(),
            "lifecycle" => Some(format!("{:?}", metadata.lifecycle).to_lowercase()),
            "tier" => Some(metadata.tier.to_string()),
            "description" => metadata.description.clone(),
            _ => None,
        },
        [root, annotations, key] if root == "metadata" && annotations == "annotations" => {
            metadata.annotations.get(key).cloned()
        }
        _ => None,
    }
}

/// The service's resources in an order where each comes after those whose outputs its
/// params read; by name otherwise. Resources in a cycle (reported by check) come last.
fn params_order(resources: &BTreeMap<String, crate::model::intent::Resource>) -> Vec<&str> {
    let reads: BTreeMap<&str, BTreeSet<&str>> = resources
        .iter()
        .map(|(name, resource)| {
            let mut strings = Vec::new();
            if placeholder::json_has_dollar(&resource.params) {
                placeholder::json_strings(&resource.params, "", &mut strings);
            }
            let targets = strings
                .into_iter()
                .filter_map(|(_, value)| placeholder::parse(value).ok())
                .flatten()
                .filter_map(|part| match part {
                    placeholder::Part::Ref { path, .. }
                        if path.len() == 3 && path[0] == "resources" =>
                    {
                        resources.get_key_value(&path[1]).map(|(k, _)| k.as_str())
                    }
                    _ => None,
                })
                .collect();
            (name.as_str(), targets)
        })
        .collect();
    let mut order: Vec<&str> = Vec::with_capacity(reads.len());
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    loop {
        let ready: Vec<&str> = reads
            .iter()
            .filter(|(name, targets)| {
                !placed.contains(*name) && targets.iter().all(|t| placed.contains(t))
            })
            .map(|(name, _)| *name)
            .collect();
        if ready.is_empty() {
            break;
        }
        placed.extend(&ready);
        order.extend(ready);
    }
    order.extend(reads.keys().filter(|name| !placed.contains(*name)));
    order
}

/// An environment variable's value in one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EnvValue {
    /// Known at render time.
    Text(String),
    /// Built from secret-store values (and text), by the External Secrets operator.
    Composed(Vec<Piece>),
    /// A secret reference of `spec.secrets`.
    UserSecret,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Piece {
    Text(String),
    /// An output of the service's resource `resource`, read from the secret store.
    Secret {
        resource: String,
        path: String,
        property: String,
    },
}

#[cfg(test)]
mod tests {
    #[test]
    fn resources_come_after_those_their_params_read() {
        let resources: std::collections::BTreeMap<String, crate::model::intent::Resource> =
            serde_json::from_value(serde_json::json!({
                "a": {"type": "route", "params": {"host": "${resources.b.host}"}},
                "b": {"type": "route", "params": {"host": "x.${resources.c.host}", "path": "$${resources.a.host}"}},
                "c": {"type": "dns"},
                "d": {"type": "dns"},
                "x": {"type": "route", "params": {"host": "${resources.y.host}"}},
                "y": {"type": "route", "params": {"host": "${resources.x.host}"}},
            }))
            .unwrap();
        assert_eq!(
            super::params_order(&resources),
            ["c", "d", "b", "a", "x", "y"]
        );
    }

    #[test]
    fn generated_paths_tell_their_service_and_environment() {
        for (path, owner) in [
            (
                "kubernetes/prod/shop/cart/deployment.yaml",
                (Some("cart"), Some("prod")),
            ),
            ("kubernetes/prod/namespace-shop.yaml", (None, Some("prod"))),
            ("terraform/dev/cart/db.tf", (Some("cart"), Some("dev"))),
            ("alerts/staging/cart.yaml", (Some("cart"), Some("staging"))),
            ("dashboards/cart.json", (Some("cart"), None)),
            ("catalog/components/cart.yaml", (Some("cart"), None)),
            ("catalog/groups/shop.yaml", (None, None)),
            ("CODEOWNERS", (None, None)),
        ] {
            assert_eq!(super::owner(path), owner, "{path}");
        }
    }
}
