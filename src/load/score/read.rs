//! Reading a workload document: checked against the Score schema, converted, and the
//! Service checked against paved's own schema, every finding placed in the workload.

use std::sync::Arc;

use serde_json::{Map, Value as Json};

use crate::diag::codes::Code;
use crate::diag::finding::{Finding, printable};
use crate::diag::origin::Origin;
use crate::load::intent::{self as loader, Loaded};
use crate::load::schema::{self, Schemas};
use crate::load::score::convert::convert;
use crate::load::score::{API_GROUP, API_VERSION};
use crate::model::intent::{self, Kind};
use crate::syntax::source::SourceFile;
use crate::syntax::yaml::{self, Node};

/// Read one `score.dev/...` document: check it against the Score schema and turn it
/// into a Service intent.
pub(crate) fn load_document(
    file: &Arc<SourceFile>,
    index: usize,
    root: Node,
    schemas: &Schemas,
    default_owner: Option<&str>,
    findings: &mut Vec<Finding>,
) -> Option<Loaded> {
    read(file, index, root, schemas, default_owner, findings).map(|(loaded, _)| loaded)
}

/// The Services a file's Score workloads become, as `paved.dev/v1` documents, for
/// `paved convert score`; what is wrong with them goes to `findings`.
pub(crate) fn convert_file(
    file: &Arc<SourceFile>,
    schemas: &Schemas,
    default_owner: Option<&str>,
    limits: yaml::Limits,
    findings: &mut Vec<Finding>,
) -> Vec<Json> {
    let loaded = yaml::load(file, limits);
    findings.extend(
        loaded
            .problems
            .iter()
            .map(|p| crate::diag::finding::yaml_finding(file, p)),
    );
    let mut services = Vec::new();
    for (index, root) in loaded.documents.into_iter().enumerate() {
        let is_score = root
            .get("apiVersion")
            .and_then(Node::as_str)
            .is_some_and(|v| v.starts_with(API_GROUP));
        if is_score
            && let Some((_, Some(service))) =
                read(file, index, root, schemas, default_owner, findings)
        {
            services.push(service);
        }
    }
    services
}

/// [`load_document`], with the Service as a document when one could be made.
fn read(
    file: &Arc<SourceFile>,
    index: usize,
    root: Node,
    schemas: &Schemas,
    default_owner: Option<&str>,
    findings: &mut Vec<Finding>,
) -> Option<(Loaded, Option<Json>)> {
    let order = container_order(&root);
    let origin = Origin::new(file, index, root);
    let api_version = origin
        .root()
        .get("apiVersion")
        .and_then(Node::as_str)
        .unwrap_or_default();
    if api_version != API_VERSION {
        findings.push(
            origin
                .finding(
                    Code::UnknownApiVersion,
                    "/apiVersion",
                    format!("unknown apiVersion `{}`", printable(api_version)),
                )
                .label("this paved reads score.dev/v1b1")
                .help("Score workloads are `apiVersion: score.dev/v1b1`"),
        );
        return None;
    }
    let mut json = origin.root().to_json();
    let errors = schemas.check(schema::Kind::Score, &json, &origin, &|p| p.to_string());
    let name = json
        .pointer("/metadata/name")
        .and_then(Json::as_str)
        .map(str::to_string);
    let usable = errors.is_empty() || loader::salvage(schemas, schema::Kind::Score, &mut json);
    // What the Score schema reported is not reported again by the Service's.
    let reported: Vec<(u32, u32)> = errors
        .iter()
        .map(|f| (f.location.span.line, f.location.span.column))
        .collect();
    findings.extend(errors);
    let loaded = |origin: Origin, intent| Loaded {
        kind: Kind::Service,
        name: name.clone(),
        origin,
        intent,
        overridable: Map::new(),
    };
    if !usable {
        return Some((loaded(origin.detached(), None), None));
    }
    let conversion = convert(&json, &order, default_owner);
    findings.extend(conversion.notes.iter().map(|n| n.finding(&origin)));
    if conversion.fatal {
        return Some((loaded(origin.detached(), None), None));
    }
    let map = &conversion.map;
    let errors = schemas.check(schema::Kind::Service, &conversion.service, &origin, &|p| {
        map.translate(p)
    });
    let mut service = conversion.service;
    let usable = errors.is_empty() || loader::salvage(schemas, schema::Kind::Service, &mut service);
    findings.extend(
        errors
            .into_iter()
            .filter(|f| !reported.contains(&(f.location.span.line, f.location.span.column))),
    );
    let mapped = origin.detached().mapped(conversion.map);
    if !usable {
        return Some((loaded(mapped, None), None));
    }
    let intent = match serde_json::from_value(service.clone()) {
        Ok(service) => Some(intent::Intent::Service(Box::new(service))),
        Err(e) => {
            findings.push(origin.finding(
                Code::InternalError,
                "",
                format!("the workload's Service passed its schema but could not be read: {e}"),
            ));
            None
        }
    };
    Some((loaded(mapped, intent), Some(service)))
}

/// The workload's container names in the order the file declares them.
fn container_order(root: &Node) -> Vec<String> {
    match root.get("containers").map(|n| &n.value) {
        Some(yaml::Value::Map(entries)) => entries.iter().map(|e| e.key.clone()).collect(),
        _ => Vec::new(),
    }
}
