//! What services share: resources with the same `id` agree on their type, class and
//! params in every environment, and a resource that reaches another service names a
//! service and one of its ports.

use std::collections::HashMap;

use crate::diag::codes::Code;
use crate::diag::finding::{Finding, did_you_mean, list, printable};
use crate::diag::origin::escape_pointer;
use crate::model::config::Config;
use crate::model::intent;
use crate::types;

use super::{Catalog, Places};

/// Whether `service`'s override for `environment` adjusts its resource `resource`.
pub(super) fn other_overlay_sets(
    catalog: &Catalog,
    service: &str,
    environment: &str,
    resource: &str,
) -> bool {
    catalog.services[service]
        .service
        .spec
        .environments
        .get(environment)
        .and_then(|o| o.get("resources")?.get(resource))
        .is_some()
}

/// Resources with the same `id` must be the same resource in every environment.
pub(super) fn check_shared_resources(
    config: &Config,
    catalog: &Catalog,
    findings: &mut Vec<Finding>,
) {
    for environment in &config.environments {
        let mut first: HashMap<&str, (&str, &str, &intent::Resource)> = HashMap::new();
        for (service_name, entry) in &catalog.services {
            let Some(deployment) = entry.deployment(&environment.name) else {
                continue;
            };
            let overlay = entry.service.spec.environments.get(&environment.name);
            let places = Places {
                origin: &entry.origin,
                overlay: overlay.map(|o| (environment.name.as_str(), o)),
            };
            for (resource_name, resource) in deployment.spec.resources.iter() {
                let Some(id) = &resource.id else { continue };
                let Some(&(other_service, other_name, other)) = first.get(id.as_str()) else {
                    first.insert(id, (service_name, resource_name, resource));
                    continue;
                };
                let (field, ours, theirs) = if resource.kind != other.kind {
                    ("type", resource.kind.clone(), other.kind.clone())
                } else if resource.class != other.class {
                    (
                        "class",
                        resource
                            .class
                            .clone()
                            .unwrap_or_else(|| String::from("(none)")),
                        other
                            .class
                            .clone()
                            .unwrap_or_else(|| String::from("(none)")),
                    )
                } else if resource.params != other.params {
                    (
                        "params",
                        resource.params.to_string(),
                        other.params.to_string(),
                    )
                } else {
                    continue;
                };
                let pointer = format!("/resources/{}/{field}", escape_pointer(resource_name));
                // Name the environment when an override is what makes them differ.
                let overridden = places.pointer(&pointer).contains("/environments/")
                    || other_overlay_sets(catalog, other_service, &environment.name, other_name);
                let differs = if field == "params" {
                    "differ"
                } else {
                    "differs"
                };
                let scope = if overridden {
                    format!(" in `{}`", environment.name)
                } else {
                    String::new()
                };
                let other_entry = &catalog.services[other_service];
                let other_places = Places {
                    origin: &other_entry.origin,
                    overlay: other_entry
                        .service
                        .spec
                        .environments
                        .get(&environment.name)
                        .map(|o| (environment.name.as_str(), o)),
                };
                let mut finding = places
                    .finding(
                        Code::SharedResourceConflict,
                        &pointer,
                        format!(
                            "resource `{resource_name}` shares id `{id}` with resource `{other_name}` of service `{other_service}`, but its {field} {differs}{scope}"
                        ),
                    )
                    .label(format!("{field} {differs}"))
                    .related(
                        other_entry.origin.value(&other_places.pointer(&format!(
                            "/resources/{}",
                            escape_pointer(other_name)
                        ))),
                        format!("`{other_service}` declares it here"),
                    );
                if field != "params" {
                    finding = finding.help(format!(
                        "make the {field} the same in both (`{ours}` here, `{theirs}` there), or use another id"
                    ));
                } else {
                    finding = finding.help(
                        "make the params identical in every service that shares the resource, or use another id",
                    );
                }
                findings.push(finding);
            }
        }
    }
}

/// Every resource that reaches another service (a `service-port`) names a service and
/// one of its ports.
pub(super) fn check_service_ports(catalog: &Catalog, findings: &mut Vec<Finding>) {
    for entry in catalog.services.values() {
        for (name, resource) in entry.service.spec.resources.iter() {
            // The built-in type's part, also where a platform provisioner replaces it.
            let Some(reaching) = types::find(&resource.kind) else {
                continue;
            };
            let Some(workload) = reaching.peer(&resource.params) else {
                continue;
            };
            let kind = reaching.name();
            let at = format!("/spec/resources/{}/params", escape_pointer(name));
            let Some(target) = workload.and_then(|w| catalog.services.get(w)) else {
                // A dependency on the same name is reported already.
                if workload.is_some_and(|w| entry.service.spec.dependencies.iter().any(|d| d == w))
                {
                    continue;
                }
                let services: Vec<&str> = catalog.services.keys().map(String::as_str).collect();
                let message = match workload {
                    Some(workload) => format!(
                        "{kind} `{name}` names service `{}`, which does not exist",
                        printable(workload)
                    ),
                    None => format!("{kind} `{name}` names no service in `params.workload`"),
                };
                let help = match workload.and_then(|w| did_you_mean(w, services.iter().copied())) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => String::from("set `params.workload` to the name of a Service"),
                };
                findings.push(
                    entry
                        .origin
                        .finding(Code::UnknownDependency, &format!("{at}/workload"), message)
                        .help(help),
                );
                continue;
            };
            if reaching
                .peer_port(&resource.params, &target.service.spec.ports)
                .is_none()
            {
                let ports: Vec<&str> = target
                    .service
                    .spec
                    .ports
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect();
                findings.push(
                    entry
                        .origin
                        .finding(
                            Code::UnknownPort,
                            &format!("{at}/port"),
                            format!(
                                "{kind} `{name}`: service `{}` has no such port",
                                target.service.metadata.name
                            ),
                        )
                        .help(if ports.is_empty() {
                            String::from("the service declares no ports")
                        } else {
                            format!("its ports: {}", list(&ports))
                        }),
                );
            }
        }
    }
}
