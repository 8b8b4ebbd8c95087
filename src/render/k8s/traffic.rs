//! How traffic reaches the service: its Service and ServiceMonitor, the network policy
//! that admits only its dependents, the ingress controller and Prometheus, and its
//! public routes (Ingress or Gateway API HTTPRoutes).

use serde_json::{Value as Json, json};

use crate::model::intent::Visibility;
use crate::model::names;
use crate::render::k8s::{find_port, main_port, metadata, metrics_port};
use crate::render::unit::Unit;

pub(crate) fn service(unit: &Unit<'_>) -> Json {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(unit, unit.name()),
        "spec": {
            "type": "ClusterIP",
            "selector": unit.selector(),
            "ports": unit.spec.ports.iter().map(|p| json!({
                "name": p.name,
                "port": p.service_port.unwrap_or(p.port),
                "targetPort": p.name,
                "protocol": p.protocol,
            })).collect::<Vec<_>>(),
        },
    })
}

pub(crate) fn service_monitor(unit: &Unit<'_>) -> Json {
    let mut labels = unit.labels();
    for (key, value) in &unit.config.monitoring.rule_labels {
        labels[key] = json!(value);
    }
    let port = metrics_port(unit).map_or_else(|| String::from("http"), |p| p.name.clone());
    json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": { "name": unit.name(), "namespace": unit.team(), "labels": labels },
        "spec": {
            "selector": { "matchLabels": unit.selector() },
            "endpoints": [{ "port": port, "path": "/metrics", "interval": "30s" }],
        },
    })
}

fn namespace_peer(namespace: &str) -> Json {
    json!({ "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": namespace } } })
}

fn port_list(ports: &[&crate::model::intent::Port]) -> Json {
    Json::Array(
        ports
            .iter()
            .map(|p| json!({ "port": p.port, "protocol": p.protocol }))
            .collect(),
    )
}

/// Deny all ingress but from the services that declare a dependency on this one, the
/// ingress controller when public, and Prometheus on the metrics port.
pub(crate) fn network_policy(unit: &Unit<'_>) -> Json {
    let all: Vec<&crate::model::intent::Port> = unit.spec.ports.iter().collect();
    let mut rules = Vec::new();
    if !all.is_empty() {
        for dependent in &unit.dependents {
            let mut peer = namespace_peer(&dependent.service.metadata.owner);
            peer["podSelector"] = json!({ "matchLabels": { "app.kubernetes.io/name": dependent.service.metadata.name } });
            rules.push(json!({ "from": [peer], "ports": port_list(&all) }));
        }
        let routes = routes(unit);
        if !routes.is_empty() {
            let mut ports: Vec<&crate::model::intent::Port> =
                routes.iter().filter_map(|r| r.port).collect();
            ports.sort_by_key(|p| p.port);
            ports.dedup_by_key(|p| p.port);
            rules.push(json!({
                "from": [namespace_peer(&unit.config.kubernetes.ingress.namespace)],
                "ports": port_list(&ports),
            }));
        }
        if let Some(port) = metrics_port(unit) {
            rules.push(json!({
                "from": [namespace_peer(&unit.config.monitoring.namespace)],
                "ports": port_list(&[port]),
            }));
        }
    }
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(unit, unit.name()),
        "spec": {
            "podSelector": { "matchLabels": unit.selector() },
            "policyTypes": ["Ingress"],
            "ingress": rules,
        },
    })
}

/// A public way in: the exposure, or a `route` resource.
pub(super) struct Route<'u> {
    pub name: String,
    pub host: String,
    pub path: String,
    pub port: Option<&'u crate::model::intent::Port>,
    pub tls: bool,
}

pub(crate) fn routes<'u>(unit: &'u Unit<'_>) -> Vec<Route<'u>> {
    let mut routes = Vec::new();
    if let Some(expose) = &unit.spec.expose
        && expose.visibility == Visibility::Public
        && let Some(host) = &expose.host
    {
        routes.push(Route {
            name: unit.name().to_string(),
            host: host.clone(),
            path: expose.path.clone().unwrap_or_else(|| String::from("/")),
            port: main_port(unit),
            tls: expose.tls,
        });
    }
    for instance in &unit.instances {
        let Some(route) = instance.kind.role().and_then(|t| t.route(instance)) else {
            continue;
        };
        let port = route
            .port
            .and_then(|p| find_port(unit, &p))
            .or_else(|| main_port(unit));
        routes.push(Route {
            name: instance.name.clone(),
            host: route.host,
            path: route.path,
            port,
            tls: true,
        });
    }
    routes
}

pub(crate) fn ingress(unit: &Unit<'_>, routes: &[Route<'_>]) -> Json {
    let settings = &unit.config.kubernetes.ingress;
    let rules: Vec<Json> = routes
        .iter()
        .map(|route| {
            json!({
                "host": route.host,
                "http": { "paths": [{
                    "path": route.path,
                    "pathType": "Prefix",
                    "backend": { "service": {
                        "name": unit.name(),
                        "port": { "name": route.port.map_or("http", |p| p.name.as_str()) },
                    } },
                }] },
            })
        })
        .collect();
    let mut tls_hosts: Vec<&str> = routes
        .iter()
        .filter(|r| r.tls)
        .map(|r| r.host.as_str())
        .collect();
    tls_hosts.sort_unstable();
    tls_hosts.dedup();
    let mut spec = json!({ "ingressClassName": settings.class_name, "rules": rules });
    let mut metadata = metadata(unit, unit.name());
    if !tls_hosts.is_empty() {
        spec["tls"] = json!([{ "hosts": tls_hosts, "secretName": format!("{}-tls", unit.name()) }]);
        metadata["annotations"] =
            json!({ "cert-manager.io/cluster-issuer": settings.cluster_issuer });
    }
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata,
        "spec": spec,
    })
}

pub(crate) fn http_route(unit: &Unit<'_>, route: &Route<'_>) -> Json {
    let settings = &unit.config.kubernetes.ingress;
    let name = if route.name == unit.name() {
        unit.name().to_string()
    } else {
        names::bounded(&[unit.name(), &route.name], 63)
    };
    json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": metadata(unit, &name),
        "spec": {
            "parentRefs": [{ "name": settings.gateway, "namespace": settings.namespace }],
            "hostnames": [route.host],
            "rules": [{
                "matches": [{ "path": { "type": "PathPrefix", "value": route.path } }],
                "backendRefs": [{ "name": unit.name(), "port": route.port.map_or(80, |p| p.service_port.unwrap_or(p.port)) }],
            }],
        },
    })
}
