//! ExternalSecrets: the service's `spec.secrets`, and the values composed from its
//! resources' secret outputs, read from the cloud secret store by the External Secrets
//! operator.

use serde_json::{Value as Json, json};

use crate::render::k8s::{metadata, resources_secret, user_secret};
use crate::render::unit::{Piece, Unit};

fn external_secret(unit: &Unit<'_>, name: &str, data: Vec<Json>, template: Option<Json>) -> Json {
    let mut target = json!({ "name": name, "creationPolicy": "Owner" });
    if let Some(template) = template {
        target["template"] = template;
    }
    json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": metadata(unit, name),
        "spec": {
            "refreshInterval": "1h",
            "secretStoreRef": { "kind": "ClusterSecretStore", "name": unit.config.kubernetes.secret_store },
            "target": target,
            "data": data,
        },
    })
}

pub(crate) fn user_external_secret(unit: &Unit<'_>) -> Json {
    let data = unit
        .spec
        .secrets
        .iter()
        .map(|(env, reference)| {
            let mut remote = json!({ "key": reference.reference });
            if let Some(key) = &reference.key {
                remote["property"] = json!(key);
            }
            json!({ "secretKey": env, "remoteRef": remote })
        })
        .collect();
    external_secret(unit, &user_secret(unit), data, None)
}

/// Values built from resource outputs: each secret-store value is fetched once, and a
/// template (Go text/template, as the External Secrets operator runs it) joins them
/// with the literal text, which is written as a quoted Go string so it stays text.
pub(crate) fn resources_external_secret(
    unit: &Unit<'_>,
    composed: &[(String, Vec<Piece>)],
) -> Json {
    let mut fetched = std::collections::BTreeMap::new();
    let mut templates = serde_json::Map::new();
    for (key, pieces) in composed {
        let mut template = String::new();
        for piece in pieces {
            match piece {
                Piece::Text(text) => {
                    template.push_str("{{ ");
                    template.push_str(&go_string(text));
                    template.push_str(" }}");
                }
                Piece::Secret {
                    resource,
                    path,
                    property,
                } => {
                    let input = format!("{resource}.{property}");
                    fetched.insert(input.clone(), (path.clone(), property.clone()));
                    template.push_str(&format!("{{{{ index . {} }}}}", go_string(&input)));
                }
            }
        }
        templates.insert(key.clone(), json!(template));
    }
    let data = fetched
        .into_iter()
        .map(|(input, (path, property))| {
            json!({ "secretKey": input, "remoteRef": { "key": path, "property": property } })
        })
        .collect();
    let template = json!({ "engineVersion": "v2", "data": templates });
    external_secret(unit, &resources_secret(unit), data, Some(template))
}

/// A Go string literal: JSON's escapes are valid Go escapes.
pub(crate) fn go_string(text: &str) -> String {
    serde_json::to_string(text).expect("strings always serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_strings_stay_text() {
        assert_eq!(go_string("{{ .x }}\"\n"), r#""{{ .x }}\"\n""#);
    }
}
