//! What a service's pods mount: its `spec.files` from a ConfigMap, and its mountable
//! resources (volumes).

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use crate::model::intent::Mount;
use crate::model::names;
use crate::render::k8s::metadata;
use crate::render::unit::Unit;

/// ConfigMap holding the service's `spec.files`.
fn files_config_map_name(unit: &Unit<'_>) -> String {
    format!("{}-files", unit.name())
}

/// Each file with its ConfigMap key, in path order: the index keeps keys apart, the
/// file's name keeps them readable (keys allow letters, digits, `-`, `_` and `.`).
fn file_keys<'u>(unit: &'u Unit<'_>) -> Vec<(&'u String, String, &'u crate::model::intent::File)> {
    unit.spec
        .files
        .iter()
        .enumerate()
        .map(|(i, (path, file))| {
            let base = path.rsplit('/').next().unwrap_or_default();
            let name: String = base
                .chars()
                .take(200)
                .map(|c| {
                    if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            (path, format!("{i}-{name}"), file)
        })
        .collect()
}

pub(crate) fn files_config_map(unit: &Unit<'_>) -> Json {
    let mut data = serde_json::Map::new();
    let mut binary = serde_json::Map::new();
    for (_, key, file) in file_keys(unit) {
        if let Some(content) = &file.content {
            data.insert(key, json!(content));
        } else if let Some(bytes) = &file.binary_content {
            binary.insert(key, json!(bytes));
        }
    }
    let mut config_map = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": metadata(unit, &files_config_map_name(unit)),
    });
    if !data.is_empty() {
        config_map["data"] = Json::Object(data);
    }
    if !binary.is_empty() {
        config_map["binaryData"] = Json::Object(binary);
    }
    config_map
}

/// The pod volume of the service's files, and the container's mounts of them.
pub(crate) fn file_volume(unit: &Unit<'_>) -> Option<(Json, Vec<Json>)> {
    if unit.spec.files.is_empty() {
        return None;
    }
    let keys = file_keys(unit);
    let items: Vec<Json> = keys
        .iter()
        .map(|(_, key, file)| {
            let mode = file
                .mode
                .as_deref()
                .and_then(|m| u32::from_str_radix(m, 8).ok())
                .unwrap_or(0o644);
            json!({ "key": key, "path": key, "mode": mode })
        })
        .collect();
    let mounts = keys
        .iter()
        .map(|(path, key, _)| {
            json!({ "name": "files", "mountPath": path, "subPath": key, "readOnly": true })
        })
        .collect();
    let volume = json!({
        "name": "files",
        "configMap": { "name": files_config_map_name(unit), "items": items },
    });
    Some((volume, mounts))
}

/// The name of a mountable resource's pod volume, kept apart from the `tmp` and
/// `files` volumes.
fn volume_name(resource: &str) -> String {
    names::bounded(&["volume", resource], 63)
}

/// The pod volumes of the service's mountable resources (`volume`): scratch space.
pub(crate) fn resource_volumes(unit: &Unit<'_>) -> Vec<Json> {
    unit.instances
        .iter()
        .filter_map(|instance| {
            let source = instance.kind.role()?.pod_volume(instance)?;
            let mut volume = json!({ "name": volume_name(&instance.name) });
            if let (Some(volume), Json::Object(source)) = (volume.as_object_mut(), source) {
                volume.extend(source);
            }
            Some(volume)
        })
        .collect()
}

/// A container's mounts of volume resources, in path order.
pub(crate) fn volume_mounts(mounts: &BTreeMap<String, Mount>) -> impl Iterator<Item = Json> + '_ {
    mounts.iter().map(|(path, mount)| {
        let mut out = json!({ "name": volume_name(&mount.resource), "mountPath": path });
        if let Some(sub_path) = &mount.path {
            out["subPath"] = json!(sub_path);
        }
        if mount.read_only {
            out["readOnly"] = json!(true);
        }
        out
    })
}

/// A digest of the service's files: a pod template annotation, so that a change of
/// the files rolls the pods (files mounted by `subPath` are never updated in place).
pub(crate) fn files_digest(unit: &Unit<'_>) -> String {
    use sha2::{Digest, Sha256};
    let text = serde_json::to_string(&*unit.spec.files).unwrap_or_default();
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::intent::Mount;
    use serde_json::json;
    use std::collections::BTreeMap;

    #[test]
    fn mounts_name_their_volume_and_say_only_what_differs() {
        let mounts = BTreeMap::from([
            (
                String::from("/data"),
                Mount {
                    resource: String::from("scratch"),
                    path: Some(String::from("sub")),
                    read_only: true,
                },
            ),
            (
                String::from("/var/cache"),
                Mount {
                    resource: "v".repeat(63),
                    path: None,
                    read_only: false,
                },
            ),
        ]);
        let rendered: Vec<Json> = volume_mounts(&mounts).collect();
        assert_eq!(
            rendered[0],
            json!({"name": "volume-scratch", "mountPath": "/data", "subPath": "sub", "readOnly": true})
        );
        let long = rendered[1]["name"].as_str().unwrap();
        assert!(long.len() <= 63 && long.starts_with("volume-v"), "{long}");
        assert_eq!(rendered[1].as_object().unwrap().len(), 2);
    }
}
