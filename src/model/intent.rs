//! Intent documents: recognising them, checking them against their schema, and the
//! typed model they become.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::diag::codes::Code;
use crate::diag::finding::Finding;
use crate::diag::source::{Location, SourceFile, Span};
use crate::load::schema::{self, Located, Schemas};
use crate::syntax::yaml::{self, Node};

pub const API_GROUP: &str = "paved.dev/";
pub const API_VERSION: &str = "paved.dev/v1";

/// Where an intent came from: its file and document, to place findings.
///
/// The YAML tree is kept while a file is being checked, then dropped: holding every
/// tree of a big monorepo would dominate memory, and the few that a later finding
/// needs are parsed again (loading is deterministic, so the spans are the same).
#[derive(Debug, Clone)]
pub struct Origin {
    pub file: Arc<SourceFile>,
    /// Index of the document in its file.
    pub document: usize,
    tree: Arc<OnceLock<Node>>,
    /// For a document read as another kind (a Score workload read as a Service): where
    /// each part of the intent came from in the document.
    map: Option<Arc<PointerMap>>,
}

/// JSON pointer prefixes of an intent and the places of the document they came from.
#[derive(Debug, Default)]
pub struct PointerMap(Vec<(String, String)>);

impl PointerMap {
    pub fn insert(&mut self, intent: impl Into<String>, document: impl Into<String>) {
        self.0.push((intent.into(), document.into()));
    }

    /// The document pointer for an intent pointer: its longest mapped prefix replaced;
    /// the whole document when nothing maps it.
    pub fn translate(&self, pointer: &str) -> String {
        self.0
            .iter()
            .filter(|(from, _)| {
                pointer
                    .strip_prefix(from.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .max_by_key(|(from, _)| from.len())
            .map(|(from, to)| format!("{to}{}", &pointer[from.len()..]))
            .unwrap_or_default()
    }
}

impl Origin {
    pub fn new(file: &Arc<SourceFile>, document: usize, root: Node) -> Self {
        Self {
            file: Arc::clone(file),
            document,
            tree: Arc::new(OnceLock::from(root)),
            map: None,
        }
    }

    /// The same place, with intent pointers mapped to the document's by `map`.
    pub fn mapped(self, map: PointerMap) -> Self {
        Self {
            map: Some(Arc::new(map)),
            ..self
        }
    }

    fn document_pointer<'p>(&self, pointer: &'p str) -> std::borrow::Cow<'p, str> {
        match &self.map {
            Some(map) => std::borrow::Cow::Owned(map.translate(pointer)),
            None => std::borrow::Cow::Borrowed(pointer),
        }
    }

    /// A document of a file whose tree is parsed when first needed.
    pub fn lazy(file: &Arc<SourceFile>, document: usize) -> Self {
        Self {
            file: Arc::clone(file),
            document,
            tree: Arc::new(OnceLock::new()),
            map: None,
        }
    }

    /// The same place, without the tree: it is parsed again if it is needed.
    pub fn detached(&self) -> Self {
        Self {
            file: Arc::clone(&self.file),
            document: self.document,
            tree: Arc::new(OnceLock::new()),
            map: self.map.clone(),
        }
    }

    /// The document's YAML tree.
    pub fn root(&self) -> &Node {
        self.tree.get_or_init(|| {
            // The file loaded within the configured limits before, so the largest
            // limits give the same tree.
            let start = self.file.start();
            yaml::load(&self.file, yaml::Limits::LARGEST)
                .documents
                .into_iter()
                .nth(self.document)
                .unwrap_or(Node {
                    span: start,
                    value: yaml::Value::Null,
                })
        })
    }

    /// The spans of the deepest existing node on the way to `pointer`.
    pub fn locate(&self, pointer: &str) -> Located {
        let pointer = self.document_pointer(pointer);
        let mut prefix = pointer.as_ref();
        loop {
            if let Some((label, node)) = self.root().pointer(prefix) {
                let label = if prefix.is_empty() {
                    first_key_span(self.root())
                } else {
                    label
                };
                return Located {
                    label,
                    node: node.span,
                };
            }
            match prefix.rsplit_once('/') {
                Some((parent, _)) => prefix = parent,
                None => {
                    let start = first_key_span(self.root());
                    return Located {
                        label: start,
                        node: start,
                    };
                }
            }
        }
    }

    /// A location for the value at `pointer`.
    pub fn value(&self, pointer: &str) -> Location {
        Location::new(&self.file, self.locate(pointer).node)
    }

    /// A location for what `pointer` names: the key of a mapping or list (the line
    /// that introduces it), the value itself otherwise.
    pub fn place(&self, pointer: &str) -> Location {
        let located = self.locate(pointer);
        let collection = self
            .root()
            .pointer(&self.document_pointer(pointer))
            .is_some_and(|(_, node)| {
                matches!(node.value, yaml::Value::Map(_) | yaml::Value::Seq(_))
            });
        let span = if collection {
            located.label
        } else {
            located.node
        };
        Location::new(&self.file, span)
    }

    /// A location for the key leading to `pointer`.
    pub fn key(&self, pointer: &str) -> Location {
        Location::new(&self.file, self.locate(pointer).label)
    }

    /// A location for the bytes `range` of the string value at `pointer`: exact when the
    /// source spells the value as is (plain or simply quoted), else the whole scalar.
    pub fn within(&self, pointer: &str, value: &str, range: std::ops::Range<usize>) -> Location {
        let span = self.locate(pointer).node;
        let source = self.file.slice(span);
        let offset = if source == value {
            Some(0)
        } else if source.len() == value.len() + 2 && source.get(1..source.len() - 1) == Some(value)
        {
            Some(1)
        } else {
            None
        };
        let span = match offset {
            Some(offset) => self.file.span(
                span.start + offset + range.start,
                span.start + offset + range.end,
            ),
            None => span,
        };
        Location::new(&self.file, span)
    }

    pub fn finding(&self, code: Code, pointer: &str, message: impl Into<String>) -> Finding {
        Finding::new(code, &self.file, self.locate(pointer).node, message)
    }
}

/// The span of a document's first key: a document's "name tag" for findings about
/// the document as a whole. Avoids labelling a whole multi-line mapping.
fn first_key_span(root: &Node) -> Span {
    match &root.value {
        yaml::Value::Map(entries) if !entries.is_empty() => entries[0].key_span,
        _ => Span {
            end: root.span.start,
            ..root.span
        },
    }
}

/// The kinds of intent paved reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Service,
    Team,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Service => "Service",
            Kind::Team => "Team",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "Service" => Some(Kind::Service),
            "Team" => Some(Kind::Team),
            _ => None,
        }
    }
}

