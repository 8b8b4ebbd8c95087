//! A service in each environment: its overrides applied (merged over the base fields
//! they change), what the environment must provide for its resources, and what the
//! platform defines for it.

use std::sync::Arc;

use serde_json::Value as Json;

use crate::diag::codes::Code;
use crate::diag::finding::{Finding, list};
use crate::diag::origin::escape_pointer;
use crate::load::schema::{self, Schemas};
use crate::model::config::Environment;
use crate::model::intent::{OVERRIDABLE, ServiceSpec};
use crate::types::TypeRef;

use super::{Checker, Deployment, Places, unknown};

impl Checker<'_> {
    /// Apply each environment's overrides, check the result, and list where it deploys.
    /// Also returns the environments whose cloud account the service needs but
    /// paved.yaml does not give.
    pub(super) fn deployments(
        &self,
        schemas: &Schemas,
        findings: &mut Vec<Finding>,
    ) -> (Vec<Deployment>, Vec<String>) {
        let mut missing_account = Vec::new();
        let spec = &self.service.spec;
        for environment in spec.environments.keys() {
            if self.config.environment(environment).is_none() {
                let configured: Vec<&str> = self
                    .config
                    .environments
                    .iter()
                    .map(|e| e.name.as_str())
                    .collect();
                let location = self.origin.key(&format!(
                    "/spec/environments/{}",
                    escape_pointer(environment)
                ));
                let finding = Finding::at(
                    Code::UnknownEnvironment,
                    location,
                    format!("environment `{environment}` is not configured in paved.yaml"),
                )
                .label("not an environment");
                findings.push(unknown(
                    finding,
                    environment,
                    configured.iter().copied(),
                    &format!("configured environments: {}", list(&configured)),
                ));
            }
        }
        let base = Arc::new(ServiceSpec {
            environments: Arc::default(),
            ..spec.clone()
        });
        let mut deployments = Vec::new();
        for environment in &self.config.environments {
            let Some(overlay) = spec.environments.get(&environment.name) else {
                if self.platform(environment, &base, &Places::base(self.origin), findings) {
                    missing_account.push(environment.name.clone());
                }
                deployments.push(Deployment {
                    environment: environment.name.clone(),
                    spec: Arc::clone(&base),
                });
                continue;
            };
            // A disabled environment's overrides are still checked, so that turning it
            // on later holds no surprise.
            let enabled = overlay.get("enabled") != Some(&Json::Bool(false));
            let places = Places {
                origin: self.origin,
                overlay: Some((&environment.name, overlay)),
            };
            if let Some(effective) = self.apply(&base, overlay, &places, schemas, findings) {
                self.spec(&effective, &places, findings);
                if enabled && self.platform(environment, &effective, &places, findings) {
                    missing_account.push(environment.name.clone());
                }
                if enabled {
                    deployments.push(Deployment {
                        environment: environment.name.clone(),
                        spec: Arc::new(effective),
                    });
                }
            }
        }
        (deployments, missing_account)
    }

    /// What rendering in `environment` needs from the platform: resource classes the
    /// provisioners offer, and the paved.yaml settings some resource types depend on.
    /// Returns whether the service needs the environment's cloud account, which is not
    /// set (reported once per environment by the caller).
    pub(super) fn platform(
        &self,
        environment: &Environment,
        spec: &ServiceSpec,
        places: &Places<'_>,
        findings: &mut Vec<Finding>,
    ) -> bool {
        let mut needs_account = false;
        for (name, resource) in spec.resources.iter() {
            let Some(kind) = self.registry.find(&resource.kind) else {
                continue;
            };
            let pointer = format!("/resources/{}", escape_pointer(name));
            if let Some(class) = &resource.class
                && !kind.has_class(class)
            {
                let classes = kind.class_names();
                let help = if classes.is_empty() {
                    format!("{} resources have no classes: remove `class`", kind.name())
                } else {
                    format!("use {}", crate::diag::finding::list_or(&classes))
                };
                findings.push(
                    places
                        .finding(
                            Code::UnknownResourceClass,
                            &format!("{pointer}/class"),
                            format!("a {} resource has no class `{class}`", kind.name()),
                        )
                        .help(help),
                );
            }
            // A platform provisioner brings its own settings.
            let missing = match kind {
                TypeRef::BuiltIn(t) => t.missing_setting(environment),
                TypeRef::Custom(_) => None,
            };
            if let Some(setting) = missing {
                findings.push(self.missing_setting(
                    environment,
                    places,
                    &format!("{pointer}/type"),
                    setting,
                    kind.name(),
                ));
            }
            needs_account |= !kind.in_cluster();
        }
        needs_account && environment.account.is_none()
    }

    pub(super) fn missing_setting(
        &self,
        environment: &Environment,
        places: &Places<'_>,
        pointer: &str,
        setting: &str,
        what: &str,
    ) -> Finding {
        let env = &environment.name;
        let location = self.origin.key(&places.pointer(pointer));
        Finding::at(
            Code::MissingPlatformSetting,
            location,
            format!(
                "{what} resources in `{env}` need `environments.{env}.{setting}` in paved.yaml"
            ),
        )
        .help(format!("set `environments.{env}.{setting}` in paved.yaml"))
    }

    /// The spec with one environment's overrides applied, or `None` when the result
    /// breaks the schema (reported where the offending value was written).
    pub(super) fn apply(
        &self,
        base: &ServiceSpec,
        overlay: &Json,
        places: &Places<'_>,
        schemas: &Schemas,
        findings: &mut Vec<Finding>,
    ) -> Option<ServiceSpec> {
        let Json::Object(overlay) = overlay else {
            return Some(base.clone());
        };
        let mut overlay = overlay.clone();
        self.known_resources(&mut overlay, places, findings);
        // Only the overridden fields are merged and checked again: the rest of the
        // spec passed its schema already.
        let mut partial = serde_json::Map::new();
        partial.insert(String::from("image"), Json::String(base.image.clone()));
        let overridden: Vec<&str> = OVERRIDABLE
            .iter()
            .copied()
            .filter(|key| overlay.contains_key(*key))
            .collect();
        for key in &overridden {
            let mut merged = self.overridable.get(*key).cloned().unwrap_or(Json::Null);
            merge(&mut merged, overlay.remove(*key).unwrap_or(Json::Null));
            partial.insert((*key).to_string(), merged);
        }
        let partial = Json::Object(partial);
        let errors = schemas.check(schema::Kind::ServiceSpec, &partial, self.origin, &|p| {
            places.pointer(p)
        });
        if !errors.is_empty() {
            findings.extend(errors);
            return None;
        }
        let mut partial = match serde_json::from_value::<ServiceSpec>(partial) {
            Ok(partial) => partial,
            Err(e) => {
                findings.push(self.origin.finding(
                    Code::InternalError,
                    &places.pointer(""),
                    format!("the merged spec passed its schema but could not be read: {e}"),
                ));
                return None;
            }
        };
        let mut effective = base.clone();
        for key in overridden {
            match key {
                "image" => effective.image = std::mem::take(&mut partial.image),
                "size" => effective.size = partial.size.take(),
                "replicas" => effective.replicas = partial.replicas.take(),
                "autoscaling" => effective.autoscaling = partial.autoscaling.take(),
                "env" => effective.env = Arc::clone(&partial.env),
                "secrets" => effective.secrets = Arc::clone(&partial.secrets),
                "expose" => effective.expose = partial.expose.take(),
                "resources" => effective.resources = Arc::clone(&partial.resources),
                other => unreachable!("`{other}` is in OVERRIDABLE but not applied"),
            }
        }
        Some(effective)
    }

    /// Report and drop overrides of resources the service does not declare.
    pub(super) fn known_resources(
        &self,
        overlay: &mut serde_json::Map<String, Json>,
        places: &Places<'_>,
        findings: &mut Vec<Finding>,
    ) {
        let Some(Json::Object(resources)) = overlay.get_mut("resources") else {
            return;
        };
        let declared: Vec<&str> = self
            .service
            .spec
            .resources
            .keys()
            .map(String::as_str)
            .collect();
        resources.retain(|name, _| {
            if declared.contains(&name.as_str()) {
                return true;
            }
            let pointer = places.pointer(&format!("/resources/{}", escape_pointer(name)));
            let finding = Finding::at(
                Code::UnknownResource,
                self.origin.key(&pointer),
                format!("override of resource `{name}`, which `spec.resources` does not declare"),
            );
            findings.push(unknown(
                finding,
                name,
                declared.iter().copied(),
                &format!(
                    "declared resources: {}; declare `{name}` in `spec.resources` to adjust it here",
                    list(&declared)
                ),
            ));
            false
        });
    }
}

/// Merge `overlay` into `base`: mappings key by key, everything else replaced.
pub(super) fn merge(base: &mut Json, overlay: Json) {
    match (base, overlay) {
        (Json::Object(base), Json::Object(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, overlay) => *base = overlay,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_override_field_of_the_schema_is_applied() {
        let schema: Json =
            serde_json::from_str(include_str!("../../../schemas/service.schema.json")).unwrap();
        let mut fields: Vec<&str> = schema["$defs"]["override"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "enabled")
            .collect();
        fields.sort_unstable();
        let mut overridable = crate::model::intent::OVERRIDABLE.to_vec();
        overridable.sort_unstable();
        assert_eq!(fields, overridable);
    }

    #[test]
    fn merge_replaces_lists_and_merges_maps() {
        let mut base = serde_json::json!({"a": {"x": 1, "y": [1, 2]}, "b": 1});
        merge(&mut base, serde_json::json!({"a": {"y": [3]}, "c": 2}));
        assert_eq!(
            base,
            serde_json::json!({"a": {"x": 1, "y": [3]}, "b": 1, "c": 2})
        );
    }
}
