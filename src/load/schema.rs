//! The embedded JSON Schemas, compiled once per run, and the translation of their
//! errors into findings at the exact key or value.

use std::sync::Arc;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{Registry, Resource, ValidationError, Validator};
use serde_json::Value as Json;

use crate::diag::codes::Code;
use crate::diag::finding::{Finding, did_you_mean, list, list_or, printable};
use crate::diag::origin::{Origin, escape_pointer, field_name};
use crate::syntax::source::{SourceFile, Span};

const BASE: &str = "https://paved.dev/schemas/v1/";

/// The schema files, as shipped in `schemas/` and exported by `paved schema`.
pub const FILES: &[(&str, &str)] = &[
    (
        "common.schema.json",
        include_str!("../../schemas/common.schema.json"),
    ),
    (
        "config.schema.json",
        include_str!("../../schemas/config.schema.json"),
    ),
    (
        "patch.schema.json",
        include_str!("../../schemas/patch.schema.json"),
    ),
    (
        "provisioner.schema.json",
        include_str!("../../schemas/provisioner.schema.json"),
    ),
    (
        "service.schema.json",
        include_str!("../../schemas/service.schema.json"),
    ),
    (
        "team.schema.json",
        include_str!("../../schemas/team.schema.json"),
    ),
    (
        "waivers.schema.json",
        include_str!("../../schemas/waivers.schema.json"),
    ),
];

/// The official Score workload schema (`score.dev/v1b1`); see `schemas/score/SOURCE.md`.
pub const SCORE_SCHEMA: &str = include_str!("../../schemas/score/score-v1b1.json");
const SCORE_URI: &str = "https://score.dev/schemas/score";

/// Which document a schema checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Config,
    Service,
    Team,
    /// A Service's `spec` alone: used on the spec an environment's overrides produce.
    ServiceSpec,
    Provisioner,
    Patch,
    Waivers,
    /// A Score workload.
    Score,
}

/// The compiled validators.
pub struct Schemas {
    documents: Vec<(String, Json)>,
    config: Validator,
    service: Validator,
    team: Validator,
    service_spec: Validator,
    provisioner: Validator,
    patch: Validator,
    waivers: Validator,
    score: Validator,
}

impl Schemas {
    /// Compile the embedded schemas. They are part of the binary, so a failure here is a bug.
    pub fn new() -> Result<Self, String> {
        let mut documents: Vec<(String, Json)> = FILES
            .iter()
            .map(|(name, text)| {
                serde_json::from_str(text)
                    .map(|json| (format!("{BASE}{name}"), json))
                    .map_err(|e| format!("embedded schema {name}: {e}"))
            })
            .collect::<Result<_, _>>()?;
        let score: Json = serde_json::from_str(SCORE_SCHEMA)
            .map_err(|e| format!("embedded Score schema: {e}"))?;
        documents.push((SCORE_URI.to_string(), score));
        let mut registry = Registry::new();
        for (uri, json) in &documents {
            registry = registry
                .add(uri.as_str(), Resource::from_contents(json.clone()))
                .map_err(|e| format!("embedded schema {uri}: {e}"))?;
        }
        let registry = registry.prepare().map_err(|e| e.to_string())?;
        let build_uri = |uri: &str| -> Result<Validator, String> {
            jsonschema::options()
                .offline()
                .with_registry(&registry)
                .build(&serde_json::json!({ "$ref": uri }))
                .map_err(|e| format!("embedded schema {uri}: {e}"))
        };
        let build = |reference: &str| build_uri(&format!("{BASE}{reference}"));
        Ok(Self {
            config: build("config.schema.json")?,
            service: build("service.schema.json")?,
            team: build("team.schema.json")?,
            service_spec: build("service.schema.json#/$defs/spec")?,
            provisioner: build("provisioner.schema.json")?,
            patch: build("patch.schema.json")?,
            waivers: build("waivers.schema.json")?,
            score: build_uri(SCORE_URI)?,
            documents,
        })
    }

