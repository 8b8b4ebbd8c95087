//! The platform's configuration as paved works with it: paved.yaml resolved, with its
//! documented defaults where it says nothing.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::syntax::yaml;

/// The resolved configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Output folder, relative to the repository root, `/`-separated.
    pub output: String,
    /// Environments in promotion order.
    pub environments: Vec<Environment>,
    pub registries: Vec<String>,
    /// T-shirt sizes, in the order paved.yaml lists them.
    pub sizes: Vec<(String, Size)>,
    pub default_size: String,
    /// The team that owns Score workloads whose annotations name none.
    pub default_owner: Option<String>,
    pub cloud: Cloud,
    pub limits: Limits,
    pub kubernetes: Kubernetes,
    pub monitoring: Monitoring,
    /// Argo CD Applications are generated when this is set.
    pub argocd: Option<ArgoCd>,
    pub codeowners: Codeowners,
    pub grafana_url: Option<String>,
    pub terraform: Terraform,
    pub policies: PolicySettings,
}

/// What paved.yaml says about policy rules' severity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct PolicySettings {
    pub rules: BTreeMap<String, Level>,
    pub environments: BTreeMap<String, BTreeMap<String, Level>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Deny,
    Warn,
    Off,
}

impl PolicySettings {
    /// The level paved.yaml sets for `rule` in `environment`, if any, with the
    /// environment whose setting it is (`None`: the setting for every environment).
    pub fn setting<'a>(
        &self,
        rule: &str,
        environment: Option<&'a str>,
    ) -> Option<(Level, Option<&'a str>)> {
        let in_environment = environment.and_then(|e| {
            let level = self.environments.get(e)?.get(rule)?;
            Some((*level, Some(e)))
        });
        in_environment.or_else(|| Some((*self.rules.get(rule)?, None)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Kubernetes {
    pub ingress: Ingress,
    pub secret_store: String,
    pub run_as_user: u32,
}

impl Default for Kubernetes {
    fn default() -> Self {
        Self {
            ingress: Ingress::default(),
            secret_store: String::from("paved"),
            run_as_user: 10001,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum IngressKind {
    #[default]
    Ingress,
    Gateway,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Ingress {
    pub kind: IngressKind,
    pub class_name: String,
    pub namespace: String,
    pub cluster_issuer: String,
    pub gateway: String,
}

impl Default for Ingress {
    fn default() -> Self {
        Self {
            kind: IngressKind::Ingress,
            class_name: String::from("nginx"),
            namespace: String::from("ingress-nginx"),
            cluster_issuer: String::from("letsencrypt"),
            gateway: String::from("public"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Monitoring {
    pub namespace: String,
    pub rule_labels: BTreeMap<String, String>,
    pub requests_metric: String,
    pub duration_metric: String,
}

impl Default for Monitoring {
    fn default() -> Self {
        Self {
            namespace: String::from("monitoring"),
            rule_labels: BTreeMap::new(),
            requests_metric: String::from("http_requests_total"),
            duration_metric: String::from("http_request_duration_seconds"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArgoCd {
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    #[serde(default = "head")]
    pub target_revision: String,
    #[serde(default = "default_project")]
    pub project: String,
    #[serde(default = "argocd_namespace")]
    pub namespace: String,
}

pub(crate) fn head() -> String {
    String::from("HEAD")
}

pub(crate) fn default_project() -> String {
    String::from("default")
}

pub(crate) fn argocd_namespace() -> String {
    String::from("argocd")
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Codeowners {
    pub enabled: bool,
    pub org: Option<String>,
}

impl Default for Codeowners {
    fn default() -> Self {
        Self {
            enabled: true,
            org: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub struct Terraform {
    pub state_bucket: Option<String>,
    pub lock_table: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Environment {
    pub name: String,
    pub production: bool,
    pub cluster: Option<String>,
    pub domain: Option<String>,
    /// Set for ephemeral (preview) environments.
    pub ttl: Option<String>,
    pub region: String,
    pub account: Option<String>,
    /// The ingress load balancer's host name, the target of `dns` resources.
    pub ingress_hostname: Option<String>,
    /// Bootstrap servers of the environment's Kafka cluster.
    pub kafka_bootstrap_servers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Size {
    pub cpu: String,
    pub memory: String,
    pub cpu_limit: Option<String>,
    pub memory_limit: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cloud {
    pub provider: String,
    pub region: String,
    pub account: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_file_bytes: u64,
    pub yaml: yaml::Limits,
    /// Largest generated file.
    pub max_output_file_bytes: u64,
    /// Most bytes one render generates, all files together.
    pub max_output_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_bytes: 1024 * 1024,
            yaml: yaml::Limits::default(),
            max_output_file_bytes: 16 * 1024 * 1024,
            max_output_bytes: 4 * 1024 * 1024 * 1024,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        let cloud = Cloud {
            provider: String::from("aws"),
            region: String::from("us-east-1"),
            account: None,
        };
        let environment = |name: &str, production: bool| Environment {
            name: name.to_string(),
            production,
            cluster: None,
            domain: None,
            ttl: None,
            region: cloud.region.clone(),
            account: None,
            ingress_hostname: None,
            kafka_bootstrap_servers: Vec::new(),
        };
        Self {
            output: String::from("generated"),
            environments: vec![
                environment("dev", false),
                environment("staging", false),
                environment("prod", true),
            ],
            registries: Vec::new(),
            sizes: default_sizes(),
            default_size: String::from("small"),
            default_owner: None,
            cloud,
            limits: Limits::default(),
            kubernetes: Kubernetes::default(),
            monitoring: Monitoring::default(),
            argocd: None,
            codeowners: Codeowners::default(),
            grafana_url: None,
            terraform: Terraform::default(),
            policies: PolicySettings::default(),
        }
    }
}

fn default_sizes() -> Vec<(String, Size)> {
    [
        ("xsmall", "100m", "128Mi"),
        ("small", "250m", "256Mi"),
        ("medium", "500m", "512Mi"),
        ("large", "1", "1Gi"),
        ("xlarge", "2", "4Gi"),
    ]
    .into_iter()
    .map(|(name, cpu, memory)| {
        (
            name.to_string(),
            Size {
                cpu: cpu.to_string(),
                memory: memory.to_string(),
                cpu_limit: None,
                memory_limit: None,
            },
        )
    })
    .collect()
}

impl Config {
    pub fn environment(&self, name: &str) -> Option<&Environment> {
        self.environments.iter().find(|e| e.name == name)
    }

    pub fn size(&self, name: &str) -> Option<&Size> {
        self.sizes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, size)| size)
    }

    pub fn size_names(&self) -> impl Iterator<Item = &str> {
        self.sizes.iter().map(|(name, _)| name.as_str())
    }
}
