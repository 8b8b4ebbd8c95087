//! The platform team's extensions, in the repository's `platform/` folder:
//!
//! - `provisioners/<type>/provisioner.yaml` and `*.tf.j2`: a new resource type, or a
//!   replacement for a built-in one;
//! - `templates/kubernetes/<file>.yaml.j2`: a Kubernetes file rendered for every service
//!   and environment, added next to the built-in ones or replacing the one with the
//!   same name;
//! - `patches/*.yaml`: changes applied to generated objects before they are written.
//!
//! Templates run in minijinja with strict undefined values and a fuel limit. Every
//! value a template prints is escaped for the output language (a JSON scalar in YAML,
//! a quoted string in HCL) unless the template marks it `safe`, and the output is
//! parsed back and written canonically, so an intent's value can never add structure.

use std::collections::BTreeMap;
use std::sync::Arc;

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value as TemplateValue};
use serde::Deserialize;
use serde_json::Value as Json;

use crate::diag::codes::Code;
use crate::diag::finding::Finding;
use crate::diag::origin::Origin;
use crate::load::repo::Repo;
use crate::load::schema::{self, Schemas};
use crate::syntax::source::{Location, SourceFile};
use crate::syntax::{hcl, yaml};
use crate::types::provisioner::{CheckovSkip, OutputDecl, Provisioner};

pub const DIR: &str = "platform";

/// Steps of template execution allowed per render, so a runaway loop ends.
const FUEL: u64 = 1_000_000;

/// Everything in `platform/`.
pub struct Platform {
    pub provisioners: BTreeMap<String, Provisioner>,
    /// Kubernetes templates, by the file name they render to (`deployment.yaml`).
    pub kubernetes: BTreeMap<String, Arc<SourceFile>>,
    pub patches: Vec<Patch>,
    templates: Option<Environment<'static>>,
    sources: BTreeMap<String, Arc<SourceFile>>,
    /// `limits.maxOutputFileBytes`: a template's output stops growing there.
    max_output_bytes: u64,
}

impl Default for Platform {
    fn default() -> Self {
        Self {
            provisioners: BTreeMap::new(),
            kubernetes: BTreeMap::new(),
            patches: Vec::new(),
            templates: None,
            sources: BTreeMap::new(),
            max_output_bytes: crate::model::config::Limits::default().max_output_file_bytes,
        }
    }
}

impl std::fmt::Debug for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Platform")
            .field(
                "provisioners",
                &self.provisioners.keys().collect::<Vec<_>>(),
            )
            .field("kubernetes", &self.kubernetes.keys().collect::<Vec<_>>())
            .field("patches", &self.patches.len())
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProvisioner {
    #[serde(default)]
    description: String,
    #[serde(default)]
    classes: Vec<String>,
    params: Option<Json>,
    outputs: BTreeMap<String, OutputDecl>,
    #[serde(default)]
    permissions: Vec<Json>,
    #[serde(default)]
    checkov_skips: Vec<CheckovSkip>,
}

/// A change to generated objects.
#[derive(Debug)]
pub struct Patch {
    pub name: String,
    pub origin: Origin,
    pub target: Target,
    pub merge: Option<Json>,
    pub operations: Option<json_patch::Patch>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    pub kind: String,
    pub api_version: Option<String>,
    pub name: Option<String>,
    #[serde(default)]
    pub environments: Vec<String>,
    #[serde(default)]
    pub teams: Vec<String>,
    #[serde(default)]
    pub services: Vec<String>,
}

impl Target {
    /// Whether an object matches: its kind and version, name and paved's labels.
    pub fn matches(&self, object: &Json) -> bool {
        let text = |pointer: &str| object.pointer(pointer).and_then(Json::as_str);
        let label = |key: &str| {
            object
                .get("metadata")
                .and_then(|m| m.get("labels"))
                .and_then(|l| l.get(key))
                .and_then(Json::as_str)
        };
        let within = |list: &[String], value: Option<&str>| {
            list.is_empty() || value.is_some_and(|v| list.iter().any(|x| x == v))
        };
        text("/kind") == Some(self.kind.as_str())
            && self
                .api_version
                .as_deref()
                .is_none_or(|v| text("/apiVersion") == Some(v))
            && self
                .name
                .as_deref()
                .is_none_or(|n| text("/metadata/name") == Some(n))
            && within(&self.environments, label("paved.dev/environment"))
            && within(&self.teams, label("paved.dev/team"))
            && within(&self.services, label("app.kubernetes.io/name"))
    }
}

#[derive(Deserialize)]
struct RawPatch {
    metadata: RawPatchMetadata,
    spec: RawPatchSpec,
}