    fn validator(&self, kind: Kind) -> &Validator {
        match kind {
            Kind::Config => &self.config,
            Kind::Service => &self.service,
            Kind::Team => &self.team,
            Kind::ServiceSpec => &self.service_spec,
            Kind::Provisioner => &self.provisioner,
            Kind::Patch => &self.patch,
            Kind::Waivers => &self.waivers,
            Kind::Score => &self.score,
        }
    }

    /// Check `instance`, a document of `origin` or a part of one: every violation becomes
    /// a finding at the place `place` maps its instance pointer to in the document.
    pub fn check(
        &self,
        kind: Kind,
        instance: &Json,
        origin: &Origin,
        place: &dyn Fn(&str) -> String,
    ) -> Vec<Finding> {
        self.check_with(self.validator(kind), instance, origin, place)
    }

    /// Like [`Schemas::check`], with another validator (a platform's params schema).
    pub fn check_with(
        &self,
        validator: &Validator,
        instance: &Json,
        origin: &Origin,
        place: &dyn Fn(&str) -> String,
    ) -> Vec<Finding> {
        if validator.is_valid(instance) {
            return Vec::new();
        }
        validator
            .iter_errors(instance)
            .flat_map(|error| self.findings(&error, origin, place))
            .collect()
    }

    /// The instance pointers of the values that violate the schema: what to remove from
    /// an invalid document so that the rest of it can still be cross-checked.
    pub fn offending(&self, kind: Kind, instance: &Json) -> Vec<String> {
        self.validator(kind)
            .iter_errors(instance)
            .flat_map(|error| {
                let pointer = error.instance_path().as_str().to_string();
                match error.kind() {
                    ValidationErrorKind::AdditionalProperties { unexpected }
                    | ValidationErrorKind::UnevaluatedProperties { unexpected } => unexpected
                        .iter()
                        .map(|key| format!("{pointer}/{}", escape_pointer(key)))
                        .collect(),
                    ValidationErrorKind::PropertyNames { error } => {
                        let key = error.instance().as_str().unwrap_or_default();
                        vec![format!("{pointer}/{}", escape_pointer(key))]
                    }
                    _ => vec![pointer],
                }
            })
            .collect()
    }

    /// The schema node an error's keyword sits in, e.g. the object holding `required`.
    fn keyword_parent(&self, error: &ValidationError<'_>) -> Option<&Json> {
        let location = error.absolute_keyword_location()?.to_string();
        let (uri, pointer) = location.split_once('#')?;
        let (_, document) = self.documents.iter().find(|(u, _)| u == uri)?;
        let parent = pointer.rsplit_once('/').map_or("", |(parent, _)| parent);
        document.pointer(parent)
    }

    /// Follow a local or cross-file `$ref` once, to read a referenced definition's text.
    fn deref<'a>(&'a self, schema: &'a Json) -> &'a Json {
        let Some(reference) = schema.get("$ref").and_then(Json::as_str) else {
            return schema;
        };
        let (file, pointer) = reference.split_once('#').unwrap_or((reference, ""));
        let document = if file.is_empty() {
            self.documents.iter().find(|(_, d)| contains(d, schema))
        } else {
            self.documents
                .iter()
                .find(|(uri, _)| uri.ends_with(&format!("/{file}")))
        };
        document
            .and_then(|(_, d)| d.pointer(pointer))
            .unwrap_or(schema)
    }

    fn description(&self, schema: &Json) -> Option<String> {
        schema
            .get("description")
            .or_else(|| self.deref(schema).get("description"))
            .and_then(Json::as_str)
            .map(str::to_string)
    }

    fn is_name_rule(error: &ValidationError<'_>) -> bool {
        error.absolute_keyword_location().is_some_and(|l| {
            l.as_str()
                .ends_with("common.schema.json#/$defs/dnsLabel/pattern")
        })
    }