/// One intent document after loading and schema validation.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub kind: Kind,
    /// The name, when one could be read, even from an invalid document.
    pub name: Option<String>,
    pub origin: Origin,
    /// The typed intent: the whole document when it is valid, what is left of it once
    /// the values that violate its schema are removed otherwise (so that its references
    /// are still checked), or nothing when too little is left.
    pub intent: Option<Intent>,
    /// The spec fields that environment overrides may change, as JSON, when the
    /// document has overrides: the base they merge into.
    pub overridable: serde_json::Map<String, Json>,
}

fn overridable_fields(document: &Json) -> serde_json::Map<String, Json> {
    let Some(spec) = document.get("spec") else {
        return serde_json::Map::new();
    };
    let Some(Json::Object(environments)) = spec.get("environments") else {
        return serde_json::Map::new();
    };
    // Only what some override changes is kept.
    crate::validate::resolve::OVERRIDABLE
        .iter()
        .filter(|key| environments.values().any(|o| o.get(**key).is_some()))
        .filter_map(|key| Some(((*key).to_string(), spec.get(*key)?.clone())))
        .collect()
}

#[derive(Debug, Clone)]
pub enum Intent {
    Service(Box<Service>),
    Team(Box<Team>),
}

/// Whether a file's text may hold intents: paved's own, or Score workloads.
pub fn may_hold_intents(text: &[u8]) -> bool {
    [API_GROUP, crate::load::score::API_GROUP]
        .iter()
        .any(|group| text.windows(group.len()).any(|w| w == group.as_bytes()))
}

