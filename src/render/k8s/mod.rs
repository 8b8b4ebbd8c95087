//! Kubernetes objects of a service in one environment, written to
//! `kubernetes/<env>/<team>/<service>/`, and the team namespaces.

use serde_json::{Value as Json, json};

use crate::model::config::{Environment, IngressKind};
use crate::model::intent::PortRef;
use crate::render::unit::Unit;
use crate::render::{Tree, layout};
pub(super) mod argocd;
mod files;
mod secrets;
mod templates;
mod traffic;
mod workload;

use crate::diag::finding::Finding;
use crate::render::k8s::files::files_config_map;
use crate::render::k8s::secrets::{resources_external_secret, user_external_secret};
use crate::render::k8s::templates::platform_templates;
use crate::render::k8s::traffic::{
    http_route, ingress, network_policy, routes, service, service_monitor,
};
use crate::render::k8s::workload::{composed_values, deployment, hpa, pdb, service_account};

/// Secret (and ExternalSecret) holding values built from resource outputs.
pub(crate) fn resources_secret(unit: &Unit<'_>) -> String {
    format!("{}-resources", unit.name())
}

/// Secret (and ExternalSecret) holding the service's `spec.secrets`.
pub(crate) fn user_secret(unit: &Unit<'_>) -> String {
    format!("{}-secrets", unit.name())
}

pub(crate) fn folder(unit: &Unit<'_>) -> String {
    layout::service_kubernetes(&unit.env.name, unit.team(), unit.name())
}

pub(crate) fn metadata(unit: &Unit<'_>, name: &str) -> Json {
    json!({
        "name": name,
        "namespace": unit.team(),
        "labels": unit.labels(),
    })
}

pub(crate) fn render(unit: &Unit<'_>, tree: &mut Tree, findings: &mut Vec<Finding>) {
    let dir = folder(unit);
    render_built_in(unit, tree, &dir);
    platform_templates(unit, tree, &dir, findings);
}

fn render_built_in(unit: &Unit<'_>, tree: &mut Tree, dir: &str) {
    let composed = composed_values(unit);
    tree.yaml(format!("{dir}/serviceaccount.yaml"), &service_account(unit));
    tree.yaml(
        format!("{dir}/deployment.yaml"),
        &deployment(unit, &composed),
    );
    tree.yaml(format!("{dir}/networkpolicy.yaml"), &network_policy(unit));
    if !unit.spec.secrets.is_empty() {
        tree.yaml(
            format!("{dir}/externalsecret-secrets.yaml"),
            &user_external_secret(unit),
        );
    }
    if !composed.is_empty() {
        tree.yaml(
            format!("{dir}/externalsecret-resources.yaml"),
            &resources_external_secret(unit, &composed),
        );
    }
    if !unit.spec.files.is_empty() {
        tree.yaml(
            format!("{dir}/configmap-files.yaml"),
            &files_config_map(unit),
        );
    }
    if !unit.spec.ports.is_empty() {
        tree.yaml(format!("{dir}/service.yaml"), &service(unit));
        tree.yaml(format!("{dir}/servicemonitor.yaml"), &service_monitor(unit));
    }
    if let Some(autoscaling) = unit.spec.autoscaling {
        tree.yaml(
            format!("{dir}/horizontalpodautoscaler.yaml"),
            &hpa(unit, autoscaling),
        );
    }
    if unit.min_replicas() >= 2 {
        tree.yaml(format!("{dir}/poddisruptionbudget.yaml"), &pdb(unit));
    }
    let routes = routes(unit);
    if !routes.is_empty() {
        match unit.config.kubernetes.ingress.kind {
            IngressKind::Ingress => {
                tree.yaml(format!("{dir}/ingress.yaml"), &ingress(unit, &routes));
            }
            IngressKind::Gateway => {
                for (i, route) in routes.iter().enumerate() {
                    let file = if i == 0 {
                        String::from("httproute.yaml")
                    } else {
                        format!("httproute-{}.yaml", route.name)
                    };
                    tree.yaml(format!("{dir}/{file}"), &http_route(unit, route));
                }
            }
        }
    }
}

/// The port public traffic and default probes use: `spec.expose.port`, else a port
/// named `http`, else the first.
pub(crate) fn main_port<'u>(unit: &'u Unit<'_>) -> Option<&'u crate::model::intent::Port> {
    let ports = &unit.spec.ports;
    if let Some(port) = unit.spec.expose.as_ref().and_then(|e| e.port.as_ref()) {
        return find_port(unit, port);
    }
    ports
        .iter()
        .find(|p| p.name == "http")
        .or_else(|| ports.first())
}

/// The port Prometheus scrapes: one named `metrics`, else the main port.
pub(crate) fn metrics_port<'u>(unit: &'u Unit<'_>) -> Option<&'u crate::model::intent::Port> {
    unit.spec
        .ports
        .iter()
        .find(|p| p.name == "metrics")
        .or_else(|| main_port(unit))
}

pub(crate) fn find_port<'u>(
    unit: &'u Unit<'_>,
    port: &PortRef,
) -> Option<&'u crate::model::intent::Port> {
    unit.spec.ports.iter().find(|p| match port {
        PortRef::Name(name) => &p.name == name,
        PortRef::Number(number) => p.port == *number,
    })
}

pub(crate) fn namespace(env: &Environment, team: &str, tree: &mut Tree) {
    let value = json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": team,
            "labels": {
                "app.kubernetes.io/managed-by": "paved",
                "paved.dev/team": team,
                "paved.dev/environment": env.name,
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
            },
        },
    });
    tree.yaml(layout::namespace(&env.name, team), &value);
}
