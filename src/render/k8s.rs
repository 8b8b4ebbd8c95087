//! Kubernetes objects of a service in one environment, written to
//! `kubernetes/<env>/<team>/<service>/`, and the team namespaces.

use std::collections::BTreeMap;

use serde_json::{Value as Json, json};

use crate::model::config::{ArgoCd, Config, Environment, IngressKind};
use crate::model::intent::{Mount, PortRef, Probe, ProbeType, Visibility};

use super::{EnvValue, Piece, Tree, Unit};
use crate::diag::codes::Code;
use crate::diag::finding::Finding;
use crate::model::names;

/// Secret (and ExternalSecret) holding values built from resource outputs.
fn resources_secret(unit: &Unit<'_>) -> String {
    format!("{}-resources", unit.name())
}

/// Secret (and ExternalSecret) holding the service's `spec.secrets`.
fn user_secret(unit: &Unit<'_>) -> String {
    format!("{}-secrets", unit.name())
}

pub(super) fn folder(unit: &Unit<'_>) -> String {
    format!(
        "kubernetes/{}/{}/{}",
        unit.env.name,
        unit.team(),
        unit.name()
    )
}

fn metadata(unit: &Unit<'_>, name: &str) -> Json {
    json!({
        "name": name,
        "namespace": unit.team(),
        "labels": unit.labels(),
    })
}

pub(super) fn render(unit: &Unit<'_>, tree: &mut Tree, findings: &mut Vec<Finding>) {
    let dir = folder(unit);
    render_built_in(unit, tree, &dir);
    platform_templates(unit, tree, &dir, findings);
}