/// Recognise intents among a file's documents and check each against its schema.
/// Score workloads are read as Services; `default_owner` owns those that name no owner.
pub fn load_documents(
    file: &Arc<SourceFile>,
    documents: Vec<Node>,
    schemas: &Schemas,
    default_owner: Option<&str>,
    findings: &mut Vec<Finding>,
) -> Vec<Loaded> {
    let mut loaded = Vec::new();
    for (index, root) in documents.into_iter().enumerate() {
        let api_version = root
            .get("apiVersion")
            .and_then(Node::as_str)
            .map(str::to_string);
        let has_kind = root.get("kind").is_some();
        let kind_name = root.get("kind").and_then(Node::as_str).map(str::to_string);
        let Some(api_version) = api_version else {
            if kind_name.as_deref().and_then(Kind::from_name).is_some()
                && root.get("apiVersion").is_none()
            {
                let span = root.entry("kind").map_or(root.span, |e| e.key_span);
                findings.push(
                    Finding::new(
                        Code::MissingApiVersion,
                        file,
                        span,
                        format!(
                            "this document has `kind: {}` but no `apiVersion`, so it is not read as an intent",
                            kind_name.unwrap_or_default()
                        ),
                    )
                    .label("intent kind without apiVersion"),
                );
            }
            continue;
        };
        if api_version.starts_with(crate::load::score::API_GROUP) {
            loaded.extend(crate::load::score::load_document(
                file,
                index,
                root,
                schemas,
                default_owner,
                findings,
            ));
            continue;
        }
        if !api_version.starts_with(API_GROUP) {
            continue;
        }
        let origin = Origin::new(file, index, root);
        if api_version != API_VERSION {
            findings.push(
                origin
                    .finding(
                        Code::UnknownApiVersion,
                        "/apiVersion",
                        format!("unknown apiVersion `{}`", schema::printable(&api_version)),
                    )
                    .label("this paved reads paved.dev/v1"),
            );
            continue;
        }
        let Some(kind) = kind_name.as_deref().and_then(Kind::from_name) else {
            let message = match &kind_name {
                Some(name) => format!(
                    "unknown kind `{}` for paved.dev/v1",
                    schema::printable(name)
                ),
                None => String::from("paved.dev/v1 document without a `kind`"),
            };
            let pointer = if has_kind { "/kind" } else { "" };
            let mut finding = origin.finding(Code::UnknownKind, pointer, message);
            if let Some(suggestion) = kind_name
                .as_deref()
                .and_then(|k| crate::diag::finding::did_you_mean(k, ["Service", "Team"]))
            {
                finding = finding.help(format!("did you mean `{suggestion}`?"));
            }
            findings.push(finding);
            continue;
        };
        let mut json = origin.root().to_json();
        let schema_kind = match kind {
            Kind::Service => schema::Kind::Service,
            Kind::Team => schema::Kind::Team,
        };
        let errors = schemas.check(schema_kind, &json, &origin, &|p| p.to_string());
        let name = json
            .pointer("/metadata/name")
            .and_then(Json::as_str)
            .map(str::to_string);
        let usable = errors.is_empty() || salvage(schemas, schema_kind, &mut json);
        let overridable = overridable_fields(&json);
        let intent = if usable {
            match typed(kind, json) {
                Ok(intent) => Some(intent),
                Err(e) => {
                    findings.push(origin.finding(
                        Code::InternalError,
                        "",
                        format!("the document passed its schema but could not be read: {e}"),
                    ));
                    None
                }
            }
        } else {
            None
        };
        findings.extend(errors);
        loaded.push(Loaded {
            kind,
            name,
            origin: origin.detached(),
            intent,
            overridable,
        });
    }
    loaded
}

/// Remove the values that violate the schema until the rest is valid; false when that
/// would take the document apart (its metadata or spec is missing or wrong).
pub(crate) fn salvage(schemas: &Schemas, kind: schema::Kind, json: &mut Json) -> bool {
    const ROUNDS: usize = 4;
    let structure: &[&str] = match kind {
        schema::Kind::Score => &["", "/apiVersion", "/metadata", "/containers"],
        _ => &["", "/apiVersion", "/kind", "/metadata", "/spec"],
    };
    for _ in 0..ROUNDS {
        let mut pointers = schemas.offending(kind, json);
        if pointers.is_empty() {
            return true;
        }
        if pointers.iter().any(|p| structure.contains(&p.as_str())) {
            return false;
        }
        // Deepest and last first, so removing an item does not shift the others.
        pointers.sort_by_cached_key(|p| {
            p.split('/')
                .map(|t| (t.parse::<usize>().ok(), t.to_string()))
                .collect::<Vec<_>>()
        });
        pointers.dedup();
        for pointer in pointers.iter().rev() {
            remove(json, pointer);
        }
    }
    false
}