#[derive(Deserialize)]
struct RawPatchMetadata {
    name: String,
}

#[derive(Deserialize)]
struct RawPatchSpec {
    target: Target,
    merge: Option<Json>,
    operations: Option<Json>,
}

/// Read `platform/`; problems in it are findings.
pub fn load(
    repo: &Repo,
    schemas: &Schemas,
    config_limits: &crate::model::config::Limits,
) -> (Platform, Vec<Finding>) {
    let limits = config_limits.yaml;
    let mut platform = Platform {
        max_output_bytes: config_limits.max_output_file_bytes,
        ..Platform::default()
    };
    let mut findings = Vec::new();
    if repo.list(DIR).is_empty() {
        return (
            Platform {
                max_output_bytes: config_limits.max_output_file_bytes,
                ..empty()
            },
            findings,
        );
    }
    let mut environment = template_environment();
    for (relative, file) in files(
        repo,
        &format!("{DIR}/provisioners"),
        config_limits.max_file_bytes,
        &mut findings,
    ) {
        let mut parts = relative.rsplitn(2, '/');
        let name = parts.next().unwrap_or_default().to_string();
        let folder = parts.next().unwrap_or_default().to_string();
        let Some(kind) = folder.strip_prefix(&format!("{DIR}/provisioners/")) else {
            continue;
        };
        if kind.contains('/') {
            continue;
        }
        if name == "provisioner.yaml" {
            if let Some(provisioner) = load_provisioner(kind, &file, schemas, limits, &mut findings)
            {
                platform.provisioners.insert(kind.to_string(), provisioner);
            }
        } else if name.ends_with(".tf.j2") {
            add_template(
                &mut environment,
                &mut platform.sources,
                &file,
                &mut findings,
            );
        }
    }
    // Templates belong to the provisioner of their folder.
    let template_names: Vec<String> = platform.sources.keys().cloned().collect();
    for (kind, provisioner) in &mut platform.provisioners {
        let prefix = format!("{DIR}/provisioners/{kind}/");
        provisioner.templates = template_names
            .iter()
            .filter(|n| n.starts_with(&prefix))
            .cloned()
            .collect();
    }
    for (relative, file) in files(
        repo,
        &format!("{DIR}/templates/kubernetes"),
        config_limits.max_file_bytes,
        &mut findings,
    ) {
        let Some(output) = relative
            .rsplit('/')
            .next()
            .and_then(|n| n.strip_suffix(".j2"))
            .filter(|n| n.ends_with(".yaml"))
        else {
            continue;
        };
        if add_template(
            &mut environment,
            &mut platform.sources,
            &file,
            &mut findings,
        ) {
            platform.kubernetes.insert(output.to_string(), file);
        }
    }
    for (relative, file) in files(
        repo,
        &format!("{DIR}/patches"),
        config_limits.max_file_bytes,
        &mut findings,
    ) {
        if relative.ends_with(".yaml") || relative.ends_with(".yml") {
            platform
                .patches
                .extend(load_patches(&file, schemas, limits, &mut findings));
        }
    }
    platform.templates = Some(environment);
    (platform, findings)
}

/// The files of a folder, sorted, read as text.
fn files(
    repo: &Repo,
    dir: &str,
    limit: u64,
    findings: &mut Vec<Finding>,
) -> Vec<(String, Arc<SourceFile>)> {
    let mut out = Vec::new();
    for listed in repo.list(dir) {
        let relative = listed.relative;
        if !listed.regular {
            let file = Arc::new(SourceFile::new(relative, ""));
            findings.push(Finding::new(
                Code::SymlinkOutsideRepo,
                &file,
                file.start(),
                "platform files must be regular files; links are not followed",
            ));
            continue;
        }
        match repo.read_text(&relative, limit) {
            Ok(file) => out.push((relative, file)),
            Err(finding) => findings.push(*finding),
        }
    }
    out
}

/// The single document of a platform YAML file, checked against `kind`'s schema.
fn document(
    file: &Arc<SourceFile>,
    kind: schema::Kind,
    schemas: &Schemas,
    limits: yaml::Limits,
    findings: &mut Vec<Finding>,
) -> Vec<(Origin, Json)> {
    let loaded = yaml::load(file, limits);
    findings.extend(
        loaded
            .problems
            .iter()
            .map(|p| crate::diag::finding::yaml_finding(file, p)),
    );
    if !loaded.problems.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (index, root) in loaded.documents.into_iter().enumerate() {
        if root.value == yaml::Value::Null {
            continue;
        }
        let origin = Origin::new(file, index, root);
        let json = origin.root().to_json();
        let errors = schemas.check(kind, &json, &origin, &|p| p.to_string());
        if errors.is_empty() {
            out.push((origin, json));
        } else {
            findings.extend(errors);
        }
    }
    out
}

