//! The platform team's extensions, in the repository's `platform/` folder:
//!
//! - `provisioners/<type>/provisioner.yaml` and `*.tf.j2`: a new resource type, or a
//!   replacement for a built-in one;
//! - `templates/kubernetes/<file>.yaml.j2`: a Kubernetes file rendered for every service
//!   and environment, added next to the built-in ones or replacing the one with the
//!   same name;
//! - `patches/*.yaml`: changes applied to generated objects before they are written.
//!
//! The templates run in [`super::templates`].

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value as Json;

use crate::diag::codes::Code;
use crate::diag::finding::Finding;
use crate::diag::origin::Origin;
use crate::load::repo::Repo;
use crate::load::schema::{self, Schemas};
use crate::syntax::source::SourceFile;
use crate::syntax::yaml;
use crate::types::provisioner::{CheckovSkip, OutputDecl, Provisioner};

use super::templates::Templates;

pub const DIR: &str = "platform";

/// Everything in `platform/`; a repository without one has an empty platform.
#[derive(Default)]
pub struct Platform {
    pub provisioners: BTreeMap<String, Provisioner>,
    /// Kubernetes templates, by the file name they render to (`deployment.yaml`).
    pub kubernetes: BTreeMap<String, Arc<SourceFile>>,
    pub patches: Vec<Patch>,
    /// The provisioners' and Kubernetes templates.
    pub templates: Templates,
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
        templates: Templates::new(config_limits.max_output_file_bytes),
        ..Platform::default()
    };
    let mut findings = Vec::new();
    if repo.list(DIR).is_empty() {
        return (platform, findings);
    }
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
            platform.templates.add(&file, &mut findings);
        }
    }
    // Templates belong to the provisioner of their folder.
    let template_names: Vec<String> = platform.templates.names().cloned().collect();
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
        if platform.templates.add(&file, &mut findings) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
