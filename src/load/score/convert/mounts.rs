//! What a container mounts: the files the workload writes, and volume resources.

use serde_json::{Map, Value as Json, json};

use crate::diag::codes::Code;
use crate::diag::finding::printable;
use crate::diag::origin::escape_pointer;
use crate::load::score::convert::Converter;
use crate::load::score::substitute::{self, Target, Token};

impl Converter<'_> {
    /// Score's files (a map by target path, or the deprecated list) as paved files:
    /// placeholders in their content substituted unless `noExpand` says not to.
    pub(super) fn files(&mut self, at: &str, files: &Json) -> Map<String, Json> {
        let entries: Vec<(String, String, &Json)> = match files {
            Json::Object(map) => map
                .iter()
                .map(|(target, file)| {
                    let pointer = format!("{at}/files/{}", escape_pointer(target));
                    (target.clone(), pointer, file)
                })
                .collect(),
            Json::Array(items) => items
                .iter()
                .enumerate()
                .filter_map(|(i, file)| {
                    let target = file.get("target")?.as_str()?.to_string();
                    Some((target, format!("{at}/files/{i}"), file))
                })
                .collect(),
            _ => Vec::new(),
        };
        let mut out = Map::new();
        for (target, pointer, file) in entries {
            if file.get("source").is_some() {
                self.unsupported(
                    pointer,
                    format!(
                        "file `{}` is not mounted: paved does not read `source` files",
                        printable(&target)
                    ),
                    "write the file's text under `content`",
                );
                continue;
            }
            let mut converted = Map::new();
            if let Some(content) = file.get("content").and_then(Json::as_str) {
                let expand = !file
                    .get("noExpand")
                    .and_then(Json::as_bool)
                    .unwrap_or(false);
                let content = if expand {
                    match self.file_content(content) {
                        Ok(content) => content,
                        Err(message) => {
                            self.unsupported(pointer, format!("file `{}` is not mounted: {message}", printable(&target)), "files take the workload's metadata; pass resource outputs to the container through variables");
                            continue;
                        }
                    }
                } else {
                    content.to_string()
                };
                converted.insert("content".into(), json!(content));
            }
            for field in ["binaryContent", "mode"] {
                if let Some(value) = file.get(field) {
                    converted.insert(field.into(), value.clone());
                }
            }
            self.map
                .insert(format!("/spec/files/{}", escape_pointer(&target)), pointer);
            out.insert(target, Json::Object(converted));
        }
        out
    }

    /// A container's volumes (a map by target path, or the deprecated list) as paved
    /// mounts at `paved`, if it mounts any: a volume's `source`, `${resources.<name>}`,
    /// names the mounted resource, which the resolver checks is a declared volume.
    pub(super) fn volumes(&mut self, at: &str, paved: &str, container: &Json) -> Option<Json> {
        let volumes = container.get("volumes")?;
        self.map.insert(paved, format!("{at}/volumes"));
        // Each volume with its target, where it is written and where its target is.
        let entries: Vec<(Option<String>, String, String, &Json)> = match volumes {
            Json::Object(map) => map
                .iter()
                .map(|(target, volume)| {
                    let pointer = format!("{at}/volumes/{}", escape_pointer(target));
                    (Some(target.clone()), pointer.clone(), pointer, volume)
                })
                .collect(),
            Json::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, volume)| {
                    let target = volume.get("target").and_then(Json::as_str);
                    let pointer = format!("{at}/volumes/{i}");
                    let target_pointer = format!("{pointer}/target");
                    (target.map(str::to_string), pointer, target_pointer, volume)
                })
                .collect(),
            _ => Vec::new(),
        };
        let mut out = Map::new();
        for (target, pointer, target_pointer, volume) in entries {
            let Some(target) = target else {
                self.note(
                    Code::MissingField,
                    pointer,
                    String::from("a volume of the list form needs a `target`: where it is mounted"),
                    Some(
                        "add `target: <absolute path>`, or write `volumes` as a map by target path",
                    ),
                );
                continue;
            };
            let source = volume
                .get("source")
                .and_then(Json::as_str)
                .unwrap_or_default();
            let Some(resource) = self.volume_source(source) else {
                self.note(
                    Code::UnknownVolume,
                    format!("{pointer}/source"),
                    format!(
                        "the volume at `{}` is not mounted: its source `{}` does not name a resource",
                        printable(&target),
                        printable(source)
                    ),
                    Some("write `source: ${resources.<name>}`, naming a resource of type `volume`"),
                );
                continue;
            };
            if out.contains_key(&target) {
                self.note(
                    Code::VolumeMountConflict,
                    target_pointer,
                    format!(
                        "another volume is mounted at `{}` already",
                        printable(&target)
                    ),
                    Some("mount one of them at another path"),
                );
                continue;
            }
            let mut mount = json!({ "resource": resource });
            for field in ["path", "readOnly"] {
                if let Some(value) = volume.get(field) {
                    mount[field] = value.clone();
                }
            }
            let mounted = format!("{paved}/{}", escape_pointer(&target));
            for (field, score) in [
                ("resource", "source"),
                ("path", "path"),
                ("readOnly", "readOnly"),
            ] {
                self.map
                    .insert(format!("{mounted}/{field}"), format!("{pointer}/{score}"));
            }
            self.map.insert(mounted, target_pointer);
            out.insert(target, mount);
        }
        (!out.is_empty()).then_some(Json::Object(out))
    }

    /// The resource a volume's `source` names, when it is `${resources.<name>}` and
    /// nothing else. Whether that resource is declared, and a volume, is the
    /// resolver's to say, as for a Service's mounts.
    fn volume_source(&self, source: &str) -> Option<String> {
        let tokens = substitute::tokens(source);
        let [Token::Ref { body, .. }] = tokens.as_slice() else {
            return None;
        };
        match substitute::target(body, &self.metadata, |_| true) {
            Ok(Target::Resource { name, keys }) if keys.is_empty() => Some(name),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diag::codes::Code;
    use crate::load::score::convert::convert;
    use crate::load::score::convert::tests::{codes_at, workload};
    use serde_json::json;

    #[test]
    fn unknown_placeholders_and_left_out_parts_are_reported() {
        let mut score = workload();
        score["containers"]["main"]["variables"]["BAD"] = json!("${metadata.nope}");
        score["containers"]["main"]["files"] = json!({
            "/etc/x": {"source": "x.conf"},
            "/etc/name": {"content": "${metadata.name} $${kept}", "mode": "0600"},
            "/etc/raw": {"content": "${metadata.name}", "noExpand": true},
            "/etc/db": {"content": "${resources.db.host}"},
        });
        score["containers"]["sidecar"] = json!({"image": "busybox"});
        let order = [String::from("main"), String::from("sidecar")];
        let conversion = convert(&score, &order, None);
        let codes: Vec<(Code, &str)> = conversion
            .notes
            .iter()
            .map(|n| (n.code, n.pointer.as_str()))
            .collect();
        assert_eq!(
            codes,
            vec![
                (Code::UnknownPlaceholder, "/containers/main/variables/BAD"),
                (Code::ScoreUnsupported, "/containers/main/files/~1etc~1db"),
                (Code::ScoreUnsupported, "/containers/main/files/~1etc~1x"),
            ]
        );
        assert_eq!(
            conversion.service["spec"]["sidecars"],
            json!({"sidecar": {"image": "busybox"}})
        );
        assert_eq!(
            conversion.service["spec"]["files"],
            json!({
                "/etc/name": {"content": "orders ${kept}", "mode": "0600"},
                "/etc/raw": {"content": "${metadata.name}"},
            })
        );
    }

    #[test]
    fn volumes_mount_volume_resources() {
        let mut score = workload();
        score["resources"]["scratch"] = json!({"type": "volume", "params": {"sizeLimit": "2Gi"}});
        score["containers"]["main"]["volumes"] = json!({
            "/var/cache": {"source": "${resources.scratch}", "path": "cache", "readOnly": false},
            "/literal": {"source": "scratch"},
            "/output": {"source": "${resources.db.host}"},
        });
        score["containers"]["shipper"] = json!({
            "image": "ghcr.io/acme/shipper:1.0.0",
            "volumes": [
                {"source": "${resources.scratch}", "target": "/logs", "readOnly": true},
                {"source": "${resources.scratch}", "target": "/logs"},
                {"source": "${resources.scratch}"},
            ],
        });
        let order = [String::from("main"), String::from("shipper")];
        let conversion = convert(&score, &order, None);
        let spec = &conversion.service["spec"];
        assert_eq!(
            spec["resources"]["scratch"],
            json!({"type": "volume", "params": {"sizeLimit": "2Gi"}})
        );
        assert_eq!(
            spec["volumes"],
            json!({"/var/cache": {"resource": "scratch", "path": "cache", "readOnly": false}})
        );
        assert_eq!(
            spec["sidecars"]["shipper"]["volumes"],
            json!({"/logs": {"resource": "scratch", "readOnly": true}})
        );
        assert_eq!(
            codes_at(&conversion),
            vec![
                (
                    Code::UnknownVolume,
                    "/containers/main/volumes/~1literal/source"
                ),
                (
                    Code::UnknownVolume,
                    "/containers/main/volumes/~1output/source"
                ),
                (
                    Code::VolumeMountConflict,
                    "/containers/shipper/volumes/1/target"
                ),
                (Code::MissingField, "/containers/shipper/volumes/2"),
            ]
        );
        let map = &conversion.map;
        assert_eq!(
            map.translate("/spec/volumes/~1var~1cache/resource"),
            "/containers/main/volumes/~1var~1cache/source"
        );
        assert_eq!(
            map.translate("/spec/sidecars/shipper/volumes/~1logs"),
            "/containers/shipper/volumes/0/target"
        );
        assert_eq!(
            map.translate("/spec/sidecars/shipper/volumes/~1logs/readOnly"),
            "/containers/shipper/volumes/0/readOnly"
        );
    }
}