fn load_provisioner(
    kind: &str,
    file: &Arc<SourceFile>,
    schemas: &Schemas,
    limits: yaml::Limits,
    findings: &mut Vec<Finding>,
) -> Option<Provisioner> {
    let (origin, json) = document(file, schema::Kind::Provisioner, schemas, limits, findings)
        .into_iter()
        .next()?;
    let raw: RawProvisioner = match serde_json::from_value(json) {
        Ok(raw) => raw,
        Err(e) => {
            findings.push(origin.finding(
                Code::InternalError,
                "",
                format!("cannot read the provisioner: {e}"),
            ));
            return None;
        }
    };
    let params = match raw.params {
        None => None,
        Some(schema) => match jsonschema::options().offline().build(&schema) {
            Ok(validator) => Some(validator),
            Err(e) => {
                findings.push(
                    origin
                        .finding(
                            Code::InvalidValue,
                            "/params",
                            format!("`params` is not a valid JSON Schema: {e}"),
                        )
                        .help("write a JSON Schema (draft 2020-12) for the resource's params"),
                );
                return None;
            }
        },
    };
    Some(Provisioner {
        name: kind.to_string(),
        origin: origin.detached(),
        description: raw.description,
        classes: raw.classes,
        params,
        outputs: raw.outputs,
        permissions: raw.permissions,
        checkov_skips: raw.checkov_skips,
        templates: Vec::new(),
    })
}

fn load_patches(
    file: &Arc<SourceFile>,
    schemas: &Schemas,
    limits: yaml::Limits,
    findings: &mut Vec<Finding>,
) -> Vec<Patch> {
    let mut patches = Vec::new();
    for (origin, json) in document(file, schema::Kind::Patch, schemas, limits, findings) {
        let raw: RawPatch = match serde_json::from_value(json) {
            Ok(raw) => raw,
            Err(e) => {
                findings.push(origin.finding(
                    Code::InternalError,
                    "",
                    format!("cannot read the patch: {e}"),
                ));
                continue;
            }
        };
        let operations = match raw
            .spec
            .operations
            .map(serde_json::from_value::<json_patch::Patch>)
        {
            None => None,
            Some(Ok(operations)) => Some(operations),
            Some(Err(e)) => {
                findings.push(origin.finding(
                    Code::InvalidValue,
                    "/spec/operations",
                    format!("not a valid JSON patch: {e}"),
                ));
                continue;
            }
        };
        patches.push(Patch {
            name: raw.metadata.name,
            origin,
            target: raw.spec.target,
            merge: raw.spec.merge,
            operations,
        });
    }
    patches
}

/// The template engine: strict, fuelled, escaping by output language.
fn template_environment() -> Environment<'static> {
    let mut environment = Environment::new();
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    environment.set_fuel(Some(FUEL));
    environment.set_auto_escape_callback(|name| {
        if name.ends_with(".tf.j2") {
            AutoEscape::Custom("hcl".into())
        } else if name.ends_with(".yaml.j2") {
            AutoEscape::Json
        } else {
            AutoEscape::None
        }
    });
    environment.set_formatter(|out, state, value| {
        if matches!(state.auto_escape(), AutoEscape::Custom(name) if name == "hcl")
            && !value.is_safe()
        {
            let json = serde_json::to_value(value).map_err(|e| {
                minijinja::Error::new(minijinja::ErrorKind::BadSerialization, e.to_string())
            })?;
            let text = match &json {
                Json::String(s) => hcl::string_literal(s),
                other => hcl::expression(&hcl::Expr::from_json(other)),
            };
            return out.write_str(&text).map_err(minijinja::Error::from);
        }
        minijinja::escape_formatter(out, state, value)
    });
    environment
}

fn add_template(
    environment: &mut Environment<'static>,
    sources: &mut BTreeMap<String, Arc<SourceFile>>,
    file: &Arc<SourceFile>,
    findings: &mut Vec<Finding>,
) -> bool {
    match environment.add_template_owned(file.path.clone(), file.text.to_string()) {
        Ok(()) => {
            sources.insert(file.path.clone(), Arc::clone(file));
            true
        }
        Err(e) => {
            findings.push(template_finding(file, &e, "while loading the template"));
            false
        }
    }
}