/// The platform's Kubernetes templates: each renders one file in the service's folder,
/// replacing the built-in file of the same name; a template that renders nothing
/// removes it.
fn platform_templates(unit: &Unit<'_>, tree: &mut Tree, dir: &str, findings: &mut Vec<Finding>) {
    if unit.platform.kubernetes.is_empty() {
        return;
    }
    let context = template_context(unit);
    let what = format!("service `{}` in `{}`", unit.name(), unit.env.name);
    for (output, file) in &unit.platform.kubernetes {
        let text = match unit.platform.render(&file.path, &context, &what) {
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
            findings.push(Finding::new(
                Code::TemplateError,
                file,
                file.start(),
                format!(
                    "the YAML rendered for {what} is not valid at its line {}: {}",
                    problem.span.line,
                    crate::load::platform::redact(&problem.message, &context)
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
        "environment": super::environment_context(unit.env),
        "resources": resources,
    })
}

fn render_built_in(unit: &Unit<'_>, tree: &mut Tree, dir: &str) {
    let composed = composed_values(unit);
    tree.yaml(format!("{dir}/serviceaccount.yaml"), &service_account(unit));
    tree.yaml(
        format!("{dir}/deployment.yaml"),
        &deployment(unit, &composed),
    );
    tree.yaml(format!("{dir}/networkpolicy.yaml"), &network_policy(unit));
    if !unit.spec.secrets.is_empty() {
        tree.yaml(
            format!("{dir}/externalsecret-secrets.yaml"),
            &user_external_secret(unit),
        );
    }
    if !composed.is_empty() {
        tree.yaml(
            format!("{dir}/externalsecret-resources.yaml"),
            &resources_external_secret(unit, &composed),
        );
    }
    if !unit.spec.files.is_empty() {
        tree.yaml(
            format!("{dir}/configmap-files.yaml"),
            &files_config_map(unit),
        );
    }
    if !unit.spec.ports.is_empty() {
        tree.yaml(format!("{dir}/service.yaml"), &service(unit));
        tree.yaml(format!("{dir}/servicemonitor.yaml"), &service_monitor(unit));
    }
    if let Some(autoscaling) = unit.spec.autoscaling {
        tree.yaml(
            format!("{dir}/horizontalpodautoscaler.yaml"),
            &hpa(unit, autoscaling),
        );
    }
    if unit.min_replicas() >= 2 {
        tree.yaml(format!("{dir}/poddisruptionbudget.yaml"), &pdb(unit));
    }
    let routes = routes(unit);
    if !routes.is_empty() {
        match unit.config.kubernetes.ingress.kind {
            IngressKind::Ingress => {
                tree.yaml(format!("{dir}/ingress.yaml"), &ingress(unit, &routes));
            }
            IngressKind::Gateway => {
                for (i, route) in routes.iter().enumerate() {
                    let file = if i == 0 {
                        String::from("httproute.yaml")
                    } else {
                        format!("httproute-{}.yaml", route.name)
                    };
                    tree.yaml(format!("{dir}/{file}"), &http_route(unit, route));
                }
            }
        }
    }
}

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

fn files_config_map(unit: &Unit<'_>) -> Json {
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
fn file_volume(unit: &Unit<'_>) -> Option<(Json, Vec<Json>)> {
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
fn resource_volumes(unit: &Unit<'_>) -> Vec<Json> {
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
fn volume_mounts(mounts: &BTreeMap<String, Mount>) -> impl Iterator<Item = Json> + '_ {
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
fn files_digest(unit: &Unit<'_>) -> String {
    use sha2::{Digest, Sha256};
    let text = serde_json::to_string(&*unit.spec.files).unwrap_or_default();
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn service_account(unit: &Unit<'_>) -> Json {
    let mut metadata = metadata(unit, unit.name());
    if unit.has_cloud_resources()
        && let Some(arn) = unit.role_arn()
    {
        metadata["annotations"] = json!({ "eks.amazonaws.com/role-arn": arn });
    }
    json!({
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": metadata,
        // Pods never talk to the Kubernetes API; the cloud role's token is projected
        // separately by the pod identity webhook.
        "automountServiceAccountToken": false,
    })
}

/// Values built from resource outputs at run time: env variables, and command or
/// args items (passed through `$(VAR)` expansion), each with its pieces.
fn composed_values(unit: &Unit<'_>) -> Vec<(String, Vec<Piece>)> {
    let mut composed: Vec<(String, Vec<Piece>)> = unit
        .env_values()
        .into_iter()
        .filter_map(|(name, value)| match value {
            EnvValue::Composed(pieces) => Some((name, pieces)),
            _ => None,
        })
        .collect();
    for (prefix, items) in [
        ("PAVED_COMMAND", &unit.spec.command),
        ("PAVED_ARGS", &unit.spec.args),
    ] {
        for (i, item) in items.iter().enumerate() {
            if let EnvValue::Composed(pieces) = unit.resolve_value(item) {
                composed.push((format!("{prefix}_{i}"), pieces));
            }
        }
    }
    composed
}

/// Kubernetes expands `$(VAR)` in values, commands and args and reads `$$` as `$`, so a
/// `$` before `(` or `$` is doubled to stay literal.
fn literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '$' && matches!(chars.peek(), Some('(' | '$')) {
            out.push('$');
        }
    }
    out
}

fn command_items(unit: &Unit<'_>, items: &[String], prefix: &str) -> Json {
    Json::Array(
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match unit.resolve_value(item) {
                EnvValue::Text(text) => json!(literal(&text)),
                _ => json!(format!("$({prefix}_{i})")),
            })
            .collect(),
    )
}

fn container_env(unit: &Unit<'_>, composed: &[(String, Vec<Piece>)]) -> Vec<Json> {
    let mut env: Vec<Json> = unit
        .env_values()
        .into_iter()
        .map(|(name, value)| match value {
            EnvValue::Text(text) => json!({ "name": name, "value": literal(&text) }),
            EnvValue::Composed(_) => secret_env(&name, &resources_secret(unit), &name),
            EnvValue::UserSecret => secret_env(&name, &user_secret(unit), &name),
        })
        .collect();
    for (name, _) in composed {
        if name.starts_with("PAVED_COMMAND_") || name.starts_with("PAVED_ARGS_") {
            env.push(secret_env(name, &resources_secret(unit), name));
        }
    }
    env
}

fn secret_env(name: &str, secret: &str, key: &str) -> Json {
    json!({
        "name": name,
        "valueFrom": { "secretKeyRef": { "name": secret, "key": key } },
    })
}

/// The port public traffic and default probes use: `spec.expose.port`, else a port
/// named `http`, else the first.
pub(super) fn main_port<'u>(unit: &'u Unit<'_>) -> Option<&'u crate::model::intent::Port> {
    let ports = &unit.spec.ports;
    if let Some(port) = unit.spec.expose.as_ref().and_then(|e| e.port.as_ref()) {
        return find_port(unit, port);
    }
    ports
        .iter()
        .find(|p| p.name == "http")
        .or_else(|| ports.first())
}

/// The port Prometheus scrapes: one named `metrics`, else the main port.
pub(super) fn metrics_port<'u>(unit: &'u Unit<'_>) -> Option<&'u crate::model::intent::Port> {
    unit.spec
        .ports
        .iter()
        .find(|p| p.name == "metrics")
        .or_else(|| main_port(unit))
}

fn find_port<'u>(unit: &'u Unit<'_>, port: &PortRef) -> Option<&'u crate::model::intent::Port> {
    unit.spec.ports.iter().find(|p| match port {
        PortRef::Name(name) => &p.name == name,
        PortRef::Number(number) => p.port == *number,
    })
}

fn probe(unit: &Unit<'_>, probe: &Probe) -> Json {
    let port = probe
        .port
        .as_ref()
        .and_then(|p| find_port(unit, p))
        .or_else(|| main_port(unit));
    let mut out = match probe.kind {
        ProbeType::Http => json!({
            "httpGet": {
                "path": probe.path.clone().unwrap_or_else(|| String::from("/")),
                "port": port.map_or(json!(8080), |p| json!(p.name)),
            }
        }),
        ProbeType::Tcp => json!({
            "tcpSocket": { "port": port.map_or(json!(8080), |p| json!(p.name)) }
        }),
        // gRPC probes take a port number, not a name.
        ProbeType::Grpc => json!({ "grpc": { "port": port.map_or(8080, |p| p.port) } }),
        ProbeType::Exec => json!({ "exec": { "command": probe.command } }),
    };
    for (key, value) in [
        ("initialDelaySeconds", probe.initial_delay_seconds),
        ("periodSeconds", probe.period_seconds),
        ("timeoutSeconds", probe.timeout_seconds),
        ("failureThreshold", probe.failure_threshold),
    ] {
        if let Some(value) = value {
            out[key] = json!(value);
        }
    }
    out
}

/// Probes: the intent's, or HTTP `GET /healthz` on the main port for services that
/// serve HTTP.
fn probes(unit: &Unit<'_>) -> Vec<(&'static str, Json)> {
    let default = Probe {
        kind: ProbeType::Http,
        path: Some(String::from("/healthz")),
        port: None,
        command: Vec::new(),
        initial_delay_seconds: None,
        period_seconds: None,
        timeout_seconds: None,
        failure_threshold: None,
    };
    let declared = &unit.spec.probes;
    let http = unit.serves_traffic();
    let mut out = Vec::new();
    for (key, probe_spec) in [
        ("livenessProbe", declared.liveness.as_ref()),
        ("readinessProbe", declared.readiness.as_ref()),
    ] {
        match probe_spec {
            Some(p) => out.push((key, probe(unit, p))),
            None if http => out.push((key, probe(unit, &default))),
            None => {}
        }
    }
    if let Some(startup) = &declared.startup {
        out.push(("startupProbe", probe(unit, startup)));
    }
    out
}

/// CPU quantity in millicores.
fn millicores(quantity: &str) -> u64 {
    match quantity.strip_suffix('m') {
        Some(m) => m.parse().unwrap_or(0),
        None => {
            let (whole, fraction) = quantity.split_once('.').unwrap_or((quantity, ""));
            let fraction = format!("{fraction:0<3}");
            whole.parse::<u64>().unwrap_or(0) * 1000 + fraction[..3].parse::<u64>().unwrap_or(0)
        }
    }
}

fn cpu_quantity(millicores: u64) -> String {
    if millicores.is_multiple_of(1000) {
        (millicores / 1000).to_string()
    } else {
        format!("{millicores}m")
    }
}

fn resources(unit: &Unit<'_>) -> Json {
    let size_name = unit
        .spec
        .size
        .clone()
        .unwrap_or_else(|| unit.config.default_size.clone());
    let Some(size) = unit.config.size(&size_name) else {
        return json!({});
    };
    let cpu_limit = size
        .cpu_limit
        .clone()
        .unwrap_or_else(|| cpu_quantity(millicores(&size.cpu) * 2));
    json!({
        "requests": { "cpu": size.cpu, "memory": size.memory },
        "limits": {
            "cpu": cpu_limit,
            "memory": size.memory_limit.clone().unwrap_or_else(|| size.memory.clone()),
        },
    })
}

/// What every container of a service's pods may do: as little as possible.
fn container_security(user: u32) -> Json {
    json!({
        "allowPrivilegeEscalation": false,
        "privileged": false,
        "readOnlyRootFilesystem": true,
        "runAsNonRoot": true,
        "runAsUser": user,
        "runAsGroup": user,
        "capabilities": { "drop": ["ALL"] },
        "seccompProfile": { "type": "RuntimeDefault" },
    })
}

fn deployment(unit: &Unit<'_>, composed: &[(String, Vec<Piece>)]) -> Json {
    let user = unit.config.kubernetes.run_as_user;
    let mut container = json!({
        "name": unit.name(),
        "image": unit.spec.image,
        "imagePullPolicy": "Always",
        "resources": resources(unit),
        "securityContext": container_security(user),
        // The root file system is read-only; /tmp is the one writable place.
        "volumeMounts": [{ "name": "tmp", "mountPath": "/tmp" }],
    });
    let env = container_env(unit, composed);
    if !env.is_empty() {
        container["env"] = Json::Array(env);
    }
    if !unit.spec.command.is_empty() {
        container["command"] = command_items(unit, &unit.spec.command, "PAVED_COMMAND");
    }
    if !unit.spec.args.is_empty() {
        container["args"] = command_items(unit, &unit.spec.args, "PAVED_ARGS");
    }
    if !unit.spec.ports.is_empty() {
        container["ports"] = Json::Array(
            unit.spec
                .ports
                .iter()
                .map(|p| json!({ "name": p.name, "containerPort": p.port, "protocol": p.protocol }))
                .collect(),
        );
    }
    for (key, value) in probes(unit) {
        container[key] = value;
    }
    let files = file_volume(unit);
    if let Some(list) = container["volumeMounts"].as_array_mut() {
        if let Some((_, mounts)) = &files {
            list.extend(mounts.iter().cloned());
        }
        list.extend(volume_mounts(&unit.spec.volumes));
    }
    let mut containers = vec![container];
    containers.extend(unit.spec.sidecars.iter().map(|(name, sidecar)| {
        let mut side = json!({
            "name": name,
            "image": sidecar.image,
            "imagePullPolicy": "Always",
            "resources": resources(unit),
            "securityContext": container_security(user),
            "volumeMounts": [{ "name": "tmp", "mountPath": "/tmp" }],
        });
        if let Some(list) = side["volumeMounts"].as_array_mut() {
            list.extend(volume_mounts(&sidecar.volumes));
        }
        if !sidecar.command.is_empty() {
            side["command"] = json!(sidecar.command);
        }
        if !sidecar.args.is_empty() {
            side["args"] = json!(sidecar.args);
        }
        if !sidecar.env.is_empty() {
            side["env"] = sidecar
                .env
                .iter()
                .map(|(name, value)| json!({ "name": name, "value": value }))
                .collect();
        }
        side
    }));
    let mut pod_spec = json!({
        "serviceAccountName": unit.name(),
        "automountServiceAccountToken": false,
        "enableServiceLinks": false,
        "securityContext": {
            "runAsNonRoot": true,
            "runAsUser": user,
            "runAsGroup": user,
            "fsGroup": user,
            "seccompProfile": { "type": "RuntimeDefault" },
        },
        "containers": containers,
        "volumes": [{ "name": "tmp", "emptyDir": { "sizeLimit": "256Mi" } }],
    });
    if let Some(list) = pod_spec["volumes"].as_array_mut() {
        list.extend(files.map(|(volume, _)| volume));
        list.extend(resource_volumes(unit));
    }
    if unit.env.production {
        let spread = |key: &str| {
            json!({
                "maxSkew": 1,
                "topologyKey": key,
                "whenUnsatisfiable": "ScheduleAnyway",
                "labelSelector": { "matchLabels": unit.selector() },
            })
        };
        pod_spec["topologySpreadConstraints"] = json!([
            spread("topology.kubernetes.io/zone"),
            spread("kubernetes.io/hostname"),
        ]);
    }
    let mut spec = json!({
        "revisionHistoryLimit": 5,
        "selector": { "matchLabels": unit.selector() },
        "strategy": {
            "type": "RollingUpdate",
            "rollingUpdate": { "maxSurge": "25%", "maxUnavailable": 0 },
        },
        "template": {
            "metadata": { "labels": unit.labels() },
            "spec": pod_spec,
        },
    });
    if !unit.spec.files.is_empty() {
        spec["template"]["metadata"]["annotations"] =
            json!({ "paved.dev/files-sha256": files_digest(unit) });
    }
    if unit.spec.autoscaling.is_none() {
        spec["replicas"] = json!(unit.replicas());
    }
    let mut metadata = metadata(unit, unit.name());
    metadata["annotations"] = checkov_skips(unit);
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": spec,
    })
}

/// Checks of checkov that paved's defaults knowingly do not meet, each with its reason
/// (checkov reads `checkov.io/skipN` annotations).
fn checkov_skips(unit: &Unit<'_>) -> Json {
    let mut skips = vec![(
        "CKV_K8S_43",
        "images are pinned by tag or digest as the intent says; the image policy decides",
    )];
    if unit
        .env_values()
        .iter()
        .any(|(_, v)| !matches!(v, EnvValue::Text(_)))
    {
        skips.push((
            "CKV_K8S_35",
            "the service reads secrets from environment variables, as twelve-factor apps do",
        ));
    }
    let declared = probes(unit);
    let has = |key: &str| declared.iter().any(|(k, _)| *k == key);
    let sidecars = !unit.spec.sidecars.is_empty();
    if !has("livenessProbe") {
        skips.push((
            "CKV_K8S_8",
            "the service serves no traffic and declares no liveness probe",
        ));
    } else if sidecars {
        skips.push((
            "CKV_K8S_8",
            "sidecars declare no probes; the pod's health is its service container's",
        ));
    }
    if !has("readinessProbe") {
        skips.push((
            "CKV_K8S_9",
            "the service serves no traffic and declares no readiness probe",
        ));
    } else if sidecars {
        skips.push((
            "CKV_K8S_9",
            "sidecars declare no probes; the pod's health is its service container's",
        ));
    }
    let map: serde_json::Map<String, Json> = skips
        .into_iter()
        .enumerate()
        .map(|(i, (check, reason))| {
            (
                format!("checkov.io/skip{}", i + 1),
                json!(format!("{check}={reason}")),
            )
        })
        .collect();
    Json::Object(map)
}

fn service(unit: &Unit<'_>) -> Json {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(unit, unit.name()),
        "spec": {
            "type": "ClusterIP",
            "selector": unit.selector(),
            "ports": unit.spec.ports.iter().map(|p| json!({
                "name": p.name,
                "port": p.service_port.unwrap_or(p.port),
                "targetPort": p.name,
                "protocol": p.protocol,
            })).collect::<Vec<_>>(),
        },
    })
}

