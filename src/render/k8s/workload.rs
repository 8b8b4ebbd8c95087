//! The Deployment and what runs it: the service account, containers with their env,
//! probes, resources and security context, and the autoscaler and disruption budget.

use serde_json::{Value as Json, json};

use crate::model::intent::{Probe, ProbeType};
use crate::render::k8s::files::{file_volume, files_digest, resource_volumes, volume_mounts};
use crate::render::k8s::{find_port, main_port, metadata, resources_secret, user_secret};
use crate::render::unit::{EnvValue, Piece, Unit};

pub(crate) fn service_account(unit: &Unit<'_>) -> Json {
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
pub(crate) fn composed_values(unit: &Unit<'_>) -> Vec<(String, Vec<Piece>)> {
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
pub(crate) fn literal(text: &str) -> String {
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
pub(crate) fn probes(unit: &Unit<'_>) -> Vec<(&'static str, Json)> {
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
pub(crate) fn millicores(quantity: &str) -> u64 {
    match quantity.strip_suffix('m') {
        Some(m) => m.parse().unwrap_or(0),
        None => {
            let (whole, fraction) = quantity.split_once('.').unwrap_or((quantity, ""));
            let fraction = format!("{fraction:0<3}");
            whole.parse::<u64>().unwrap_or(0) * 1000 + fraction[..3].parse::<u64>().unwrap_or(0)
        }
    }
}

pub(crate) fn cpu_quantity(millicores: u64) -> String {
    if millicores.is_multiple_of(1000) {
        (millicores / 1000).to_string()
    } else {
        format!("{millicores}m")
    }
}

pub(crate) fn resources(unit: &Unit<'_>) -> Json {
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

pub(crate) fn deployment(unit: &Unit<'_>, composed: &[(String, Vec<Piece>)]) -> Json {
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

pub(crate) fn hpa(unit: &Unit<'_>, autoscaling: crate::model::intent::Autoscaling) -> Json {
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

pub(crate) fn pdb(unit: &Unit<'_>) -> Json {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