    fn findings(
        &self,
        error: &ValidationError<'_>,
        origin: &Origin,
        place: &dyn Fn(&str) -> String,
    ) -> Vec<Finding> {
        let file = &origin.file;
        let locate = |pointer: &str| origin.locate(&place(pointer));
        let instance_pointer = error.instance_path().as_str();
        let document_pointer = place(instance_pointer);
        let pointer = document_pointer.as_str();
        let at = origin.locate(pointer);
        let field = field_name(pointer);
        match error.kind() {
            ValidationErrorKind::Required { property } => {
                let property = property.as_str().unwrap_or_default();
                let described = self
                    .keyword_parent(error)
                    .and_then(|parent| parent.get("properties")?.get(property))
                    .and_then(|schema| self.description(schema));
                let within = if pointer.is_empty() {
                    String::from("the document")
                } else {
                    format!("`{field}`")
                };
                let mut help = format!("add `{property}:` to {within}");
                if let Some(described) = described {
                    help.push_str(&format!(": {described}"));
                }
                vec![
                    Finding::new(
                        Code::MissingField,
                        file,
                        at.label,
                        format!("missing required field `{property}` in {within}"),
                    )
                    .label(format!("`{property}` is missing here"))
                    .help(help),
                ]
            }
            ValidationErrorKind::AdditionalProperties { unexpected }
            | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
                // Score's schema has no extension fields; paved's take any `x-` field.
                let extensions = if is_score(error) {
                    ""
                } else {
                    "; extension fields start with `x-`"
                };
                let allowed: Vec<&str> = self
                    .keyword_parent(error)
                    .and_then(|parent| parent.get("properties")?.as_object())
                    .map(|properties| properties.keys().map(String::as_str).collect())
                    .unwrap_or_default();
                unexpected
                    .iter()
                    .map(|key| {
                        let child = format!("{instance_pointer}/{}", escape_pointer(key));
                        let place = locate(&child);
                        let within = if pointer.is_empty() {
                            String::from("at the top level")
                        } else {
                            format!("in `{field}`")
                        };
                        let help = match did_you_mean(key, allowed.iter().copied()) {
                            Some(suggestion) => format!(
                                "did you mean `{suggestion}`? Fields {within}: {}{extensions}",
                                list(&allowed)
                            ),
                            None => format!("fields {within}: {}{extensions}", list(&allowed)),
                        };
                        Finding::new(
                            Code::UnknownField,
                            file,
                            place.label,
                            format!("unknown field `{}` {within}", printable(key)),
                        )
                        .label("not a field of this schema")
                        .help(help)
                    })
                    .collect()
            }
            ValidationErrorKind::PropertyNames { error: inner } => {
                let key = inner.instance().as_str().unwrap_or_default();
                let place = locate(&format!("{instance_pointer}/{}", escape_pointer(key)));
                if Self::is_name_rule(inner) {
                    return vec![name_finding(file, place.label, key, &field)];
                }
                let rule = self
                    .keyword_parent(inner)
                    .and_then(|schema| self.description(schema))
                    .unwrap_or_else(|| {
                        String::from("keys here must match the schema's naming rule")
                    });
                vec![
                    Finding::new(
                        Code::InvalidValue,
                        file,
                        place.label,
                        format!("`{}` is not a valid key in `{field}`", printable(key)),
                    )
                    .help(rule),
                ]
            }
            ValidationErrorKind::Type { kind } => {
                let expected: Vec<&str> = match kind {
                    TypeKind::Single(t) => vec![type_name(t.as_str())],
                    TypeKind::Multiple(set) => set.iter().map(|t| type_name(t.as_str())).collect(),
                };
                let found = json_type(error.instance());
                let mut help = format!("write {} here", alternatives(&expected));
                if expected.contains(&"a string")
                    && matches!(found, "a number" | "an integer" | "a boolean")
                {
                    help = String::from(
                        "quote the value: YAML reads unquoted digits as numbers and true/false as booleans",
                    );
                }
                vec![
                    Finding::new(
                        Code::WrongType,
                        file,
                        at.node,
                        format!("`{field}` must be {}, not {found}", alternatives(&expected)),
                    )
                    .label(format!("expected {}", alternatives(&expected)))
                    .help(help),
                ]
            }
            ValidationErrorKind::Enum { options } => {
                let options: Vec<String> = options
                    .as_array()
                    .map(|o| o.iter().map(scalar_text).collect())
                    .unwrap_or_default();
                let given = scalar_text(error.instance());
                let quoted = !error.instance().is_string() && options.contains(&given);
                let help = match did_you_mean(&given, options.iter().map(String::as_str)) {
                    _ if quoted => format!(
                        "quote the value (`\"{given}\"`): YAML reads it as {}",
                        json_type(error.instance())
                    ),
                    Some(s) => format!("did you mean `{s}`?"),
                    None => String::from("use one of the values the message lists"),
                };
                vec![
                    Finding::new(
                        Code::InvalidValue,
                        file,
                        at.node,
                        format!("`{field}` must be {}", list_or(&options)),
                    )
                    .label("not an allowed value")
                    .help(help),
                ]
            }
            ValidationErrorKind::Constant { expected_value } => {
                let expected = scalar_text(expected_value);
                vec![
                    Finding::new(
                        Code::InvalidValue,
                        file,
                        at.node,
                        format!("`{field}` must be `{expected}`"),
                    )
                    .help(format!("write `{field}: {expected}`")),
                ]
            }
            ValidationErrorKind::Pattern { .. } => {
                if Self::is_name_rule(error) {
                    let value = error.instance().as_str().unwrap_or_default();
                    return vec![name_finding(file, at.node, value, &field)];
                }
                let rule = self
                    .keyword_parent(error)
                    .and_then(|schema| self.description(schema))
                    .unwrap_or_else(|| String::from("see the schema for the expected format"));
                vec![
                    Finding::new(
                        Code::InvalidValue,
                        file,
                        at.node,
                        format!("`{field}` is not in the expected format"),
                    )
                    .label("does not match the expected format")
                    .help(rule),
                ]
            }
            ValidationErrorKind::AnyOf { context }
            | ValidationErrorKind::OneOfNotValid { context }
                if context.iter().all(|branch| {
                    branch
                        .iter()
                        .all(|e| matches!(e.kind(), ValidationErrorKind::Required { .. }))
                }) =>
            {
                // Every alternative only lacks a field: say which fields would do.
                let fields: Vec<String> = context
                    .iter()
                    .flatten()
                    .filter_map(|e| match e.kind() {
                        ValidationErrorKind::Required { property } => {
                            property.as_str().map(str::to_string)
                        }
                        _ => None,
                    })
                    .collect();
                vec![
                    Finding::new(
                        Code::MissingField,
                        file,
                        at.label,
                        format!("`{field}` needs {}", list_or(&fields)),
                    )
                    .help(format!("add one of {}", list_or(&fields))),
                ]
            }
            kind => {
                let (message, help) = bound_message(kind, &field);
                vec![Finding::new(Code::InvalidValue, file, at.node, message).help(help)]
            }
        }
    }
}