fn service_monitor(unit: &Unit<'_>) -> Json {
    let mut labels = unit.labels();
    for (key, value) in &unit.config.monitoring.rule_labels {
        labels[key] = json!(value);
    }
    let port = metrics_port(unit).map_or_else(|| String::from("http"), |p| p.name.clone());
    json!({
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": { "name": unit.name(), "namespace": unit.team(), "labels": labels },
        "spec": {
            "selector": { "matchLabels": unit.selector() },
            "endpoints": [{ "port": port, "path": "/metrics", "interval": "30s" }],
        },
    })
}

fn hpa(unit: &Unit<'_>, autoscaling: crate::model::intent::Autoscaling) -> Json {
    let target = |resource: &str, utilization: u32| {
        json!({
            "type": "Resource",
            "resource": {
                "name": resource,
                "target": { "type": "Utilization", "averageUtilization": utilization },
            },
        })
    };
    let mut metrics = vec![target("cpu", autoscaling.cpu)];
    if let Some(memory) = autoscaling.memory {
        metrics.push(target("memory", memory));
    }
    json!({
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": metadata(unit, unit.name()),
        "spec": {
            "scaleTargetRef": { "apiVersion": "apps/v1", "kind": "Deployment", "name": unit.name() },
            "minReplicas": autoscaling.min,
            "maxReplicas": autoscaling.max,
            "metrics": metrics,
        },
    })
}

