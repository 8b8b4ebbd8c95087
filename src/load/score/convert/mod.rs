//! A workload that passed the Score schema turned into the paved Service it means:
//! the Service, where each of its parts came from, and notes on what was left out.

mod container;
mod metadata;
mod mounts;
mod placeholders;
mod resources;

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json, json};

use crate::diag::codes::Code;
use crate::diag::finding::Finding;
use crate::diag::origin::{Origin, PointerMap, escape_pointer};
use crate::load::score::convert::metadata::ANNOTATIONS;
use crate::model::intent;

/// What a Score workload becomes.
#[derive(Debug)]
pub(crate) struct Conversion {
    /// The paved Service, as a document (`apiVersion: paved.dev/v1`).
    pub(crate) service: Json,
    /// Where each part of the Service came from in the workload.
    pub(crate) map: PointerMap,
    /// What could not be carried over, by pointer into the workload.
    pub(crate) notes: Vec<Note>,
    /// No Service could be made: the workload names no owner and paved.yaml gives none.
    pub(crate) fatal: bool,
}

/// A part of the workload that was left out or is wrong, reported as a finding there.
#[derive(Debug)]
pub(crate) struct Note {
    pub(crate) code: Code,
    pub(crate) pointer: String,
    pub(crate) message: String,
    pub(crate) help: Option<String>,
}

impl Note {
    pub(crate) fn finding(&self, origin: &Origin) -> Finding {
        let finding = Finding::at(self.code, origin.place(&self.pointer), self.message.clone());
        match &self.help {
            Some(help) => finding.help(help.clone()),
            None => finding,
        }
    }
}

/// Turn a workload that passed the Score schema into a paved Service. `order` lists
/// its containers as declared; the first is the one paved renders.
pub(crate) fn convert(score: &Json, order: &[String], default_owner: Option<&str>) -> Conversion {
    let mut converter = Converter {
        score,
        metadata: score.get("metadata").cloned().unwrap_or_else(|| json!({})),
        resources: score
            .get("resources")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default(),
        map: PointerMap::default(),
        notes: Vec::new(),
        dependencies: BTreeMap::new(),
    };
    let metadata = converter.metadata(default_owner);
    let spec = converter.spec(order);
    let fatal = metadata.is_none();
    let service = json!({
        "apiVersion": intent::API_VERSION,
        "kind": "Service",
        "metadata": metadata.unwrap_or_default(),
        "spec": spec,
    });
    Conversion {
        service,
        map: converter.map,
        notes: converter.notes,
        fatal,
    }
}

struct Converter<'a> {
    score: &'a Json,
    metadata: Json,
    resources: Map<String, Json>,
    map: PointerMap,
    notes: Vec<Note>,
    /// Services the workload calls through `service-port` resources, with where.
    dependencies: BTreeMap<String, String>,
}

