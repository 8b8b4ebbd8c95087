//! Provisioning a resource: a built-in type's Terraform and permissions (see
//! [`crate::types`]), or a platform provisioner's, from its templates rendered, parsed
//! back and rewritten canonically.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use crate::diag::codes::Code;
use crate::diag::finding::Finding;
use crate::load::platform::Platform;
use crate::model::names;
use crate::syntax::hcl;
use crate::syntax::source::{Location, SourceFile};
use crate::types::provisioner::Provisioner;
use crate::types::{Instance, Provisioned, TypeRef};

/// The Terraform of a resource in the root module that owns it.
pub(super) fn terraform(
    instance: &Instance<'_>,
    platform: &Platform,
    findings: &mut Vec<Finding>,
) -> Provisioned {
    match instance.kind {
        TypeRef::Custom(provisioner) => custom(instance, platform, provisioner, findings),
        TypeRef::BuiltIn(kind) => kind.terraform(instance),
    }
}

/// What the service's role may do with one of its resources: IAM policy statements.
pub(super) fn permissions(instance: &Instance<'_>, platform: &Platform) -> Vec<Json> {
    match instance.kind {
        TypeRef::Custom(provisioner) => custom_permissions(instance, platform, provisioner),
        TypeRef::BuiltIn(kind) => kind.permissions(instance),
    }
}

/// What a platform template knows about a resource.
pub(crate) fn context(instance: &Instance<'_>) -> Json {
    json!({
        "resource": {
            "name": instance.name,
            "label": instance.name,
            "type": instance.kind.name(),
            "class": instance.class,
            "id": instance.shared_id,
            "shared": instance.shared_id.is_some(),
            "params": instance.params,
            "physical": instance.physical,
            "secretPath": instance.secret_path,
        },
        "service": { "name": instance.service },
        "environment": super::unit::environment_context(instance.environment),
    })
}

/// Outputs of a platform provisioner known at render time, from their templates.
pub(super) fn custom_outputs(
    instance: &Instance<'_>,
    platform: &Platform,
    provisioner: &Provisioner,
    findings: &mut Vec<Finding>,
) -> BTreeMap<String, String> {
    let context = context(instance);
    let mut values = BTreeMap::new();
    for (name, output) in &provisioner.outputs {
        let Some(template) = &output.value else {
            continue;
        };
        let at = provisioner.origin.value(&format!(
            "/outputs/{}/value",
            crate::diag::origin::escape_pointer(name)
        ));
        match platform.templates.render_str(
            template,
            &context,
            &at,
            &format!("output `{name}` of {}", describe(instance)),
        ) {
            Ok(value) => {
                values.insert(name.clone(), value);
            }
            Err(finding) => findings.push(*finding),
        }
    }
    values
}

fn describe(instance: &Instance<'_>) -> String {
    format!(
        "resource `{}` of `{}` in `{}`",
        instance.name, instance.service, instance.environment.name
    )
}

/// A platform provisioner's Terraform: its templates rendered, parsed back and
/// rewritten canonically, with its declared checkov skips.
fn custom(
    instance: &Instance<'_>,
    platform: &Platform,
    provisioner: &Provisioner,
    findings: &mut Vec<Finding>,
) -> Provisioned {
    let context = context(instance);
    let mut blocks = Vec::new();
    for template in &provisioner.templates {
        let text = match platform
            .templates
            .render(template, &context, &describe(instance))
        {
            Ok(text) => text,
            Err(finding) => {
                findings.push(*finding);
                continue;
            }
        };
        match hcl::from_hcl(&text) {
            Ok(parsed) => blocks.extend(parsed),
            Err(e) => {
                let Some(file) = platform.templates.source(template) else {
                    continue;
                };
                // At the template's text that made the place the parser stopped.
                let location = e
                    .position
                    .and_then(|(line, column)| {
                        let offset =
                            SourceFile::new(template.as_str(), text.as_str()).offset(line, column);
                        platform.templates.locate(template, &context, &text, offset)
                    })
                    .unwrap_or_else(|| Location::new(file, file.start()));
                findings.push(Finding::at(
                    Code::TemplateError,
                    location,
                    format!(
                        "the Terraform rendered for {} is not valid HCL: {}",
                        describe(instance),
                        crate::load::templates::redact(&e.to_string(), &context)
                    ),
                ));
            }
        }
    }
    for skip_entry in &provisioner.checkov_skips {
        let (kind, name) = match skip_entry.block.split_once('.') {
            Some((kind, name)) => (kind, Some(name)),
            None => (skip_entry.block.as_str(), None),
        };
        for block in &mut blocks {
            if matches!(block.kind.as_str(), "resource" | "data")
                && block.labels.first().map(String::as_str) == Some(kind)
                && name.is_none_or(|n| block.labels.get(1).map(String::as_str) == Some(n))
            {
                let comment = hcl::Item::Comment(format!(
                    "checkov:skip={}:{}",
                    skip_entry.check, skip_entry.reason
                ));
                block.body.items.insert(0, comment);
            }
        }
    }
    let origin = provisioner
        .templates
        .first()
        .and_then(|name| platform.templates.source(name))
        .map(|file| crate::syntax::source::Location::new(file, file.start()));
    Provisioned {
        blocks,
        network: true,
        kms: true,
        origin,
        ..Provisioned::default()
    }
}

/// A platform provisioner's permissions, with their strings rendered.
fn custom_permissions(
    instance: &Instance<'_>,
    platform: &Platform,
    provisioner: &Provisioner,
) -> Vec<Json> {
    let context = context(instance);
    let render = |text: &str| {
        platform
            .templates
            .render_str(
                text,
                &context,
                &provisioner.origin.value("/permissions"),
                "a permission",
            )
            .unwrap_or_else(|_| text.to_string())
    };
    provisioner
        .permissions
        .iter()
        .map(|statement| {
            let strings = |key: &str| -> Vec<String> {
                statement[key]
                    .as_array()
                    .map(|a| a.iter().filter_map(Json::as_str).map(render).collect())
                    .unwrap_or_default()
            };
            let mut out =
                json!({ "actions": strings("actions"), "resources": strings("resources") });
            if let Some(sid) = statement.get("sid").and_then(Json::as_str) {
                out["sid"] = json!(format!("{}{sid}", names::camel(&instance.name)));
            }
            out
        })
        .collect()
}