fn pdb(unit: &Unit<'_>) -> Json {
    json!({
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(unit, unit.name()),
        "spec": {
            "maxUnavailable": 1,
            "selector": { "matchLabels": unit.selector() },
        },
    })
}

fn namespace_peer(namespace: &str) -> Json {
    json!({ "namespaceSelector": { "matchLabels": { "kubernetes.io/metadata.name": namespace } } })
}

fn port_list(ports: &[&crate::model::intent::Port]) -> Json {
    Json::Array(
        ports
            .iter()
            .map(|p| json!({ "port": p.port, "protocol": p.protocol }))
            .collect(),
    )
}

/// Deny all ingress but from the services that declare a dependency on this one, the
/// ingress controller when public, and Prometheus on the metrics port.
fn network_policy(unit: &Unit<'_>) -> Json {
    let all: Vec<&crate::model::intent::Port> = unit.spec.ports.iter().collect();
    let mut rules = Vec::new();
    if !all.is_empty() {
        for dependent in &unit.dependents {
            let mut peer = namespace_peer(&dependent.service.metadata.owner);
            peer["podSelector"] = json!({ "matchLabels": { "app.kubernetes.io/name": dependent.service.metadata.name } });
            rules.push(json!({ "from": [peer], "ports": port_list(&all) }));
        }
        let routes = routes(unit);
        if !routes.is_empty() {
            let mut ports: Vec<&crate::model::intent::Port> =
                routes.iter().filter_map(|r| r.port).collect();
            ports.sort_by_key(|p| p.port);
            ports.dedup_by_key(|p| p.port);
            rules.push(json!({
                "from": [namespace_peer(&unit.config.kubernetes.ingress.namespace)],
                "ports": port_list(&ports),
            }));
        }
        if let Some(port) = metrics_port(unit) {
            rules.push(json!({
                "from": [namespace_peer(&unit.config.monitoring.namespace)],
                "ports": port_list(&[port]),
            }));
        }
    }
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": metadata(unit, unit.name()),
        "spec": {
            "podSelector": { "matchLabels": unit.selector() },
            "policyTypes": ["Ingress"],
            "ingress": rules,
        },
    })
}

