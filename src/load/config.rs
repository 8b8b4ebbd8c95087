//! Reading `paved.yaml` into the configuration (see [`crate::model::config`]), with
//! documented defaults when it is absent.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;

use crate::diag::codes::Code;
use crate::diag::finding::{Finding, list_or};
use crate::diag::origin::Origin;
use crate::load::schema::{self, Schemas};
use crate::model::config::{
    ArgoCd, Cloud, Codeowners, Config, Environment, Kubernetes, Limits, Monitoring, PolicySettings,
    Size, Terraform,
};
use crate::syntax::source::SourceFile;
use crate::syntax::yaml;

pub const FILE_NAME: &str = "paved.yaml";

/// What loading paved.yaml produced.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    /// The file, when there is one.
    pub file: Option<Arc<SourceFile>>,
    pub findings: Vec<Finding>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    output: Option<String>,
    environments: Option<BTreeMap<String, Option<RawEnvironment>>>,
    registries: Option<Vec<String>>,
    sizes: Option<BTreeMap<String, Size>>,
    defaults: Option<RawDefaults>,
    cloud: Option<RawCloud>,
    limits: Option<RawLimits>,
    #[serde(default)]
    kubernetes: Kubernetes,
    #[serde(default)]
    monitoring: Monitoring,
    argocd: Option<ArgoCd>,
    #[serde(default)]
    codeowners: Codeowners,
    grafana: Option<RawGrafana>,
    #[serde(default)]
    terraform: Terraform,
    #[serde(default)]
    policies: PolicySettings,
}

