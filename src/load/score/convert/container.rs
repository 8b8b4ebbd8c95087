//! The workload's containers: the first as the Service's own (image, command,
//! variables, probes, files, volumes), the others as sidecars, and notes on the
//! container fields paved does not render.

use serde_json::{Map, Value as Json, json};

use crate::diag::finding::printable;
use crate::diag::origin::escape_pointer;
use crate::load::score::convert::Converter;

impl Converter<'_> {
    pub(super) fn container(&mut self, name: &str, container: &Json, spec: &mut Map<String, Json>) {
        let at = format!("/containers/{}", escape_pointer(name));
        if let Some(image) = container.get("image") {
            spec.insert("image".into(), image.clone());
        }
        self.map.insert("/spec/image", format!("{at}/image"));
        for field in ["command", "args"] {
            let Some(items) = container.get(field).and_then(Json::as_array) else {
                continue;
            };
            self.map
                .insert(format!("/spec/{field}"), format!("{at}/{field}"));
            let converted: Vec<Json> = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let pointer = format!("{at}/{field}/{i}");
                    json!(self.placeholders(item.as_str().unwrap_or_default(), &pointer))
                })
                .collect();
            spec.insert(field.into(), Json::Array(converted));
        }
        if let Some(variables) = container.get("variables").and_then(Json::as_object) {
            self.map.insert("/spec/env", format!("{at}/variables"));
            let env: Map<String, Json> = variables
                .iter()
                .map(|(key, value)| {
                    let pointer = format!("{at}/variables/{}", escape_pointer(key));
                    let value = self.placeholders(value.as_str().unwrap_or_default(), &pointer);
                    (key.clone(), json!(value))
                })
                .collect();
            if !env.is_empty() {
                spec.insert("env".into(), Json::Object(env));
            }
        }
        let mut probes = Map::new();
        for (score_key, paved_key) in [
            ("livenessProbe", "liveness"),
            ("readinessProbe", "readiness"),
        ] {
            let Some(probe) = container.get(score_key) else {
                continue;
            };
            let pointer = format!("{at}/{score_key}");
            self.map
                .insert(format!("/spec/probes/{paved_key}"), pointer.clone());
            if let Some(converted) = self.probe(probe, &pointer) {
                probes.insert(paved_key.into(), converted);
            }
        }
        if !probes.is_empty() {
            spec.insert("probes".into(), Json::Object(probes));
        }
        if let Some(files) = container.get("files") {
            let files = self.files(&at, files);
            if !files.is_empty() {
                spec.insert("files".into(), Json::Object(files));
            }
        }
        if let Some(mounts) = self.volumes(&at, "/spec/volumes", container) {
            spec.insert("volumes".into(), mounts);
        }
        self.left_out(&at, name, container, &["before", "resources"]);
    }

    /// Report the fields of a container that paved does not render.
    fn left_out(&mut self, at: &str, name: &str, container: &Json, fields: &[&str]) {
        for field in fields {
            let (what, help) = match *field {
                "files" => (
                    "a sidecar's files are not mounted",
                    "mount them with a platform template or patch (docs/extending.md), or bake them into the image",
                ),
                "before" => (
                    "start order between containers is not rendered: all start together",
                    "remove `before`, or make the container wait for what it needs",
                ),
                "resources" => (
                    "container CPU and memory are not used: paved sizes every container from `paved.dev/size`",
                    "set the `paved.dev/size` annotation to a size of paved.yaml, and remove `resources`",
                ),
                _ => (
                    "a sidecar's probes are not rendered: the pod's health is the first container's",
                    "probe the first container, or remove the sidecar's probe",
                ),
            };
            if container.get(*field).is_some() {
                self.unsupported(
                    format!("{at}/{field}"),
                    format!("`{field}` of container `{}`: {what}", printable(name)),
                    help,
                );
            }
        }
    }

    /// A container after the first as a paved sidecar: its image, command, arguments and
    /// variables, with the workload's metadata substituted. One that reads resource
    /// outputs is left out: paved delivers outputs to the service's own container.
    pub(super) fn sidecar(&mut self, name: &str, container: &Json) -> Option<Json> {
        let at = format!("/containers/{}", escape_pointer(name));
        let mut sidecar = json!({ "image": container.get("image").cloned().unwrap_or_default() });
        let mut failed = None;
        for field in ["command", "args"] {
            let Some(items) = container.get(field).and_then(Json::as_array) else {
                continue;
            };
            let mut converted = Vec::new();
            for (i, item) in items.iter().enumerate() {
                match self.file_content(item.as_str().unwrap_or_default()) {
                    Ok(text) => converted.push(json!(text)),
                    Err(message) => {
                        failed = failed.or(Some((format!("{at}/{field}/{i}"), message)))
                    }
                }
            }
            sidecar[field] = Json::Array(converted);
        }
        if let Some(variables) = container.get("variables").and_then(Json::as_object) {
            let mut env = Map::new();
            for (key, value) in variables {
                match self.file_content(value.as_str().unwrap_or_default()) {
                    Ok(text) => {
                        env.insert(key.clone(), json!(text));
                    }
                    Err(message) => {
                        let pointer = format!("{at}/variables/{}", escape_pointer(key));
                        failed = failed.or(Some((pointer, message)));
                    }
                }
            }
            if !env.is_empty() {
                sidecar["env"] = Json::Object(env);
            }
        }
        if let Some((pointer, message)) = failed {
            self.unsupported(
                pointer,
                format!("container `{}` is not rendered: {message}", printable(name)),
                "read resource outputs in the first container, or run this one as a workload of its own",
            );
            return None;
        }
        self.left_out(
            &at,
            name,
            container,
            &[
                "files",
                "before",
                "resources",
                "livenessProbe",
                "readinessProbe",
            ],
        );
        let paved = format!("/spec/sidecars/{}", escape_pointer(name));
        if let Some(mounts) = self.volumes(&at, &format!("{paved}/volumes"), container) {
            sidecar["volumes"] = mounts;
        }
        self.map.insert(paved.clone(), at.clone());
        self.map
            .insert(format!("{paved}/env"), format!("{at}/variables"));
        Some(sidecar)
    }

    /// A Score probe as a paved probe: the exec form when there is one (Score prefers it),
    /// else the HTTP form.
    fn probe(&mut self, probe: &Json, pointer: &str) -> Option<Json> {
        if let Some(command) = probe.pointer("/exec/command") {
            if probe.get("httpGet").is_some() {
                self.unsupported(
                    format!("{pointer}/httpGet"),
                    String::from(
                        "the probe has both forms; paved runs the `exec` one, as Score prefers",
                    ),
                    "keep one form of the probe",
                );
            }
            return Some(json!({"type": "exec", "command": command}));
        }
        let http = probe.get("httpGet")?;
        for field in ["host", "scheme", "httpHeaders"] {
            if http.get(field).is_some() {
                self.unsupported(
                    format!("{pointer}/httpGet/{field}"),
                    format!("`httpGet.{field}` is not rendered: paved probes the pod's own address over HTTP"),
                    "remove it, or use an `exec` probe for a check that needs it",
                );
            }
        }
        Some(json!({
            "type": "http",
            "path": http.get("path").cloned().unwrap_or_else(|| json!("/")),
            "port": http.get("port").cloned().unwrap_or(Json::Null),
        }))
    }
}