/// A public way in: the exposure, or a `route` resource.
pub(super) struct Route<'u> {
    pub name: String,
    pub host: String,
    pub path: String,
    pub port: Option<&'u crate::model::intent::Port>,
    pub tls: bool,
}

pub(super) fn routes<'u>(unit: &'u Unit<'_>) -> Vec<Route<'u>> {
    let mut routes = Vec::new();
    if let Some(expose) = &unit.spec.expose
        && expose.visibility == Visibility::Public
        && let Some(host) = &expose.host
    {
        routes.push(Route {
            name: unit.name().to_string(),
            host: host.clone(),
            path: expose.path.clone().unwrap_or_else(|| String::from("/")),
            port: main_port(unit),
            tls: expose.tls,
        });
    }
    for instance in &unit.instances {
        let Some(route) = instance.kind.role().and_then(|t| t.route(instance)) else {
            continue;
        };
        let port = route
            .port
            .and_then(|p| find_port(unit, &p))
            .or_else(|| main_port(unit));
        routes.push(Route {
            name: instance.name.clone(),
            host: route.host,
            path: route.path,
            port,
            tls: true,
        });
    }
    routes
}

fn ingress(unit: &Unit<'_>, routes: &[Route<'_>]) -> Json {
    let settings = &unit.config.kubernetes.ingress;
    let rules: Vec<Json> = routes
        .iter()
        .map(|route| {
            json!({
                "host": route.host,
                "http": { "paths": [{
                    "path": route.path,
                    "pathType": "Prefix",
                    "backend": { "service": {
                        "name": unit.name(),
                        "port": { "name": route.port.map_or("http", |p| p.name.as_str()) },
                    } },
                }] },
            })
        })
        .collect();
    let mut tls_hosts: Vec<&str> = routes
        .iter()
        .filter(|r| r.tls)
        .map(|r| r.host.as_str())
        .collect();
    tls_hosts.sort_unstable();
    tls_hosts.dedup();
    let mut spec = json!({ "ingressClassName": settings.class_name, "rules": rules });
    let mut metadata = metadata(unit, unit.name());
    if !tls_hosts.is_empty() {
        spec["tls"] = json!([{ "hosts": tls_hosts, "secretName": format!("{}-tls", unit.name()) }]);
        metadata["annotations"] =
            json!({ "cert-manager.io/cluster-issuer": settings.cluster_issuer });
    }
    json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": metadata,
        "spec": spec,
    })
}