fn is_score(error: &ValidationError<'_>) -> bool {
    error
        .absolute_keyword_location()
        .is_some_and(|l| l.as_str().starts_with(SCORE_URI))
}

fn contains(document: &Json, schema: &Json) -> bool {
    std::ptr::eq(document, schema)
        || match document {
            Json::Object(map) => map.values().any(|v| contains(v, schema)),
            Json::Array(items) => items.iter().any(|v| contains(v, schema)),
            _ => false,
        }
}

fn name_finding(file: &Arc<SourceFile>, span: Span, value: &str, field: &str) -> Finding {
    let suggestion = dns_label_suggestion(value);
    let mut help = String::from(
        "names become Kubernetes names and paths: use 1 to 63 lowercase letters, digits and `-`, starting with a letter",
    );
    if let Some(suggestion) = suggestion {
        help.push_str(&format!(", for example `{suggestion}`"));
    }
    Finding::new(
        Code::InvalidName,
        file,
        span,
        format!("`{}` in `{field}` is not a valid name", printable(value)),
    )
    .label("not a DNS label")
    .help(help)
}

/// A DNS label close to `value`, if one can be made and it differs.
fn dns_label_suggestion(value: &str) -> Option<String> {
    dns_label(value, 63).filter(|label| label != value)
}

