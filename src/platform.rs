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

use crate::codes::Code;
use crate::finding::Finding;
use crate::intent::Origin;
use crate::render::hcl;
use crate::repo::Repo;
use crate::schema::{self, Schemas};
use crate::source::{Location, SourceFile};
use crate::yaml;

pub const DIR: &str = "platform";

/// Steps of template execution allowed per render, so a runaway loop ends.
const FUEL: u64 = 1_000_000;

/// Everything in `platform/`.
#[derive(Default)]
pub struct Platform {
    pub provisioners: BTreeMap<String, Provisioner>,
    /// Kubernetes templates, by the file name they render to (`deployment.yaml`).
    pub kubernetes: BTreeMap<String, Arc<SourceFile>>,
    pub patches: Vec<Patch>,
    templates: Option<Environment<'static>>,
    sources: BTreeMap<String, Arc<SourceFile>>,
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

/// A resource type defined (or redefined) by the platform.
pub struct Provisioner {
    pub name: String,
    pub origin: Origin,
    pub description: String,
    pub classes: Vec<String>,
    pub params: Option<jsonschema::Validator>,
    pub outputs: BTreeMap<String, OutputDecl>,
    pub permissions: Vec<Json>,
    pub checkov_skips: Vec<CheckovSkip>,
    /// The `*.tf.j2` templates, by template name.
    pub templates: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OutputDecl {
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub secret: bool,
    /// A template giving the value at render time.
    pub value: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckovSkip {
    pub block: String,
    pub check: String,
    pub reason: String,
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
pub fn load(repo: &Repo, schemas: &Schemas, limits: yaml::Limits) -> (Platform, Vec<Finding>) {
    let mut platform = Platform::default();
    let mut findings = Vec::new();
    if repo.list(DIR).is_empty() {
        return (empty(), findings);
    }
    let mut environment = template_environment();
    for (relative, file) in files(repo, &format!("{DIR}/provisioners"), &mut findings) {
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
    for (relative, file) in files(repo, &format!("{DIR}/templates/kubernetes"), &mut findings) {
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
    for (relative, file) in files(repo, &format!("{DIR}/patches"), &mut findings) {
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
fn files(repo: &Repo, dir: &str, findings: &mut Vec<Finding>) -> Vec<(String, Arc<SourceFile>)> {
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
        match repo.read_text(&relative) {
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
            .map(|p| crate::intent::yaml_finding(file, p)),
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
        let fail = |e: minijinja::Error| {
            let file = self
                .sources
                .get(name)
                .cloned()
                .unwrap_or_else(|| Arc::new(SourceFile::new(name, "")));
            Box::new(template_finding(
                &file,
                &e,
                &format!("while rendering {what}"),
            ))
        };
        let template = environment.get_template(name).map_err(fail)?;
        template
            .render(TemplateValue::from(minijinja::value::Serde(context)))
            .map_err(fail)
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
        environment
            .render_str(
                source,
                TemplateValue::from(minijinja::value::Serde(context)),
            )
            .map_err(|e| {
                let detail = e.detail().map(|d| format!(": {d}")).unwrap_or_default();
                Box::new(Finding::at(
                    Code::TemplateError,
                    origin.clone(),
                    format!("{} while rendering {what}{detail}", e.kind()),
                ))
            })
    }
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