fn http_route(unit: &Unit<'_>, route: &Route<'_>) -> Json {
    let settings = &unit.config.kubernetes.ingress;
    let name = if route.name == unit.name() {
        unit.name().to_string()
    } else {
        names::bounded(&[unit.name(), &route.name], 63)
    };
    json!({
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": metadata(unit, &name),
        "spec": {
            "parentRefs": [{ "name": settings.gateway, "namespace": settings.namespace }],
            "hostnames": [route.host],
            "rules": [{
                "matches": [{ "path": { "type": "PathPrefix", "value": route.path } }],
                "backendRefs": [{ "name": unit.name(), "port": route.port.map_or(80, |p| p.service_port.unwrap_or(p.port)) }],
            }],
        },
    })
}

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

fn user_external_secret(unit: &Unit<'_>) -> Json {
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
fn resources_external_secret(unit: &Unit<'_>, composed: &[(String, Vec<Piece>)]) -> Json {
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
fn go_string(text: &str) -> String {
    serde_json::to_string(text).expect("strings always serialize")
}

pub(super) fn namespace(env: &Environment, team: &str, tree: &mut Tree) {
    let value = json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": team,
            "labels": {
                "app.kubernetes.io/managed-by": "paved",
                "paved.dev/team": team,
                "paved.dev/environment": env.name,
                "pod-security.kubernetes.io/enforce": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
            },
        },
    });
    tree.yaml(
        format!("kubernetes/{}/{team}/namespace.yaml", env.name),
        &value,
    );
}