fn remove(json: &mut Json, pointer: &str) {
    let Some((parent, last)) = pointer.rsplit_once('/') else {
        return;
    };
    let last = last.replace("~1", "/").replace("~0", "~");
    match json.pointer_mut(parent) {
        Some(Json::Object(map)) => {
            map.remove(&last);
        }
        Some(Json::Array(items)) => {
            if let Ok(index) = last.parse::<usize>()
                && index < items.len()
            {
                items.remove(index);
            }
        }
        _ => {}
    }
}

fn typed(kind: Kind, json: Json) -> Result<Intent, serde_json::Error> {
    Ok(match kind {
        Kind::Service => Intent::Service(Box::new(serde_json::from_value(json)?)),
        Kind::Team => Intent::Team(Box::new(serde_json::from_value(json)?)),
    })
}

/// A YAML problem as a finding.
pub fn yaml_finding(file: &Arc<SourceFile>, problem: &yaml::Problem) -> Finding {
    use yaml::ProblemKind as P;
    let code = match problem.kind {
        P::Syntax => Code::YamlSyntax,
        P::DuplicateKey { .. } => Code::YamlDuplicateKey,
        P::ComplexKey => Code::YamlComplexKey,
        P::AliasLimit => Code::YamlAliasLimit,
        P::TooDeep => Code::YamlTooDeep,
        P::TooManyDocuments => Code::YamlTooManyDocuments,
        P::StringTooLong => Code::YamlStringTooLong,
    };
    let mut span = problem.span;
    let mut message = problem.message.clone();
    if problem.kind == P::Syntax {
        // A parser that ran off the end reports the end of the file; the last thing
        // written is a better place to look.
        let content = file.text.trim_end().len();
        if span.start > content && content > 0 {
            let last = file.text[..content]
                .char_indices()
                .next_back()
                .map_or(0, |(i, _)| i);
            span = file.span(last, content);
        }
        message = format!("invalid YAML: {message}");
    }
    // A string over the limit is shown only up to where it starts: it may be a secret,
    // and it would flood the log.
    let truncated;
    let file = if problem.kind == P::StringTooLong {
        truncated = Arc::new(SourceFile::new(
            file.path.clone(),
            file.text[..span.start].to_string(),
        ));
        &truncated
    } else {
        file
    };
    let mut finding = Finding::new(code, file, span, message);
    if let P::DuplicateKey { first } = problem.kind {
        finding = finding
            .label("duplicate key")
            .related(Location::new(file, first), "first defined here");
    }
    if problem.kind == P::Syntax {
        let line_text = file
            .text
            .lines()
            .nth(problem.span.line.saturating_sub(1) as usize)
            .unwrap_or_default();
        finding = if line_text.trim_start_matches(' ').starts_with('\t') {
            finding.help("indent with spaces: YAML does not allow tabs for indentation")
        } else {
            finding.help(
                "the parser stopped here; the cause may be earlier: an unclosed bracket or quote, a tab, or a `key: value: value` line",
            )
        };
    }
    finding
}

fn extensions(map: BTreeMap<String, Json>) -> BTreeMap<String, Json> {
    map.into_iter()
        .filter(|(k, _)| k.starts_with("x-"))
        .collect()
}

fn deserialize_extensions<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, Json>, D::Error> {
    BTreeMap::<String, Json>::deserialize(d).map(extensions)
}

/// A link in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(rename = "type")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lifecycle {
    Experimental,
    #[default]
    Production,
    Deprecated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ServiceType {
    Web,
    #[default]
    Api,
    Worker,
}

/// A `paved.dev/v1` Service.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Service {
    pub metadata: ServiceMetadata,
    pub spec: ServiceSpec,
    #[serde(
        flatten,
        deserialize_with = "deserialize_extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Json>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceMetadata {
    pub name: String,
    pub owner: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(default)]
    pub lifecycle: Lifecycle,
    #[serde(default = "default_tier")]
    pub tier: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub links: Vec<Link>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<Waiver>,
    #[serde(
        flatten,
        deserialize_with = "deserialize_extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Json>,
}

/// An exception to a policy rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiver {
    pub rule: String,
    pub reason: String,
    /// The last day it holds, `YYYY-MM-DD`.
    pub expires: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
}

fn default_tier() -> u8 {
    3
}

