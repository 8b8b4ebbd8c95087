//! `service-port`: a port of another service, reached inside the cluster through its
//! Kubernetes Service (`params.workload`, `params.port`: its name or number). The
//! service then depends on the one it reaches; Score workloads call each other so.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::model::intent::{Port, Service};

use super::{Instance, Output, Params, ResourceType, out};

pub(super) struct ServicePort;

impl ResourceType for ServicePort {
    fn name(&self) -> &'static str {
        "service-port"
    }

    fn description(&self) -> &'static str {
        "A port of another service, reached inside the cluster (`params.workload`, `params.port`: its name or number); the service depends on it."
    }

    fn outputs(&self) -> &'static [Output] {
        const OUTPUTS: &[Output] = &[
            out("hostname", "The other service's DNS name in the cluster."),
            out("port", "The port its Kubernetes Service offers."),
        ];
        OUTPUTS
    }

    /// Its params are checked against the service they name, not by a schema.
    fn params(&self) -> Params {
        Params::unchecked()
    }

    fn in_cluster(&self) -> bool {
        true
    }

    fn rendered_output(&self, instance: &Instance<'_>, output: &str) -> Option<String> {
        instance.custom_outputs.get(output).cloned()
    }

    fn peer<'p>(&self, params: &'p Json) -> Option<Option<&'p str>> {
        Some(params.get("workload").and_then(Json::as_str))
    }

    /// The port `params.port` names, by name or by the number the Service offers; the
    /// first port when it names none.
    fn peer_port<'s>(&self, params: &Json, ports: &'s [Port]) -> Option<&'s Port> {
        match params.get("port") {
            None => ports.first(),
            Some(Json::String(name)) => ports.iter().find(|p| &p.name == name),
            Some(number) => {
                let number = number.as_u64()?;
                ports
                    .iter()
                    .find(|p| u64::from(p.service_port.unwrap_or(p.port)) == number)
            }
        }
    }

    /// The other service's name in the cluster DNS (it runs in its team's namespace)
    /// and the port its Kubernetes Service offers.
    fn peer_outputs(&self, params: &Json, peer: &Service) -> BTreeMap<String, String> {
        let metadata = &peer.metadata;
        let mut outputs = BTreeMap::from([(
            String::from("hostname"),
            format!("{}.{}.svc.cluster.local", metadata.name, metadata.owner),
        )]);
        if let Some(port) = self.peer_port(params, &peer.spec.ports) {
            outputs.insert(
                String::from("port"),
                port.service_port.unwrap_or(port.port).to_string(),
            );
        }
        outputs
    }
}