fn destination(env: &Environment, namespace: &str) -> Json {
    match &env.cluster {
        Some(cluster) => json!({ "name": cluster, "namespace": namespace }),
        None => json!({ "server": "https://kubernetes.default.svc", "namespace": namespace }),
    }
}

fn application(
    argocd: &ArgoCd,
    name: &str,
    labels: Json,
    sources: Vec<Json>,
    destination: Json,
) -> Json {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": name,
            "namespace": argocd.namespace,
            "labels": labels,
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": {
            "project": argocd.project,
            "sources": sources,
            "destination": destination,
            "syncPolicy": {
                "automated": { "prune": true, "selfHeal": true },
                "syncOptions": ["CreateNamespace=false", "ServerSideApply=true"],
            },
        },
    })
}

pub(super) fn argocd_application(unit: &Unit<'_>, argocd: &ArgoCd, tree: &mut Tree) {
    let output = &unit.config.output;
    let source = |path: String| json!({ "repoURL": argocd.repo_url, "targetRevision": argocd.target_revision, "path": path });
    let mut sources = vec![source(format!("{output}/{}", folder(unit)))];
    if unit.serves_traffic() {
        let mut alerts = source(format!("{output}/alerts/{}", unit.env.name));
        alerts["directory"] = json!({ "include": format!("{}.yaml", unit.name()) });
        sources.push(alerts);
    }
    let name = names::bounded(&[&unit.env.name, unit.name()], 63);
    let value = application(
        argocd,
        &name,
        unit.labels(),
        sources,
        destination(unit.env, unit.team()),
    );
    tree.yaml(
        format!("argocd/{}/{}.yaml", unit.env.name, unit.name()),
        &value,
    );
}

pub(super) fn argocd_namespace_application(
    config: &Config,
    env: &Environment,
    team: &str,
    argocd: &ArgoCd,
    tree: &mut Tree,
) {
    let source = json!({
        "repoURL": argocd.repo_url,
        "targetRevision": argocd.target_revision,
        "path": format!("{}/kubernetes/{}/{team}", config.output, env.name),
        // Only the namespace itself: each service folder has its own Application.
        "directory": { "recurse": false },
    });
    let labels = json!({
        "app.kubernetes.io/managed-by": "paved",
        "paved.dev/team": team,
        "paved.dev/environment": env.name,
    });
    let name = names::bounded(&[&env.name, "namespace", team], 63);
    let value = application(argocd, &name, labels, vec![source], destination(env, team));
    tree.yaml(format!("argocd/{}/namespace-{team}.yaml", env.name), &value);
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn cpu_limits_double_the_request() {
        assert_eq!(cpu_quantity(millicores("250m") * 2), "500m");
        assert_eq!(cpu_quantity(millicores("1") * 2), "2");
        assert_eq!(cpu_quantity(millicores("1.5") * 2), "3");
        assert_eq!(cpu_quantity(millicores("0.25") * 2), "500m");
    }

    #[test]
    fn kubernetes_expansion_is_escaped() {
        assert_eq!(literal("$(HOME) and $HOME"), "$$(HOME) and $HOME");
        assert_eq!(literal("$$(HOME) $$ $"), "$$$$(HOME) $$$ $");
    }

    #[test]
    fn go_strings_stay_text() {
        assert_eq!(go_string("{{ .x }}\"\n"), r#""{{ .x }}\"\n""#);
    }
}
