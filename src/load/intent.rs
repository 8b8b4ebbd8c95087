//! Intent documents: recognising them among a file's YAML documents and checking each
//! against the schema of its kind, into the typed model.

use std::sync::Arc;

use serde_json::Value as Json;

use crate::diag::codes::Code;
use crate::diag::finding::{Finding, printable, yaml_finding};
use crate::diag::origin::Origin;
use crate::load::schema::{self, Schemas};
use crate::model::intent::{API_GROUP, API_VERSION, Intent, Kind, OVERRIDABLE};
use crate::syntax::source::SourceFile;
use crate::syntax::yaml::{self, Node};

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
    OVERRIDABLE
        .iter()
        .filter(|key| environments.values().any(|o| o.get(**key).is_some()))
        .filter_map(|key| Some(((*key).to_string(), spec.get(*key)?.clone())))
        .collect()
}

/// Whether a file's text may hold intents: paved's own, or Score workloads.
pub fn may_hold_intents(text: &[u8]) -> bool {
    [API_GROUP, crate::load::score::API_GROUP]
        .iter()
        .any(|group| text.windows(group.len()).any(|w| w == group.as_bytes()))
}

/// The intents of a file: its YAML read (problems as findings), then its documents
/// recognised and checked.
pub fn load_file(
    file: &Arc<SourceFile>,
    limits: yaml::Limits,
    schemas: &Schemas,
    default_owner: Option<&str>,
    findings: &mut Vec<Finding>,
) -> Vec<Loaded> {
    let loaded = yaml::load(file, limits);
    findings.extend(loaded.problems.iter().map(|p| yaml_finding(file, p)));
    load_documents(file, loaded.documents, schemas, default_owner, findings)
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
                        format!("unknown apiVersion `{}`", printable(&api_version)),
                    )
                    .label("this paved reads paved.dev/v1"),
            );
            continue;
        }
        let Some(kind) = kind_name.as_deref().and_then(Kind::from_name) else {
            let message = match &kind_name {
                Some(name) => format!("unknown kind `{}` for paved.dev/v1", printable(name)),
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