/// A DNS label of at most `max` characters made from `value`: lowercase, with `-` for
/// every run of other characters, starting with a letter. `None` when nothing is left.
pub fn dns_label(value: &str, max: usize) -> Option<String> {
    let mut label = String::new();
    for c in value.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            label.push(c);
        } else if !label.ends_with('-') {
            label.push('-');
        }
    }
    let label = label
        .trim_start_matches(|c: char| !c.is_ascii_lowercase())
        .trim_end_matches('-');
    let label: String = label.chars().take(max).collect();
    let label = label.trim_end_matches('-');
    (!label.is_empty()).then(|| label.to_string())
}

fn bound_message(kind: &ValidationErrorKind, field: &str) -> (String, String) {
    use ValidationErrorKind as K;
    let (message, help) = match kind {
        K::Minimum { limit } => (format!("must be at least {limit}"), None),
        K::Maximum { limit } => (format!("must be at most {limit}"), None),
        K::ExclusiveMinimum { limit } => (format!("must be greater than {limit}"), None),
        K::ExclusiveMaximum { limit } => (format!("must be less than {limit}"), None),
        K::MinLength { limit } => (format!("must be at least {limit} characters long"), None),
        K::MaxLength { limit } => (format!("must be at most {limit} characters long"), None),
        K::MinItems { limit } => (format!("must have at least {limit} items"), None),
        K::MaxItems { limit } => (format!("must have at most {limit} items"), None),
        K::MinProperties { limit } => (format!("must have at least {limit} entries"), None),
        K::MaxProperties { limit } => (format!("must have at most {limit} entries"), None),
        K::UniqueItems => (
            String::from("must not list the same item twice"),
            Some(String::from("remove the repeated item")),
        ),
        K::Format { format } => (format!("must be a valid {format}"), None),
        K::MultipleOf { multiple_of } => (format!("must be a multiple of {multiple_of}"), None),
        other => (
            format!("does not satisfy the schema's `{}` rule", other.keyword()),
            None,
        ),
    };
    let help = help.unwrap_or_else(|| format!("change `{field}` so that it {message}"));
    (format!("`{field}` {message}"), help)
}

fn type_name(t: &str) -> &'static str {
    match t {
        "null" => "empty",
        "boolean" => "a boolean",
        "integer" => "an integer",
        "number" => "a number",
        "string" => "a string",
        "array" => "a list",
        "object" => "a mapping",
        _ => "a value",
    }
}

fn json_type(value: &Json) -> &'static str {
    match value {
        Json::Null => "empty",
        Json::Bool(_) => "a boolean",
        Json::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "a mapping",
    }
}

fn alternatives(items: &[&str]) -> String {
    match items {
        [] => String::from("a value"),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

fn scalar_text(value: &Json) -> String {
    match value {
        Json::String(s) => printable(s),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_schemas_compile() {
        Schemas::new().unwrap();
    }

    #[test]
    fn field_names_read_like_yaml_paths() {
        assert_eq!(field_name("/spec/ports/0/name"), "spec.ports[0].name");
        assert_eq!(field_name(""), "");
        assert_eq!(field_name("/a~1b"), "a/b");
    }

    #[test]
    fn name_suggestions() {
        assert_eq!(
            dns_label_suggestion("Payments_API").as_deref(),
            Some("payments-api")
        );
        assert_eq!(dns_label_suggestion("../../etc").as_deref(), Some("etc"));
        assert_eq!(dns_label_suggestion("ok"), None);
        assert_eq!(dns_label_suggestion("---"), None);
    }
}