/// A template error as a finding on the template's line.
fn template_finding(file: &Arc<SourceFile>, error: &minijinja::Error, context: &str) -> Finding {
    let span = match error.line() {
        Some(line) => file.span(file.offset(line, 1), file.offset(line, usize::MAX)),
        None => file.start(),
    };
    let detail = error.detail().map(|d| format!(": {d}")).unwrap_or_default();
    Finding::new(
        Code::TemplateError,
        file,
        span,
        format!("{} {context}{detail}", error.kind()),
    )
}

impl Platform {
    pub fn source(&self, name: &str) -> Option<&Arc<SourceFile>> {
        self.sources.get(name)
    }

    /// Render a template file by name; errors are findings on the template, naming
    /// what it was rendered for.
    pub fn render(&self, name: &str, context: &Json, what: &str) -> Result<String, Box<Finding>> {
        let environment = self
            .templates
            .as_ref()
            .expect("loaded platforms have an engine");
        let file = self
            .sources
            .get(name)
            .cloned()
            .unwrap_or_else(|| Arc::new(SourceFile::new(name, "")));
        let location = |e: &minijinja::Error| {
            let span = match e.line() {
                Some(line) => file.span(file.offset(line, 1), file.offset(line, usize::MAX)),
                None => file.start(),
            };
            Location::new(&file, span)
        };
        let template = environment
            .get_template(name)
            .map_err(|e| self.failure(&e, location(&e), context, what))?;
        self.bounded(&template, context)
            .map_err(|e| self.failure(&e, location(&e), context, what))
    }

    /// Render a short template given inline (an output value, a permission).
    pub fn render_str(
        &self,
        source: &str,
        context: &Json,
        origin: &Location,
        what: &str,
    ) -> Result<String, Box<Finding>> {
        let environment = self
            .templates
            .as_ref()
            .expect("loaded platforms have an engine");
        let template = environment
            .template_from_str(source)
            .map_err(|e| self.failure(&e, origin.clone(), context, what))?;
        self.bounded(&template, context)
            .map_err(|e| self.failure(&e, origin.clone(), context, what))
    }

    /// A template's output, rendering stopped once it passes `limits.maxOutputFileBytes`.
    fn bounded(
        &self,
        template: &minijinja::Template<'_, '_>,
        context: &Json,
    ) -> Result<String, minijinja::Error> {
        let mut out = Bounded {
            bytes: Vec::new(),
            limit: self.max_output_bytes,
        };
        template.render_captured_to(
            TemplateValue::from(minijinja::value::Serde(context)),
            &mut out,
        )?;
        // The engine writes whole UTF-8 strings.
        Ok(String::from_utf8(out.bytes).unwrap_or_default())
    }

    /// A template error as a finding. A render error's text can quote the values the
    /// template was given (a missing include's name, the operands of a failed
    /// operation); they are replaced, since any of them may be a secret.
    fn failure(
        &self,
        error: &minijinja::Error,
        location: Location,
        context: &Json,
        what: &str,
    ) -> Box<Finding> {
        if error.kind() == minijinja::ErrorKind::WriteFailure {
            return Box::new(
                Finding::at(
                    Code::OutputFileTooLarge,
                    location,
                    format!(
                        "the template's output passed the {}-byte limit (`limits.maxOutputFileBytes`) while rendering {what}; rendering stopped",
                        self.max_output_bytes
                    ),
                )
                .label("this template's output"),
            );
        }
        let detail = error
            .detail()
            .map(|d| format!(": {}", redact(d, context)))
            .unwrap_or_default();
        Box::new(Finding::at(
            Code::TemplateError,
            location,
            format!("{} while rendering {what}{detail}", error.kind()),
        ))
    }
}

