//! Score workloads (`apiVersion: score.dev/v1b1`) read as paved Services.
//!
//! A workload is checked against the official Score schema, then turned into the
//! Service it means: its first container is the service's workload, `service.ports`
//! its ports, `resources` its resources, and the platform metadata Score has no field
//! for (owner, system, tier...) comes from `paved.dev/*` annotations. Placeholders are
//! substituted as Score defines them: metadata at once, resource outputs through
//! paved's own placeholders, which the resolver checks and the renderer fills. Every
//! finding about the Service is reported where the workload wrote the value.

pub mod substitute;

use std::sync::Arc;

use serde_json::{Map, Value as Json, json};

use crate::diag::codes::Code;
use crate::diag::finding::Finding;
use crate::diag::finding::printable;
use crate::diag::origin::escape_pointer;
use crate::diag::origin::{Origin, PointerMap};
use crate::load::intent::{self as loader, Loaded};
use crate::load::schema::{self, Schemas};
use crate::model::intent::{self, Kind};
use crate::syntax::source::SourceFile;
use crate::syntax::yaml::{self, Node};
use crate::types;
use substitute::{Target, Token};

pub const API_GROUP: &str = "score.dev/";
pub const API_VERSION: &str = "score.dev/v1b1";

/// The annotation prefix of the platform metadata Score has no field for.
pub const ANNOTATION_PREFIX: &str = "paved.dev/";

/// `paved.dev/<key>` annotations and the Service field each sets (docs/score.md
/// describes them).
pub const ANNOTATIONS: &[(&str, &str)] = &[
    ("owner", "/metadata/owner"),
    ("system", "/metadata/system"),
    ("lifecycle", "/metadata/lifecycle"),
    ("tier", "/metadata/tier"),
    ("description", "/metadata/description"),
    ("type", "/spec/type"),
    ("size", "/spec/size"),
    ("replicas", "/spec/replicas"),
];

/// What a Score workload becomes.
#[derive(Debug)]
pub struct Conversion {
    /// The paved Service, as a document (`apiVersion: paved.dev/v1`).
    pub service: Json,
    /// Where each part of the Service came from in the workload.
    pub map: PointerMap,
    /// What could not be carried over, by pointer into the workload.
    pub notes: Vec<Note>,
    /// No Service could be made: the workload names no owner and paved.yaml gives none.
    pub fatal: bool,
}

#[derive(Debug)]
pub struct Note {
    pub code: Code,
    pub pointer: String,
    pub message: String,
    pub help: Option<String>,
}

impl Note {
    fn finding(&self, origin: &Origin) -> Finding {
        let finding = Finding::at(self.code, origin.place(&self.pointer), self.message.clone());
        match &self.help {
            Some(help) => finding.help(help.clone()),
            None => finding,
        }
    }
}