#[derive(Deserialize)]
struct RawGrafana {
    url: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawKafka {
    bootstrap_servers: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawEnvironment {
    #[serde(default)]
    production: bool,
    cluster: Option<String>,
    domain: Option<String>,
    ttl: Option<String>,
    cloud: Option<RawCloud>,
    ingress_hostname: Option<String>,
    kafka: Option<RawKafka>,
}

#[derive(Deserialize, Default)]
struct RawDefaults {
    size: Option<String>,
    owner: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawCloud {
    provider: Option<String>,
    region: Option<String>,
    account: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLimits {
    max_file_bytes: Option<u64>,
    max_depth: Option<usize>,
    max_alias_nodes: Option<usize>,
    max_documents: Option<usize>,
    max_string_bytes: Option<usize>,
    max_output_file_bytes: Option<u64>,
    max_output_bytes: Option<u64>,
}

/// Read `paved.yaml` at the repository root. A missing file gives the defaults.
pub fn load(repo: &crate::load::repo::Repo, schemas: &Schemas) -> std::io::Result<Loaded> {
    // paved.yaml sets the limits, so it is read within the default ones.
    let limit = Limits::default().max_file_bytes;
    let bytes = match repo.read_bounded(FILE_NAME, limit, 0) {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(_)) => {
            let file = Arc::new(SourceFile::new(FILE_NAME, ""));
            return Ok(Loaded {
                config: Config::default(),
                findings: vec![Finding::new(
                    Code::FileTooLarge,
                    &file,
                    file.start(),
                    format!(
                        "paved.yaml is larger than the {limit}-byte limit (the default of `limits.maxFileBytes`, which paved.yaml itself cannot raise); it was not read"
                    ),
                )
                .help("paved.yaml holds settings only: shorten it")],
                file: Some(file),
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Loaded {
                config: Config::default(),
                file: None,
                findings: Vec::new(),
            });
        }
        Err(e) => return Err(e),
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
            let file = Arc::new(SourceFile::new(FILE_NAME, prefix));
            let span = file.span(valid, valid);
            return Ok(Loaded {
                config: Config::default(),
                findings: vec![Finding::new(
                    Code::FileNotUtf8,
                    &file,
                    span,
                    "paved.yaml is not valid UTF-8",
                )],
                file: Some(file),
            });
        }
    };
    let file = Arc::new(SourceFile::new(FILE_NAME, text));
    Ok(parse(&file, schemas))
}

/// Parse and check the text of a paved.yaml.
pub fn parse(file: &Arc<SourceFile>, schemas: &Schemas) -> Loaded {
    let loaded = yaml::load(file, Limits::default().yaml);
    let mut findings: Vec<Finding> = loaded
        .problems
        .iter()
        .map(|p| crate::diag::finding::yaml_finding(file, p))
        .collect();
    let fail = |findings: Vec<Finding>| Loaded {
        config: Config::default(),
        file: Some(Arc::clone(file)),
        findings,
    };
    if !findings.is_empty() && loaded.documents.is_empty() {
        return fail(findings);
    }
    let documents: Vec<&yaml::Node> = loaded
        .documents
        .iter()
        .filter(|d| d.value != yaml::Value::Null)
        .collect();
    let root = match documents.as_slice() {
        [] => {
            return Loaded {
                config: Config::default(),
                file: Some(Arc::clone(file)),
                findings,
            };
        }
        [root] => *root,
        [_, second, ..] => {
            findings.push(
                Finding::new(
                    Code::InvalidValue,
                    file,
                    second.span,
                    "paved.yaml must hold a single YAML document",
                )
                .help("merge the documents into one"),
            );
            return fail(findings);
        }
    };
    let origin = Origin::new(file, 0, root.clone());
    let json = root.to_json();
    findings.extend(schemas.check(schema::Kind::Config, &json, &origin, &|p| p.to_string()));
    if !findings.is_empty() {
        return fail(findings);
    }
    let raw: Raw = match serde_json::from_value(json) {
        Ok(raw) => raw,
        Err(e) => {
            findings.push(Finding::new(
                Code::InternalError,
                file,
                root.span,
                format!("paved.yaml passed its schema but could not be read: {e}"),
            ));
            return fail(findings);
        }
    };
    let config = resolve(raw, root);
    check_sizes(&config, &origin, &mut findings);
    Loaded {
        config,
        file: Some(Arc::clone(file)),
        findings,
    }
}

fn resolve(raw: Raw, root: &yaml::Node) -> Config {
    let defaults = Config::default();
    let cloud_raw = raw.cloud.unwrap_or_default();
    let cloud = Cloud {
        provider: cloud_raw.provider.unwrap_or(defaults.cloud.provider),
        region: cloud_raw.region.unwrap_or(defaults.cloud.region),
        account: cloud_raw.account,
    };
    let environments = match raw.environments {
        None => defaults
            .environments
            .into_iter()
            .map(|e| Environment {
                region: cloud.region.clone(),
                account: cloud.account.clone(),
                ..e
            })
            .collect(),
        Some(map) => {
            // Promotion order is the order written in the file.
            in_file_order(root, "environments", map)
                .into_iter()
                .map(|(name, env)| {
                    let env = env.unwrap_or_default();
                    let env_cloud = env.cloud.unwrap_or_default();
                    Environment {
                        production: env.production,
                        cluster: env.cluster,
                        domain: env.domain,
                        ttl: env.ttl,
                        region: env_cloud.region.unwrap_or_else(|| cloud.region.clone()),
                        account: env_cloud.account.or_else(|| cloud.account.clone()),
                        ingress_hostname: env.ingress_hostname,
                        kafka_bootstrap_servers: env
                            .kafka
                            .map(|k| k.bootstrap_servers)
                            .unwrap_or_default(),
                        name,
                    }
                })
                .collect()
        }
    };
    let yaml_defaults = defaults.limits.yaml;
    let limits = match raw.limits {
        None => defaults.limits,
        Some(l) => Limits {
            max_file_bytes: l.max_file_bytes.unwrap_or(defaults.limits.max_file_bytes),
            yaml: yaml::Limits {
                max_depth: l.max_depth.unwrap_or(yaml_defaults.max_depth),
                max_alias_nodes: l.max_alias_nodes.unwrap_or(yaml_defaults.max_alias_nodes),
                max_documents: l.max_documents.unwrap_or(yaml_defaults.max_documents),
                max_string_bytes: l.max_string_bytes.unwrap_or(yaml_defaults.max_string_bytes),
            },
            max_output_file_bytes: l
                .max_output_file_bytes
                .unwrap_or(defaults.limits.max_output_file_bytes),
            max_output_bytes: l
                .max_output_bytes
                .unwrap_or(defaults.limits.max_output_bytes),
        },
    };
    Config {
        output: raw.output.unwrap_or(defaults.output),
        environments,
        registries: raw.registries.unwrap_or_default(),
        sizes: raw
            .sizes
            .map_or(defaults.sizes, |sizes| in_file_order(root, "sizes", sizes)),
        default_size: raw
            .defaults
            .as_ref()
            .and_then(|d| d.size.clone())
            .unwrap_or(defaults.default_size),
        default_owner: raw.defaults.and_then(|d| d.owner),
        cloud,
        limits,
        kubernetes: raw.kubernetes,
        monitoring: raw.monitoring,
        argocd: raw.argocd,
        codeowners: raw.codeowners,
        grafana_url: raw.grafana.and_then(|g| g.url),
        terraform: raw.terraform,
        policies: raw.policies,
    }
}

/// A mapping's entries in the order the file lists them (serde's maps sort them).
fn in_file_order<T>(
    root: &yaml::Node,
    key: &str,
    mut map: BTreeMap<String, T>,
) -> Vec<(String, T)> {
    let order: Vec<String> = match root.get(key).map(|n| &n.value) {
        Some(yaml::Value::Map(entries)) => entries.iter().map(|e| e.key.clone()).collect(),
        _ => map.keys().cloned().collect(),
    };
    order
        .into_iter()
        .filter_map(|name| {
            let value = map.remove(&name)?;
            Some((name, value))
        })
        .collect()
}

fn check_sizes(config: &Config, origin: &Origin, findings: &mut Vec<Finding>) {
    if config.size(&config.default_size).is_some() {
        return;
    }
    let pointer = if origin.root().pointer("/defaults/size").is_some() {
        "/defaults/size"
    } else {
        "/sizes"
    };
    let at = origin.locate(pointer);
    findings.push(
        Finding::new(
            Code::UnknownSize,
            &origin.file,
            at.node,
            format!(
                "the default size `{}` is not one of the configured sizes",
                config.default_size
            ),
        )
        .help(format!(
            "set `defaults.size` to one of {}",
            list_or(config.size_names())
        )),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::config::{argocd_namespace, default_project, head};

    fn parse_text(text: &str) -> Loaded {
        let file = Arc::new(SourceFile::new(FILE_NAME, text));
        parse(&file, &Schemas::new().unwrap())
    }

    #[test]
    fn empty_file_gives_defaults() {
        let loaded = parse_text("# nothing yet\n");
        assert!(loaded.findings.is_empty());
        assert_eq!(loaded.config, Config::default());
    }

    #[test]
    fn environments_keep_file_order_and_inherit_cloud() {
        let loaded = parse_text(
            "cloud: {region: eu-west-1, account: '111111111111'}\nenvironments:\n  qa: {}\n  prod:\n    production: true\n    cloud: {account: '222222222222'}\n  alpha:\n",
        );
        assert!(loaded.findings.is_empty(), "{:?}", loaded.findings);
        let envs = &loaded.config.environments;
        let names: Vec<_> = envs.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["qa", "prod", "alpha"]);
        assert_eq!(envs[0].account.as_deref(), Some("111111111111"));
        assert_eq!(envs[1].account.as_deref(), Some("222222222222"));
        assert_eq!(envs[1].region, "eu-west-1");
        assert!(envs[1].production);
    }

    /// The defaults the schema documents are the ones the code uses.
    #[test]
    fn schema_defaults_match_the_code() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../schemas/config.schema.json")).unwrap();
        let defaults = Config::default();
        let d = |pointer: &str| schema.pointer(pointer).cloned().unwrap();
        assert_eq!(d("/properties/output/default"), defaults.output);
        assert_eq!(
            d("/$defs/kubernetes/properties/secretStore/default"),
            defaults.kubernetes.secret_store
        );
        assert_eq!(
            d("/$defs/kubernetes/properties/runAsUser/default"),
            defaults.kubernetes.run_as_user
        );
        let ingress = &defaults.kubernetes.ingress;
        assert_eq!(
            d("/$defs/kubernetes/properties/ingress/properties/className/default"),
            ingress.class_name
        );
        assert_eq!(
            d("/$defs/kubernetes/properties/ingress/properties/namespace/default"),
            ingress.namespace
        );
        assert_eq!(
            d("/$defs/kubernetes/properties/ingress/properties/clusterIssuer/default"),
            ingress.cluster_issuer
        );
        assert_eq!(
            d("/$defs/kubernetes/properties/ingress/properties/gateway/default"),
            ingress.gateway
        );
        let monitoring = &defaults.monitoring;
        assert_eq!(
            d("/$defs/monitoring/properties/namespace/default"),
            monitoring.namespace
        );
        assert_eq!(
            d("/$defs/monitoring/properties/requestsMetric/default"),
            monitoring.requests_metric
        );
        assert_eq!(
            d("/$defs/monitoring/properties/durationMetric/default"),
            monitoring.duration_metric
        );
        assert_eq!(d("/$defs/argocd/properties/targetRevision/default"), head());
        assert_eq!(
            d("/$defs/argocd/properties/project/default"),
            default_project()
        );
        assert_eq!(
            d("/$defs/argocd/properties/namespace/default"),
            argocd_namespace()
        );
        assert_eq!(
            d("/$defs/codeowners/properties/enabled/default"),
            defaults.codeowners.enabled
        );
        assert_eq!(
            d("/properties/defaults/properties/size/default"),
            defaults.default_size
        );
        assert_eq!(
            d("/$defs/cloud/properties/region/default"),
            defaults.cloud.region
        );
        let limits = defaults.limits;
        assert_eq!(
            d("/properties/limits/properties/maxFileBytes/default"),
            limits.max_file_bytes
        );
        assert_eq!(
            d("/properties/limits/properties/maxDepth/default"),
            limits.yaml.max_depth
        );
        assert_eq!(
            d("/properties/limits/properties/maxAliasNodes/default"),
            limits.yaml.max_alias_nodes
        );
        assert_eq!(
            d("/properties/limits/properties/maxDocuments/default"),
            limits.yaml.max_documents
        );
        assert_eq!(
            d("/properties/limits/properties/maxStringBytes/default"),
            limits.yaml.max_string_bytes
        );
        assert_eq!(
            d("/properties/limits/properties/maxOutputFileBytes/default"),
            limits.max_output_file_bytes
        );
        assert_eq!(
            d("/properties/limits/properties/maxOutputBytes/default"),
            limits.max_output_bytes
        );
        // The largest YAML limits are the schema's maxima.
        let largest = yaml::Limits::LARGEST;
        for (key, value) in [
            ("maxDepth", largest.max_depth),
            ("maxAliasNodes", largest.max_alias_nodes),
            ("maxDocuments", largest.max_documents),
            ("maxStringBytes", largest.max_string_bytes),
        ] {
            assert_eq!(
                d(&format!("/properties/limits/properties/{key}/maximum")),
                value,
                "{key}"
            );
        }
    }

    #[test]
    fn unknown_default_size_is_reported() {
        let loaded = parse_text("sizes:\n  tiny: {cpu: 100m, memory: 64Mi}\n");
        assert_eq!(loaded.findings.len(), 1);
        assert_eq!(loaded.findings[0].code, Code::UnknownSize);
        assert_eq!(loaded.findings[0].location.span.line, 2);
    }

    #[test]
    fn output_must_stay_inside_the_repository() {
        for output in ["../out", "/abs", ".", "a/../b", ""] {
            let loaded = parse_text(&format!("output: '{output}'\n"));
            assert!(!loaded.findings.is_empty(), "{output} accepted");
        }
        assert!(parse_text("output: build/paved\n").findings.is_empty());
    }
}