/// A template's output buffer that refuses to grow past `limit` bytes.
struct Bounded {
    bytes: Vec<u8>,
    limit: u64,
}

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if (self.bytes.len() + buf.len()) as u64 > self.limit {
            return Err(std::io::Error::other("over limits.maxOutputFileBytes"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The shortest value [`redact`] replaces: shorter ones are names and numbers such as
/// `dev` or `443`, which make messages clearer and are not credentials.
const REDACT_FROM: usize = 6;

/// `text` with every string and number of `context` (of [`REDACT_FROM`] characters or
/// more) replaced by `***`, longest first.
pub(crate) fn redact(text: &str, context: &Json) -> String {
    fn values(json: &Json, out: &mut Vec<String>) {
        match json {
            Json::String(s) => out.push(s.clone()),
            Json::Number(n) => out.push(n.to_string()),
            Json::Array(items) => items.iter().for_each(|v| values(v, out)),
            Json::Object(map) => map.values().for_each(|v| values(v, out)),
            Json::Null | Json::Bool(_) => {}
        }
    }
    let mut found = Vec::new();
    values(context, &mut found);
    found.retain(|v| v.chars().count() >= REDACT_FROM && text.contains(v.as_str()));
    found.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    let mut text = text.to_string();
    for value in found {
        text = text.replace(&value, "***");
    }
    text
}

/// An empty platform with a working template engine, for repositories without one.
pub fn empty() -> Platform {
    Platform {
        templates: Some(template_environment()),
        ..Platform::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hcl_templates_escape_values() {
        let mut platform = empty();
        let file = Arc::new(SourceFile::new(
            "t.tf.j2",
            "name = {{ name }}\ntags = {{ tags }}\n",
        ));
        let mut findings = Vec::new();
        let environment = platform.templates.as_mut().unwrap();
        assert!(add_template(
            environment,
            &mut platform.sources,
            &file,
            &mut findings
        ));
        let text = platform
            .render(
                "t.tf.j2",
                &json!({"name": "x\"${y}", "tags": {"a": "b"}}),
                "a test",
            )
            .unwrap();
        assert_eq!(text, "name = \"x\\\"$${y}\"\ntags = {\n  a = \"b\"\n}");
    }

    #[test]
    fn template_errors_point_at_the_line() {
        let mut platform = empty();
        let file = Arc::new(SourceFile::new(
            "t.yaml.j2",
            "a: 1\nb: {{ missing.field }}\n",
        ));
        let mut findings = Vec::new();
        let environment = platform.templates.as_mut().unwrap();
        add_template(environment, &mut platform.sources, &file, &mut findings);
        let error = platform
            .render("t.yaml.j2", &json!({}), "service x in dev")
            .unwrap_err();
        assert_eq!(error.code, Code::TemplateError);
        assert_eq!(error.location.span.line, 2);
        assert!(
            error.message.contains("service x in dev"),
            "{}",
            error.message
        );
    }

    fn platform_with(name: &str, text: &str) -> Platform {
        let mut platform = empty();
        let file = Arc::new(SourceFile::new(name, text));
        let mut findings = Vec::new();
        let environment = platform.templates.as_mut().unwrap();
        assert!(add_template(
            environment,
            &mut platform.sources,
            &file,
            &mut findings
        ));
        platform
    }

    /// Error texts of the engine can quote values (the operands of a failed
    /// operation): none reaches a finding.
    #[test]
    fn render_errors_never_quote_the_values() {
        let context = json!({"resource": {"params": {"pin": 98765432}}});
        let platform = platform_with("t.tf.j2", "a = {{ resource.params.pin // 0 }}\n");
        let error = platform.render("t.tf.j2", &context, "a test").unwrap_err();
        assert_eq!(error.code, Code::TemplateError);
        assert!(!error.message.contains("98765432"), "{}", error.message);
        assert!(error.message.contains("***"), "{}", error.message);
        let origin_file = Arc::new(SourceFile::new("p.yaml", ""));
        let origin = Location::new(&origin_file, origin_file.start());
        let error = platform
            .render_str(
                "{{ resource.params.pin % 0 }}",
                &context,
                &origin,
                "a value",
            )
            .unwrap_err();
        assert!(!error.message.contains("98765432"), "{}", error.message);
        assert!(error.message.contains("***"), "{}", error.message);
    }

    #[test]
    fn a_runaway_template_stops_at_the_output_limit() {
        let mut platform = platform_with(
            "t.yaml.j2",
            "{% for i in range(100000) %}0123456789{% endfor %}",
        );
        platform.max_output_bytes = 1_000;
        let error = platform
            .render("t.yaml.j2", &json!({}), "a test")
            .unwrap_err();
        assert_eq!(error.code, Code::OutputFileTooLarge);
        assert!(
            error.message.contains("`limits.maxOutputFileBytes`"),
            "{}",
            error.message
        );
        platform.max_output_bytes = 1_000_000;
        let text = platform.render("t.yaml.j2", &json!({}), "a test").unwrap();
        assert_eq!(text.len(), 1_000_000);
    }

    #[test]
    fn targets_match_kind_and_labels() {
        let target = Target {
            kind: "Deployment".into(),
            environments: vec!["prod".into()],
            ..Target::default()
        };
        let object = json!({"kind": "Deployment", "metadata": {"labels": {"paved.dev/environment": "prod"}}});
        assert!(target.matches(&object));
        let dev =
            json!({"kind": "Deployment", "metadata": {"labels": {"paved.dev/environment": "dev"}}});
        assert!(!target.matches(&dev));
    }
}