/// Read one `score.dev/...` document: check it against the Score schema and turn it
/// into a Service intent.
pub fn load_document(
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
pub fn convert_file(
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

/// Turn a workload that passed the Score schema into a paved Service. `order` lists
/// its containers as declared; the first is the one paved renders.
pub fn convert(score: &Json, order: &[String], default_owner: Option<&str>) -> Conversion {
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
        dependencies: std::collections::BTreeMap::new(),
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
    dependencies: std::collections::BTreeMap<String, String>,
}

fn annotation_pointer(key: &str) -> String {
    format!(
        "/metadata/annotations/{}",
        escape_pointer(&format!("{ANNOTATION_PREFIX}{key}"))
    )
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

    fn annotation(&self, key: &str) -> Option<&str> {
        self.metadata
            .get("annotations")?
            .get(format!("{ANNOTATION_PREFIX}{key}"))?
            .as_str()
    }

    /// An annotation's value for its Service field: annotations are text, so numbers
    /// are parsed; one that is no number is reported and left out.
    fn annotation_value(&mut self, key: &str) -> Option<Json> {
        let value = self.annotation(key)?.to_string();
        if !matches!(key, "tier" | "replicas") {
            return Some(json!(value));
        }
        match value.parse::<u64>() {
            Ok(number) => Some(json!(number)),
            Err(_) => {
                self.note(
                    Code::InvalidValue,
                    annotation_pointer(key),
                    format!(
                        "`{ANNOTATION_PREFIX}{key}` must be a whole number, not `{}`",
                        printable(&value)
                    ),
                    Some("write the number in quotes, for example `\"2\"`: annotations are text"),
                );
                None
            }
        }
    }

    /// The Service's metadata; none without an owner.
    fn metadata(&mut self, default_owner: Option<&str>) -> Option<Map<String, Json>> {
        let mut out = Map::new();
        self.map.insert("/apiVersion", "/apiVersion");
        self.map.insert("/kind", "/apiVersion");
        self.map.insert("/metadata", "/metadata");
        self.map.insert("/metadata/name", "/metadata/name");
        self.map
            .insert("/metadata/annotations", "/metadata/annotations");
        if let Some(name) = self.metadata.get("name") {
            out.insert("name".into(), name.clone());
        }
        // The annotations paved reads become fields; the others stay annotations.
        let annotations: Map<String, Json> = self
            .metadata
            .get("annotations")
            .and_then(Json::as_object)
            .into_iter()
            .flatten()
            .filter(|(key, _)| {
                !ANNOTATIONS
                    .iter()
                    .any(|(read, _)| key.strip_prefix(ANNOTATION_PREFIX) == Some(read))
            })
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        if !annotations.is_empty() {
            out.insert("annotations".into(), Json::Object(annotations));
        }
        for (key, pointer) in ANNOTATIONS {
            if self.annotation(key).is_none() {
                continue;
            }
            self.map.insert(*pointer, annotation_pointer(key));
            if let Some(field) = pointer.strip_prefix("/metadata/")
                && let Some(value) = self.annotation_value(key)
            {
                out.insert(field.into(), value);
            }
        }
        if !out.contains_key("owner") {
            match default_owner {
                Some(owner) => {
                    out.insert("owner".into(), json!(owner));
                    self.map.insert("/metadata/owner", "/metadata/name");
                }
                None => {
                    let message = format!(
                        "Score workload `{}` has no owner: paved cannot tell which team runs it",
                        printable(self.workload())
                    );
                    self.note(
                        Code::ScoreNoOwner,
                        String::from("/metadata"),
                        message,
                        Some(
                            "add `paved.dev/owner: <team>` under `metadata.annotations`, or set `defaults: {owner: <team>}` in paved.yaml",
                        ),
                    );
                    return None;
                }
            }
        }
        Some(out)
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

    fn container(&mut self, name: &str, container: &Json, spec: &mut Map<String, Json>) {
        let at = format!("/containers/{}", escape_pointer(name));
        if let Some(image) = container.get("image") {
            spec.insert("image".into(), image.clone());
        }
        self.map.insert("/spec/image", format!("{at}/image"));
        for field in ["command", "args"] {
            let Some(items) = container.get(field).and_then(Json::as_array) else {
                continue;
            };
            self.map
                .insert(format!("/spec/{field}"), format!("{at}/{field}"));
            let converted: Vec<Json> = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let pointer = format!("{at}/{field}/{i}");
                    json!(self.placeholders(item.as_str().unwrap_or_default(), &pointer))
                })
                .collect();
            spec.insert(field.into(), Json::Array(converted));
        }
        if let Some(variables) = container.get("variables").and_then(Json::as_object) {
            self.map.insert("/spec/env", format!("{at}/variables"));
            let env: Map<String, Json> = variables
                .iter()
                .map(|(key, value)| {
                    let pointer = format!("{at}/variables/{}", escape_pointer(key));
                    let value = self.placeholders(value.as_str().unwrap_or_default(), &pointer);
                    (key.clone(), json!(value))
                })
                .collect();
            if !env.is_empty() {
                spec.insert("env".into(), Json::Object(env));
            }
        }
        let mut probes = Map::new();
        for (score_key, paved_key) in [
            ("livenessProbe", "liveness"),
            ("readinessProbe", "readiness"),
        ] {
            let Some(probe) = container.get(score_key) else {
                continue;
            };
            let pointer = format!("{at}/{score_key}");
            self.map
                .insert(format!("/spec/probes/{paved_key}"), pointer.clone());
            if let Some(converted) = self.probe(probe, &pointer) {
                probes.insert(paved_key.into(), converted);
            }
        }
        if !probes.is_empty() {
            spec.insert("probes".into(), Json::Object(probes));
        }
        if let Some(files) = container.get("files") {
            let files = self.files(&at, files);
            if !files.is_empty() {
                spec.insert("files".into(), Json::Object(files));
            }
        }
        if let Some(mounts) = self.volumes(&at, "/spec/volumes", container) {
            spec.insert("volumes".into(), mounts);
        }
        self.left_out(&at, name, container, &["before", "resources"]);
    }

    /// Report the fields of a container that paved does not render.
    fn left_out(&mut self, at: &str, name: &str, container: &Json, fields: &[&str]) {
        for field in fields {
            let (what, help) = match *field {
                "files" => (
                    "a sidecar's files are not mounted",
                    "mount them with a platform template or patch (docs/extending.md), or bake them into the image",
                ),
                "before" => (
                    "start order between containers is not rendered: all start together",
                    "remove `before`, or make the container wait for what it needs",
                ),
                "resources" => (
                    "container CPU and memory are not used: paved sizes every container from `paved.dev/size`",
                    "set the `paved.dev/size` annotation to a size of paved.yaml, and remove `resources`",
                ),
                _ => (
                    "a sidecar's probes are not rendered: the pod's health is the first container's",
                    "probe the first container, or remove the sidecar's probe",
                ),
            };
            if container.get(*field).is_some() {
                self.unsupported(
                    format!("{at}/{field}"),
                    format!("`{field}` of container `{}`: {what}", printable(name)),
                    help,
                );
            }
        }
    }

    /// A container after the first as a paved sidecar: its image, command, arguments and
    /// variables, with the workload's metadata substituted. One that reads resource
    /// outputs is left out: paved delivers outputs to the service's own container.
    fn sidecar(&mut self, name: &str, container: &Json) -> Option<Json> {
        let at = format!("/containers/{}", escape_pointer(name));
        let mut sidecar = json!({ "image": container.get("image").cloned().unwrap_or_default() });
        let mut failed = None;
        for field in ["command", "args"] {
            let Some(items) = container.get(field).and_then(Json::as_array) else {
                continue;
            };
            let mut converted = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match self.file_content(item.as_str().unwrap_or_default()) {
                    Ok(text) => converted.push(json!(text)),
                    Err(message) => {
                        failed = failed.or(Some((format!("{at}/{field}/{i}"), message)))
                    }
                }
            }
            sidecar[field] = Json::Array(converted);
        }
        if let Some(variables) = container.get("variables").and_then(Json::as_object) {
            let mut env = Map::new();
            for (key, value) in variables {
                match self.file_content(value.as_str().unwrap_or_default()) {
                    Ok(text) => {
                        env.insert(key.clone(), json!(text));
                    }
                    Err(message) => {
                        let pointer = format!("{at}/variables/{}", escape_pointer(key));
                        failed = failed.or(Some((pointer, message)));
                    }
                }
            }
            if !env.is_empty() {
                sidecar["env"] = Json::Object(env);
            }
        }
        if let Some((pointer, message)) = failed {
            self.unsupported(
                pointer,
                format!("container `{}` is not rendered: {message}", printable(name)),
                "read resource outputs in the first container, or run this one as a workload of its own",
            );
            return None;
        }
        self.left_out(
            &at,
            name,
            container,
            &[
                "files",
                "before",
                "resources",
                "livenessProbe",
                "readinessProbe",
            ],
        );
        let paved = format!("/spec/sidecars/{}", escape_pointer(name));
        if let Some(mounts) = self.volumes(&at, &format!("{paved}/volumes"), container) {
            sidecar["volumes"] = mounts;
        }
        self.map.insert(paved.clone(), at.clone());
        self.map
            .insert(format!("{paved}/env"), format!("{at}/variables"));
        Some(sidecar)
    }

    /// Score's files (a map by target path, or the deprecated list) as paved files:
    /// placeholders in their content substituted unless `noExpand` says not to.
    fn files(&mut self, at: &str, files: &Json) -> Map<String, Json> {
        let entries: Vec<(String, String, &Json)> = match files {
            Json::Object(map) => map
                .iter()
                .map(|(target, file)| {
                    let pointer = format!("{at}/files/{}", escape_pointer(target));
                    (target.clone(), pointer, file)
                })
                .collect(),
            Json::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, file)| {
                    let target = file.get("target")?.as_str()?.to_string();
                    Some((target, format!("{at}/files/{i}"), file))
                })
                .collect(),
            _ => Vec::new(),
        };
        let mut out = Map::new();
        for (target, pointer, file) in entries {
            if file.get("source").is_some() {
                self.unsupported(
                    pointer,
                    format!(
                        "file `{}` is not mounted: paved does not read `source` files",
                        printable(&target)
                    ),
                    "write the file's text under `content`",
                );
                continue;
            }
            let mut converted = Map::new();
            if let Some(content) = file.get("content").and_then(Json::as_str) {
                let expand = !file
                    .get("noExpand")
                    .and_then(Json::as_bool)
                    .unwrap_or(false);
                let content = if expand {
                    match self.file_content(content) {
                        Ok(content) => content,
                        Err(message) => {
                            self.unsupported(pointer, format!("file `{}` is not mounted: {message}", printable(&target)), "files take the workload's metadata; pass resource outputs to the container through variables");
                            continue;
                        }
                    }
                } else {
                    content.to_string()
                };
                converted.insert("content".into(), json!(content));
            }
            for field in ["binaryContent", "mode"] {
                if let Some(value) = file.get(field) {
                    converted.insert(field.into(), value.clone());
                }
            }
            self.map
                .insert(format!("/spec/files/{}", escape_pointer(&target)), pointer);
            out.insert(target, Json::Object(converted));
        }
        out
    }

    /// A container's volumes (a map by target path, or the deprecated list) as paved
    /// mounts at `paved`, if it mounts any: a volume's `source`, `${resources.<name>}`,
    /// names the mounted resource, which the resolver checks is a declared volume.
    fn volumes(&mut self, at: &str, paved: &str, container: &Json) -> Option<Json> {
        let volumes = container.get("volumes")?;
        self.map.insert(paved, format!("{at}/volumes"));
        // Each volume with its target, where it is written and where its target is.
        let entries: Vec<(Option<String>, String, String, &Json)> = match volumes {
            Json::Object(map) => map
                .iter()
                .map(|(target, volume)| {
                    let pointer = format!("{at}/volumes/{}", escape_pointer(target));
                    (Some(target.clone()), pointer.clone(), pointer, volume)
                })
                .collect(),
            Json::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, volume)| {
                    let target = volume.get("target").and_then(Json::as_str);
                    let pointer = format!("{at}/volumes/{i}");
                    let target_pointer = format!("{pointer}/target");
                    (target.map(str::to_string), pointer, target_pointer, volume)
                })
                .collect(),
            _ => Vec::new(),
        };
        let mut out = Map::new();
        for (target, pointer, target_pointer, volume) in entries {
            let Some(target) = target else {
                self.note(
                    Code::MissingField,
                    pointer,
                    String::from("a volume of the list form needs a `target`: where it is mounted"),
                    Some(
                        "add `target: <absolute path>`, or write `volumes` as a map by target path",
                    ),
                );
                continue;
            };
            let source = volume
                .get("source")
                .and_then(Json::as_str)
                .unwrap_or_default();
            let Some(resource) = self.volume_source(source) else {
                self.note(
                    Code::UnknownVolume,
                    format!("{pointer}/source"),
                    format!(
                        "the volume at `{}` is not mounted: its source `{}` does not name a resource",
                        printable(&target),
                        printable(source)
                    ),
                    Some("write `source: ${resources.<name>}`, naming a resource of type `volume`"),
                );
                continue;
            };
            if out.contains_key(&target) {
                self.note(
                    Code::VolumeMountConflict,
                    target_pointer,
                    format!(
                        "another volume is mounted at `{}` already",
                        printable(&target)
                    ),
                    Some("mount one of them at another path"),
                );
                continue;
            }
            let mut mount = json!({ "resource": resource });
            for field in ["path", "readOnly"] {
                if let Some(value) = volume.get(field) {
                    mount[field] = value.clone();
                }
            }
            let mounted = format!("{paved}/{}", escape_pointer(&target));
            for (field, score) in [
                ("resource", "source"),
                ("path", "path"),
                ("readOnly", "readOnly"),
            ] {
                self.map
                    .insert(format!("{mounted}/{field}"), format!("{pointer}/{score}"));
            }
            self.map.insert(mounted, target_pointer);
            out.insert(target, mount);
        }
        (!out.is_empty()).then_some(Json::Object(out))
    }

    /// The resource a volume's `source` names, when it is `${resources.<name>}` and
    /// nothing else. Whether that resource is declared, and a volume, is the
    /// resolver's to say, as for a Service's mounts.
    fn volume_source(&self, source: &str) -> Option<String> {
        let tokens = substitute::tokens(source);
        let [Token::Ref { body, .. }] = tokens.as_slice() else {
            return None;
        };
        match substitute::target(body, &self.metadata, |_| true) {
            Ok(Target::Resource { name, keys }) if keys.is_empty() => Some(name),
            _ => None,
        }
    }

    /// A value written as is (a file's content, a sidecar's variable) with the
    /// workload's metadata substituted; outputs of resources are not known then.
    fn file_content(&self, content: &str) -> Result<String, String> {
        let metadata = &self.metadata;
        let resources = &self.resources;
        substitute::substitute(content, |reference| {
            match substitute::target(reference, metadata, |n| resources.contains_key(n))? {
                Target::Metadata(value) => Ok(substitute::text(value)),
                Target::Resource { .. } => Err(format!(
                    "`${{{reference}}}` is a resource output, which paved gives only to the first container's variables"
                )),
            }
        })
        .map_err(|e| e.message)
    }

    /// A Score probe as a paved probe: the exec form when there is one (Score prefers it),
    /// else the HTTP form.
    fn probe(&mut self, probe: &Json, pointer: &str) -> Option<Json> {
        if let Some(command) = probe.pointer("/exec/command") {
            if probe.get("httpGet").is_some() {
                self.unsupported(
                    format!("{pointer}/httpGet"),
                    String::from(
                        "the probe has both forms; paved runs the `exec` one, as Score prefers",
                    ),
                    "keep one form of the probe",
                );
            }
            return Some(json!({"type": "exec", "command": command}));
        }
        let http = probe.get("httpGet")?;
        for field in ["host", "scheme", "httpHeaders"] {
            if http.get(field).is_some() {
                self.unsupported(
                    format!("{pointer}/httpGet/{field}"),
                    format!("`httpGet.{field}` is not rendered: paved probes the pod's own address over HTTP"),
                    "remove it, or use an `exec` probe for a check that needs it",
                );
            }
        }
        Some(json!({
            "type": "http",
            "path": http.get("path").cloned().unwrap_or_else(|| json!("/")),
            "port": http.get("port").cloned().unwrap_or(Json::Null),
        }))
    }

    fn resources(&mut self) -> Map<String, Json> {
        let resources = self.resources.clone();
        let mut out = Map::new();
        self.map.insert("/spec/resources", "/resources");
        for (name, resource) in &resources {
            let at = format!("/resources/{}", escape_pointer(name));
            self.map.insert(
                format!("/spec/resources/{}", escape_pointer(name)),
                at.clone(),
            );
            let score_type = resource
                .get("type")
                .and_then(Json::as_str)
                .unwrap_or_default();
            let kind = types::from_score(score_type);
            let mut converted = json!({ "type": kind });
            // Score's implicit class is `default`; paved's is no class at all.
            if let Some(class) = resource.get("class").and_then(Json::as_str)
                && class != "default"
            {
                converted["class"] = json!(class);
            }
            if let Some(id) = resource.get("id") {
                converted["id"] = id.clone();
            }
            if let Some(params) = resource.get("params") {
                converted["params"] = self.params(params, &format!("{at}/params"));
            }
            let built_in = types::find(kind);
            if let Some(built_in) = built_in {
                let ports = self
                    .score
                    .pointer("/service/ports")
                    .and_then(Json::as_object);
                built_in.score_params(&mut converted, ports);
            }
            // A resource that reaches another service makes the workload depend on it.
            if let Some(Some(workload)) =
                built_in.and_then(|t| converted.get("params").and_then(|params| t.peer(params)))
            {
                self.dependencies
                    .entry(workload.to_string())
                    .or_insert_with(|| format!("{at}/params/workload"));
            }
            if resource.get("metadata").is_some() {
                self.unsupported(
                    format!("{at}/metadata"),
                    format!("the metadata of resource `{}` is not used", printable(name)),
                    "remove it; resource `params` configure what paved provisions",
                );
            }
            out.insert(name.clone(), converted);
        }
        out
    }

    /// Resource params as paved's: metadata substituted, other resources' outputs as
    /// paved placeholders, which paved resolves when it renders.
    fn params(&mut self, params: &Json, pointer: &str) -> Json {
        match params {
            Json::String(value) => Json::String(self.placeholders(value, pointer)),
            Json::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| self.params(item, &format!("{pointer}/{i}")))
                .collect(),
            Json::Object(map) => Json::Object(
                map.iter()
                    .map(|(key, item)| {
                        let at = format!("{pointer}/{}", escape_pointer(key));
                        (key.clone(), self.params(item, &at))
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    /// A Score value as a paved value: metadata substituted now, outputs left as paved
    /// placeholders, literal `$` escaped.
    fn placeholders(&mut self, value: &str, pointer: &str) -> String {
        match to_paved(value, &self.metadata, &self.resources, self.workload()) {
            Ok(converted) => converted,
            Err(error) => {
                self.note(
                    Code::UnknownPlaceholder,
                    pointer.to_string(),
                    error.message,
                    Some("placeholders are `${metadata.<key>}` and `${resources.<name>.<output>}`; write `$$` for a literal `$`"),
                );
                value.replace('$', "$$")
            }
        }
    }

    fn workload(&self) -> &str {
        self.metadata
            .get("name")
            .and_then(Json::as_str)
            .unwrap_or_default()
    }
}

/// `value` with Score's placeholders turned into paved's: metadata resolved, resource
/// outputs as `${resources.<name>.<output>}`, the resource itself as its Score id.
pub fn to_paved(
    value: &str,
    metadata: &Json,
    resources: &Map<String, Json>,
    workload: &str,
) -> Result<String, substitute::Error> {
    let mut out = String::new();
    for token in substitute::tokens(value) {
        match token {
            Token::Text(text) => out.push_str(&text.replace('$', "$$")),
            Token::Ref { body, range } => {
                let target = substitute::target(body, metadata, |n| resources.contains_key(n))
                    .map_err(|message| substitute::Error {
                        range: range.clone(),
                        message,
                    })?;
                match target {
                    Target::Metadata(value) => {
                        out.push_str(&substitute::text(value).replace('$', "$$"))
                    }
                    Target::Resource { name, keys } if keys.is_empty() => {
                        let uid = resources
                            .get(&name)
                            .map(|resource| resource_uid(workload, &name, resource))
                            .unwrap_or_default();
                        out.push_str(&uid.replace('$', "$$"));
                    }
                    Target::Resource { name, keys } => {
                        let path: Vec<String> = std::iter::once(name)
                            .chain(keys)
                            .map(|k| k.replace('.', "\\."))
                            .collect();
                        out.push_str(&format!("${{resources.{}}}", path.join(".")));
                    }
                }
            }
        }
    }
    Ok(out)
}

/// A resource's identity as Score tools write it: `type.class#id` for a shared
/// resource, `type.class#workload.name` otherwise.
pub fn resource_uid(workload: &str, name: &str, resource: &Json) -> String {
    let kind = resource
        .get("type")
        .and_then(Json::as_str)
        .unwrap_or_default();
    let class = resource
        .get("class")
        .and_then(Json::as_str)
        .unwrap_or("default");
    match resource.get("id").and_then(Json::as_str) {
        Some(id) => format!("{kind}.{class}#{id}"),
        None => format!("{kind}.{class}#{workload}.{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each note's code and the place in the workload it points at.
    fn codes_at(conversion: &Conversion) -> Vec<(Code, &str)> {
        conversion
            .notes
            .iter()
            .map(|n| (n.code, n.pointer.as_str()))
            .collect()
    }

    fn workload() -> Json {
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

    #[test]
    fn no_owner_is_reported_unless_paved_yaml_gives_one() {
        let mut score = workload();
        score["metadata"]["annotations"] = json!({});
        let conversion = convert(&score, &[String::from("main")], None);
        assert!(conversion.fatal);
        assert_eq!(conversion.notes[0].code, Code::ScoreNoOwner);
        let conversion = convert(&score, &[String::from("main")], Some("platform"));
        assert!(!conversion.fatal);
        assert_eq!(conversion.service["metadata"]["owner"], "platform");
    }

    #[test]
    fn unknown_placeholders_and_left_out_parts_are_reported() {
        let mut score = workload();
        score["containers"]["main"]["variables"]["BAD"] = json!("${metadata.nope}");
        score["containers"]["main"]["files"] = json!({
            "/etc/x": {"source": "x.conf"},
            "/etc/name": {"content": "${metadata.name} $${kept}", "mode": "0600"},
            "/etc/raw": {"content": "${metadata.name}", "noExpand": true},
            "/etc/db": {"content": "${resources.db.host}"},
        });
        score["containers"]["sidecar"] = json!({"image": "busybox"});
        let order = [String::from("main"), String::from("sidecar")];
        let conversion = convert(&score, &order, None);
        let codes: Vec<(Code, &str)> = conversion
            .notes
            .iter()
            .map(|n| (n.code, n.pointer.as_str()))
            .collect();
        assert_eq!(
            codes,
            vec![
                (Code::UnknownPlaceholder, "/containers/main/variables/BAD"),
                (Code::ScoreUnsupported, "/containers/main/files/~1etc~1db"),
                (Code::ScoreUnsupported, "/containers/main/files/~1etc~1x"),
            ]
        );
        assert_eq!(
            conversion.service["spec"]["sidecars"],
            json!({"sidecar": {"image": "busybox"}})
        );
        assert_eq!(
            conversion.service["spec"]["files"],
            json!({
                "/etc/name": {"content": "orders ${kept}", "mode": "0600"},
                "/etc/raw": {"content": "${metadata.name}"},
            })
        );
    }

    #[test]
    fn annotations_that_must_be_numbers_are_checked() {
        let mut score = workload();
        score["metadata"]["annotations"]["paved.dev/tier"] = json!("high");
        score["metadata"]["annotations"]["paved.dev/replicas"] = json!("3");
        let conversion = convert(&score, &[String::from("main")], None);
        assert_eq!(conversion.service["metadata"].get("tier"), None);
        assert_eq!(conversion.service["spec"]["replicas"], 3);
        assert_eq!(
            codes_at(&conversion),
            vec![(Code::InvalidValue, "/metadata/annotations/paved.dev~1tier")]
        );
    }

    #[test]
    fn routes_name_the_port_the_service_offers() {
        let mut score = workload();
        score["resources"]["public"] =
            json!({"type": "route", "params": {"host": "orders.example", "port": 80}});
        let conversion = convert(&score, &[String::from("main")], None);
        assert_eq!(
            conversion.service["spec"]["resources"]["public"]["params"],
            json!({"host": "orders.example", "port": "web"})
        );
    }

    #[test]
    fn a_service_port_is_a_dependency() {
        let mut score = workload();
        score["resources"]["api"] =
            json!({"type": "service-port", "params": {"workload": "billing", "port": "http"}});
        let conversion = convert(&score, &[String::from("main")], None);
        assert_eq!(
            conversion.service["spec"]["dependencies"],
            json!(["billing"])
        );
        assert_eq!(
            conversion.map.translate("/spec/dependencies/0"),
            "/resources/api/params/workload"
        );
    }

    #[test]
    fn volumes_mount_volume_resources() {
        let mut score = workload();
        score["resources"]["scratch"] = json!({"type": "volume", "params": {"sizeLimit": "2Gi"}});
        score["containers"]["main"]["volumes"] = json!({
            "/var/cache": {"source": "${resources.scratch}", "path": "cache", "readOnly": false},
            "/literal": {"source": "scratch"},
            "/output": {"source": "${resources.db.host}"},
        });
        score["containers"]["shipper"] = json!({
            "image": "ghcr.io/acme/shipper:1.0.0",
            "volumes": [
                {"source": "${resources.scratch}", "target": "/logs", "readOnly": true},
                {"source": "${resources.scratch}", "target": "/logs"},
                {"source": "${resources.scratch}"},
            ],
        });
        let order = [String::from("main"), String::from("shipper")];
        let conversion = convert(&score, &order, None);
        let spec = &conversion.service["spec"];
        assert_eq!(
            spec["resources"]["scratch"],
            json!({"type": "volume", "params": {"sizeLimit": "2Gi"}})
        );
        assert_eq!(
            spec["volumes"],
            json!({"/var/cache": {"resource": "scratch", "path": "cache", "readOnly": false}})
        );
        assert_eq!(
            spec["sidecars"]["shipper"]["volumes"],
            json!({"/logs": {"resource": "scratch", "readOnly": true}})
        );
        assert_eq!(
            codes_at(&conversion),
            vec![
                (
                    Code::UnknownVolume,
                    "/containers/main/volumes/~1literal/source"
                ),
                (
                    Code::UnknownVolume,
                    "/containers/main/volumes/~1output/source"
                ),
                (
                    Code::VolumeMountConflict,
                    "/containers/shipper/volumes/1/target"
                ),
                (Code::MissingField, "/containers/shipper/volumes/2"),
            ]
        );
        let map = &conversion.map;
        assert_eq!(
            map.translate("/spec/volumes/~1var~1cache/resource"),
            "/containers/main/volumes/~1var~1cache/source"
        );
        assert_eq!(
            map.translate("/spec/sidecars/shipper/volumes/~1logs"),
            "/containers/shipper/volumes/0/target"
        );
        assert_eq!(
            map.translate("/spec/sidecars/shipper/volumes/~1logs/readOnly"),
            "/containers/shipper/volumes/0/readOnly"
        );
    }

    #[test]
    fn params_take_metadata_and_outputs_throughout() {
        let mut score = workload();
        score["resources"]["cache"] = json!({"type": "redis", "params": {
            "name": "${metadata.name}-cache",
            "list": ["1", "${metadata.name}", {"d": "${metadata.name} $$5"}],
        }});
        score["resources"]["bucket"] = json!({"type": "s3", "params": {"peer": "${resources.db.host}", "id": "${resources.db}"}});
        score["resources"]["broken"] =
            json!({"type": "s3", "params": {"a": [{"b": "${metadata.unknown}"}]}});
        let conversion = convert(&score, &[String::from("main")], None);
        let resources = &conversion.service["spec"]["resources"];
        assert_eq!(
            resources["cache"]["params"],
            json!({"name": "orders-cache", "list": ["1", "orders", {"d": "orders $$5"}]})
        );
        assert_eq!(resources["bucket"]["type"], "bucket");
        assert_eq!(
            resources["bucket"]["params"],
            json!({"peer": "${resources.db.host}", "id": "postgres.default#orders-db"})
        );
        let notes: Vec<(Code, &str, &str)> = conversion
            .notes
            .iter()
            .map(|n| (n.code, n.pointer.as_str(), n.message.as_str()))
            .collect();
        assert_eq!(
            notes,
            [(
                Code::UnknownPlaceholder,
                "/resources/broken/params/a/0/b",
                "invalid ref 'metadata.unknown': key 'unknown' not found"
            )]
        );
    }
}