impl Converter<'_> {
    fn note(&mut self, code: Code, pointer: String, message: String, help: Option<&str>) {
        self.notes.push(Note {
            code,
            pointer,
            message,
            help: help.map(str::to_string),
        });
    }

    fn unsupported(&mut self, pointer: String, message: String, help: &str) {
        self.note(Code::ScoreUnsupported, pointer, message, Some(help));
    }

    fn workload(&self) -> &str {
        self.metadata
            .get("name")
            .and_then(Json::as_str)
            .unwrap_or_default()
    }

    fn spec(&mut self, order: &[String]) -> Map<String, Json> {
        let mut spec = Map::new();
        for (key, pointer) in ANNOTATIONS {
            let Some(field) = pointer.strip_prefix("/spec/") else {
                continue;
            };
            if let Some(value) = self.annotation_value(key) {
                spec.insert(field.into(), value);
            }
        }
        let ports = self.ports();
        if !spec.contains_key("type") {
            let kind = if ports.is_empty() { "worker" } else { "api" };
            spec.insert("type".into(), json!(kind));
        }
        if !ports.is_empty() {
            spec.insert("ports".into(), Json::Array(ports));
        }
        let containers = self
            .score
            .get("containers")
            .and_then(Json::as_object)
            .cloned()
            .unwrap_or_default();
        let mut names = order.iter().filter(|n| containers.contains_key(*n));
        if let Some(main) = names.next()
            && let Some(container) = containers.get(main)
        {
            self.container(main, container, &mut spec);
        }
        let mut sidecars = Map::new();
        for other in names {
            if let Some(container) = containers.get(other)
                && let Some(sidecar) = self.sidecar(other, container)
            {
                sidecars.insert(other.clone(), sidecar);
            }
        }
        if !sidecars.is_empty() {
            spec.insert("sidecars".into(), Json::Object(sidecars));
        }
        let resources = self.resources();
        if !resources.is_empty() {
            spec.insert("resources".into(), Json::Object(resources));
        }
        // A service-port is a call to another service: a dependency, which opens its
        // network policy to this one.
        if !self.dependencies.is_empty() {
            let dependencies = std::mem::take(&mut self.dependencies);
            for (i, pointer) in dependencies.values().enumerate() {
                self.map
                    .insert(format!("/spec/dependencies/{i}"), pointer.clone());
            }
            spec.insert(
                "dependencies".into(),
                json!(dependencies.keys().collect::<Vec<_>>()),
            );
        }
        spec
    }

    fn ports(&mut self) -> Vec<Json> {
        let Some(ports) = self
            .score
            .pointer("/service/ports")
            .and_then(Json::as_object)
        else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (name, port) in ports {
            let Some(number) = port.get("port").and_then(Json::as_u64) else {
                continue;
            };
            let i = out.len();
            let target = port.get("targetPort").and_then(Json::as_u64);
            let mut converted = json!({
                "name": name,
                "port": target.unwrap_or(number),
            });
            if let Some(protocol) = port.get("protocol") {
                converted["protocol"] = protocol.clone();
            }
            if target.is_some_and(|t| t != number) {
                converted["servicePort"] = json!(number);
            }
            let source = format!("/service/ports/{}", escape_pointer(name));
            self.map.insert(format!("/spec/ports/{i}"), source.clone());
            self.map
                .insert(format!("/spec/ports/{i}/name"), source.clone());
            self.map.insert(
                format!("/spec/ports/{i}/servicePort"),
                format!("{source}/port"),
            );
            let container_port = if target.is_some() {
                "targetPort"
            } else {
                "port"
            };
            self.map.insert(
                format!("/spec/ports/{i}/port"),
                format!("{source}/{container_port}"),
            );
            out.push(converted);
        }
        out
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// Each note's code and the place in the workload it points at.
    pub(super) fn codes_at(conversion: &Conversion) -> Vec<(Code, &str)> {
        conversion
            .notes
            .iter()
            .map(|n| (n.code, n.pointer.as_str()))
            .collect()
    }

    pub(super) fn workload() -> Json {
        json!({
            "apiVersion": "score.dev/v1b1",
            "metadata": {
                "name": "orders",
                "team": {"slack": "#orders"},
                "annotations": {"paved.dev/owner": "payments", "paved.dev/tier": "2"},
            },
            "service": {"ports": {"web": {"port": 80, "targetPort": 8080}}},
            "containers": {
                "main": {
                    "image": "ghcr.io/acme/orders:1.0.0",
                    "variables": {
                        "DB": "postgres://${resources.db.host}:${resources.db.port}",
                        "NAME": "${metadata.name} costs $$5 or $x",
                        "SLACK": "${metadata.team.slack}",
                        "ID": "${resources.db}",
                    },
                    "livenessProbe": {"httpGet": {"port": 8080, "path": "/livez"}},
                },
            },
            "resources": {"db": {"type": "postgres", "id": "orders-db"}},
        })
    }

    #[test]
    fn a_workload_becomes_a_service() {
        let conversion = convert(&workload(), &[String::from("main")], None);
        assert!(!conversion.fatal);
        assert!(conversion.notes.is_empty(), "{:?}", conversion.notes);
        let service = conversion.service;
        assert_eq!(service["metadata"]["owner"], "payments");
        assert_eq!(service["metadata"]["tier"], 2);
        // Annotations paved reads become fields and are not repeated.
        assert_eq!(service["metadata"].get("annotations"), None);
        assert_eq!(service["spec"]["type"], "api");
        assert_eq!(
            service["spec"]["ports"],
            json!([{"name": "web", "port": 8080, "servicePort": 80}])
        );
        let env = &service["spec"]["env"];
        assert_eq!(
            env["DB"],
            "postgres://${resources.db.host}:${resources.db.port}"
        );
        assert_eq!(env["NAME"], "orders costs $$5 or $$x");
        assert_eq!(env["SLACK"], "#orders");
        assert_eq!(env["ID"], "postgres.default#orders-db");
        assert_eq!(
            service["spec"]["probes"]["liveness"],
            json!({"type": "http", "path": "/livez", "port": 8080})
        );
    }

    #[test]
    fn findings_point_into_the_workload() {
        let conversion = convert(&workload(), &[String::from("main")], None);
        let map = &conversion.map;
        assert_eq!(
            map.translate("/spec/env/DB"),
            "/containers/main/variables/DB"
        );
        assert_eq!(
            map.translate("/metadata/owner"),
            "/metadata/annotations/paved.dev~1owner"
        );
        assert_eq!(
            map.translate("/spec/ports/0/port"),
            "/service/ports/web/targetPort"
        );
        assert_eq!(
            map.translate("/spec/resources/db/type"),
            "/resources/db/type"
        );
        assert_eq!(map.translate("/spec/slos"), "");
    }
}
