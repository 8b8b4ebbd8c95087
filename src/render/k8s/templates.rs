//! The platform's Kubernetes templates (`platform/templates/kubernetes/`): each renders
//! one file in every service's folder, beside the built-in files or in place of the one
//! with its name.

use serde_json::{Value as Json, json};

use crate::diag::codes::Code;
use crate::diag::finding::Finding;
use crate::render::Tree;
use crate::render::unit::{EnvValue, Unit, environment_context};

/// The platform's Kubernetes templates: each renders one file in the service's folder,
/// replacing the built-in file of the same name; a template that renders nothing
/// removes it.
pub(crate) fn platform_templates(
    unit: &Unit<'_>,
    tree: &mut Tree,
    dir: &str,
    findings: &mut Vec<Finding>,
) {
    if unit.platform.kubernetes.is_empty() {
        return;
    }
    let context = template_context(unit);
    let what = format!("service `{}` in `{}`", unit.name(), unit.env.name);
    for (output, file) in &unit.platform.kubernetes {
        let text = match unit.platform.templates.render(&file.path, &context, &what) {
            Ok(text) => text,
            Err(finding) => {
                findings.push(*finding);
                continue;
            }
        };
        let rendered =
            crate::syntax::source::SourceFile::new(format!("{}: {output}", file.path), text);
        // Rendered output is bounded by `limits.maxOutputFileBytes`, not by the limits
        // on input.
        let loaded = crate::syntax::yaml::load(&rendered, crate::syntax::yaml::Limits::LARGEST);
        if let Some(problem) = loaded.problems.first() {
            // At the template's text that made the place the problem is at.
            let location = unit
                .platform
                .templates
                .locate(&file.path, &context, &rendered.text, problem.span.start)
                .unwrap_or_else(|| crate::syntax::source::Location::new(file, file.start()));
            findings.push(Finding::at(
                Code::TemplateError,
                location,
                format!(
                    "the YAML rendered for {what} is not valid at its line {}: {}",
                    problem.span.line,
                    crate::load::templates::redact(&problem.message, &context)
                ),
            ));
            continue;
        }
        let documents: Vec<Json> = loaded
            .documents
            .iter()
            .filter(|d| d.value != crate::syntax::yaml::Value::Null)
            .map(crate::syntax::yaml::Node::to_json)
            .collect();
        let path = format!("{dir}/{output}");
        tree.origins.insert(
            path.clone(),
            crate::syntax::source::Location::new(file, file.start()),
        );
        tree.replace_yaml(path, documents);
    }
}

/// What a platform Kubernetes template knows about the service.
fn template_context(unit: &Unit<'_>) -> Json {
    let metadata = &unit.entry.service.metadata;
    let spec = unit.spec;
    let env: serde_json::Map<String, Json> = unit
        .env_values()
        .into_iter()
        .filter_map(|(name, value)| match value {
            EnvValue::Text(text) => Some((name, json!(text))),
            _ => None,
        })
        .collect();
    let resources: serde_json::Map<String, Json> = unit
        .instances
        .iter()
        .map(|i| {
            let outputs: serde_json::Map<String, Json> = i
                .kind
                .output_names()
                .into_iter()
                .filter_map(|o| i.output_value(o).map(|v| (o.to_string(), json!(v))))
                .collect();
            (
                i.name.clone(),
                json!({ "type": i.kind.name(), "outputs": outputs }),
            )
        })
        .collect();
    json!({
        "service": {
            "name": unit.name(),
            "team": unit.team(),
            "namespace": unit.team(),
            "system": metadata.system,
            "tier": metadata.tier,
            "description": metadata.description,
            "annotations": metadata.annotations,
            "type": format!("{:?}", spec.kind).to_lowercase(),
            "image": spec.image,
            "replicas": unit.replicas(),
            "minReplicas": unit.min_replicas(),
            "size": spec.size.clone().unwrap_or_else(|| unit.config.default_size.clone()),
            "ports": spec.ports.iter().map(|p| json!({ "name": p.name, "port": p.port, "servicePort": p.service_port.unwrap_or(p.port), "protocol": p.protocol })).collect::<Vec<_>>(),
            "dependencies": *spec.dependencies,
            "env": env,
            "labels": unit.labels(),
            "selector": unit.selector(),
        },
        "environment": environment_context(unit.env),
        "resources": resources,
    })
}
