//! What policies see: the Rego input of a service in an environment (its effective
//! intent, team, dependencies, environment and the platform), built from the catalog
//! with what many inputs share converted once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use regorus::Value as Rego;
use serde_json::{Value as Json, json};

use crate::model::config::Config;
use crate::validate::resolve::{Catalog, ServiceEntry};

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
    pub(super) fn environment(&self, name: &str) -> Rego {
        self.environments.get(name).cloned().unwrap_or(Rego::Null)
    }

    /// The input of a service in one environment: its intent, the environment, its
    /// team, its dependencies, the platform. Without an environment, for the policies
    /// that do not read it.
    pub(super) fn service(
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
    pub(super) intent: Rego,
    pub(super) dependencies: Rego,
}

impl IntentInput {
    /// The intent as policies see it, under `input.intent`.
    pub fn intent(&self) -> &Rego {
        &self.intent
    }
}

/// An environment for policies. Unset settings are absent, not null, so that Rego's
/// `not input.environment.ttl` means "no ttl".
pub(super) fn environment_json(env: &crate::model::config::Environment) -> Json {
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

pub(super) fn platform_json(config: &Config) -> Json {
    json!({
        "registries": config.registries,
        "sizes": config.size_names().collect::<Vec<_>>(),
        "defaultSize": config.default_size,
        "environments": config.environments.iter().map(environment_json).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
