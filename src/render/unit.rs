//! One service in one environment, as every renderer sees it: its spec with the
//! environment's overrides, its resources resolved into instances (params substituted
//! in the order they read each other), and its environment values.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value as Json, json};

use crate::diag::finding::Finding;
use crate::load::platform::Platform;
use crate::model::config::{Config, Environment};
use crate::model::intent::{ServiceSpec, ServiceType};
use crate::model::{names, placeholder};
use crate::types::{Instance, Registry, TypeRef};
use crate::validate::resolve::{Catalog, ServiceEntry};

use super::provision;

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

impl<'a> Unit<'a> {
    pub(super) fn new(
        config: &'a Config,
        env: &'a Environment,
        (catalog, entry): (&Catalog, &'a ServiceEntry),
        spec: &'a ServiceSpec,
        dependents: &[&'a ServiceEntry],
        platform: &'a Platform,
        findings: &mut Vec<Finding>,
    ) -> Self {
        let name = entry.service.metadata.name.as_str();
        let registry = Registry::new(&platform.provisioners);
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
                    .and_then(|other| other.output_value(output)),
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
                custom_outputs: BTreeMap::new(),
            };
            match kind {
                TypeRef::Custom(provisioner) => {
                    instance.custom_outputs =
                        provision::custom_outputs(&instance, platform, provisioner, findings);
                }
                TypeRef::BuiltIn(kind) => {
                    // A resource that reaches another service takes its outputs from it.
                    let peer = kind
                        .peer(&instance.params)
                        .flatten()
                        .and_then(|w| catalog.services.get(w));
                    if let Some(peer) = peer {
                        instance.custom_outputs =
                            kind.peer_outputs(&instance.params, &peer.service);
                    }
                }
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

    pub(super) fn name(&self) -> &'a str {
        &self.entry.service.metadata.name
    }

    /// The namespace: the owning team's.
    pub(super) fn team(&self) -> &'a str {
        &self.entry.service.metadata.owner
    }

    pub(super) fn serves_traffic(&self) -> bool {
        self.spec.kind != ServiceType::Worker && !self.spec.ports.is_empty()
    }

    /// Whether the service has cloud resources, and so a Terraform module and a role.
    pub(super) fn has_cloud_resources(&self) -> bool {
        self.instances.iter().any(|i| !i.kind.in_cluster())
    }

    pub(super) fn instance(&self, name: &str) -> Option<&Instance<'a>> {
        self.instances.iter().find(|i| i.name == name)
    }

    /// The IAM role the service's pods assume.
    pub(super) fn role_name(&self) -> String {
        names::bounded(&["paved", &self.env.name, self.name()], 64)
    }

    pub(super) fn role_arn(&self) -> Option<String> {
        let account = self.env.account.as_ref()?;
        Some(format!("arn:aws:iam::{account}:role/{}", self.role_name()))
    }

    /// Labels on every object of the service.
    pub(super) fn labels(&self) -> Json {
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

    pub(super) fn selector(&self) -> Json {
        json!({ "app.kubernetes.io/name": self.name() })
    }

    /// Replicas when autoscaling is off: the intent's, or 2 in production and 1 elsewhere.
    pub(super) fn replicas(&self) -> u32 {
        self.spec
            .replicas
            .unwrap_or(if self.env.production { 2 } else { 1 })
    }

    pub(super) fn min_replicas(&self) -> u32 {
        self.spec
            .autoscaling
            .map_or_else(|| self.replicas(), |a| a.min)
    }

    /// The value of every environment variable, placeholders resolved where they can
    /// be at render time.
    pub(super) fn env_values(&self) -> Vec<(String, EnvValue)> {
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
    pub(super) fn resolve_value(&self, value: &str) -> EnvValue {
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
                Some(instance) => match instance.output_value(output) {
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
}