/// The spec of a Service. Collections sit behind `Arc` so that the per-environment
/// copies the resolver makes share what their overrides leave alone.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec {
    #[serde(default, rename = "type")]
    pub kind: ServiceType,
    pub image: String,
    #[serde(default)]
    pub command: Arc<Vec<String>>,
    #[serde(default)]
    pub args: Arc<Vec<String>>,
    #[serde(default)]
    pub ports: Arc<Vec<Port>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,
    #[serde(default)]
    pub probes: Arc<Probes>,
    #[serde(default)]
    pub env: Arc<BTreeMap<String, EnvValue>>,
    /// Files mounted into the container, by absolute path.
    #[serde(default)]
    pub files: Arc<BTreeMap<String, File>>,
    /// Volume resources mounted into the container, by absolute path.
    #[serde(default)]
    pub volumes: Arc<BTreeMap<String, Mount>>,
    /// Containers beside the service's own, by name.
    #[serde(default)]
    pub sidecars: Arc<BTreeMap<String, Sidecar>>,
    #[serde(default)]
    pub secrets: Arc<BTreeMap<String, SecretRef>>,
    #[serde(default)]
    pub dependencies: Arc<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expose: Option<Expose>,
    #[serde(default)]
    pub slos: Arc<Slos>,
    #[serde(default)]
    pub alerts: Arc<Alerts>,
    #[serde(default)]
    pub resources: Arc<BTreeMap<String, Resource>>,
    /// Raw overrides per environment; merged over the spec by the resolver.
    #[serde(default)]
    pub environments: Arc<BTreeMap<String, Json>>,
    #[serde(
        flatten,
        deserialize_with = "deserialize_extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Json>,
}

/// An environment variable's value, as text (YAML numbers and booleans are accepted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvValue(pub String);

impl Serialize for EnvValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for EnvValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(EnvValue(match Json::deserialize(d)? {
            Json::String(s) => s,
            other => other.to_string(),
        }))
    }
}

/// A container beside the service's own in each pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sidecar {
    pub image: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub volumes: BTreeMap<String, Mount>,
}

/// A volume resource mounted into a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mount {
    /// The name of a `volume` resource of the service.
    pub resource: String,
    /// A folder of the volume mounted instead of all of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
}

/// A file mounted into the container: its text or its base64 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct File {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binary_content: Option<String>,
    /// Octal permissions, `0644` when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Port {
    pub name: String,
    pub port: u16,
    #[serde(default = "default_protocol")]
    pub protocol: String,
    /// The Service's port, when it is not the container's.
    #[serde(
        default,
        rename = "servicePort",
        skip_serializing_if = "Option::is_none"
    )]
    pub service_port: Option<u16>,
}

fn default_protocol() -> String {
    String::from("TCP")
}

/// A port named by `spec.ports` name or number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PortRef {
    Number(u16),
    Name(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Autoscaling {
    #[serde(default = "default_min")]
    pub min: u32,
    pub max: u32,
    #[serde(default = "default_cpu_target")]
    pub cpu: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<u32>,
}

fn default_min() -> u32 {
    2
}

fn default_cpu_target() -> u32 {
    70
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probes {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readiness: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub startup: Option<Probe>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ProbeType {
    #[default]
    Http,
    Tcp,
    Grpc,
    Exec,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    #[serde(default, rename = "type")]
    pub kind: ProbeType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<PortRef>,
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_delay_seconds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_seconds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_threshold: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRef {
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    #[default]
    Internal,
    Public,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expose {
    #[serde(default)]
    pub visibility: Visibility,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<PortRef>,
    #[serde(default = "yes")]
    pub tls: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Slos {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability: Option<AvailabilitySlo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencySlo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvailabilitySlo {
    pub target: f64,
    #[serde(default = "default_window")]
    pub window: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencySlo {
    pub threshold: String,
    pub target: f64,
    #[serde(default = "default_window")]
    pub window: String,
}

fn default_window() -> String {
    String::from("30d")
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alerts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "empty_object")]
    pub params: Json,
}

fn empty_object() -> Json {
    Json::Object(serde_json::Map::new())
}

/// A `paved.dev/v1` Team.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Team {
    pub metadata: TeamMetadata,
    #[serde(default)]
    pub spec: TeamSpec,
    #[serde(
        flatten,
        deserialize_with = "deserialize_extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Json>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamMetadata {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(default)]
    pub links: Vec<Link>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(
        flatten,
        deserialize_with = "deserialize_extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Json>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TeamSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat: Option<Chat>,
    #[serde(default)]
    pub members: Vec<Member>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oncall: Option<Oncall>,
    #[serde(
        flatten,
        deserialize_with = "deserialize_extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Json>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chat {
    pub channel: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Oncall {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}
