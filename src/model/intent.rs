//! The typed intents: what a Service or Team document says once it has passed its
//! schema.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

pub const API_GROUP: &str = "paved.dev/";
pub const API_VERSION: &str = "paved.dev/v1";

/// The spec fields an environment's overrides may change.
pub const OVERRIDABLE: &[&str] = &[
    "image",
    "size",
    "replicas",
    "autoscaling",
    "env",
    "secrets",
    "expose",
    "resources",
];

/// The kinds of intent paved reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Service,
    Team,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Service => "Service",
            Kind::Team => "Team",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "Service" => Some(Kind::Service),
            "Team" => Some(Kind::Team),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub enum Intent {
    Service(Box<Service>),
    Team(Box<Team>),
}

fn extensions(map: BTreeMap<String, Json>) -> BTreeMap<String, Json> {
    map.into_iter()
        .filter(|(k, _)| k.starts_with("x-"))
        .collect()
}

fn deserialize_extensions<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<BTreeMap<String, Json>, D::Error> {
    BTreeMap::<String, Json>::deserialize(d).map(extensions)
}

/// A link in the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(rename = "type")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Lifecycle {
    Experimental,
    #[default]
    Production,
    Deprecated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ServiceType {
    Web,
    #[default]
    Api,
    Worker,
}

/// A `paved.dev/v1` Service.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Service {
    pub metadata: ServiceMetadata,
    pub spec: ServiceSpec,
    #[serde(
        flatten,
        deserialize_with = "deserialize_extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Json>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServiceMetadata {
    pub name: String,
    pub owner: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(default)]
    pub lifecycle: Lifecycle,
    #[serde(default = "default_tier")]
    pub tier: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default)]
    pub links: Vec<Link>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<Waiver>,
    #[serde(
        flatten,
        deserialize_with = "deserialize_extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Json>,
}

/// An exception to a policy rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiver {
    pub rule: String,
    pub reason: String,
    /// The last day it holds, `YYYY-MM-DD`.
    pub expires: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<String>,
}

fn default_tier() -> u8 {
    3
}

/// The spec of a Service. Collections sit behind `Arc` so that the per-environment
/// copies the resolver makes share what their overrides leave alone.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSpec {
    #[serde(default, rename = "type")]
    pub kind: ServiceType,
    pub image: String,
    #[serde(default)]
    pub command: Arc<Vec<String>>,
    #[serde(default)]
    pub args: Arc<Vec<String>>,
    #[serde(default)]
    pub ports: Arc<Vec<Port>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<Autoscaling>,
    #[serde(default)]
    pub probes: Arc<Probes>,
    #[serde(default)]
    pub env: Arc<BTreeMap<String, EnvValue>>,
    /// Files mounted into the container, by absolute path.
    #[serde(default)]
    pub files: Arc<BTreeMap<String, File>>,
    /// Volume resources mounted into the container, by absolute path.
    #[serde(default)]
    pub volumes: Arc<BTreeMap<String, Mount>>,
    /// Containers beside the service's own, by name.
    #[serde(default)]
    pub sidecars: Arc<BTreeMap<String, Sidecar>>,
    #[serde(default)]
    pub secrets: Arc<BTreeMap<String, SecretRef>>,
    #[serde(default)]
    pub dependencies: Arc<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expose: Option<Expose>,
    #[serde(default)]
    pub slos: Arc<Slos>,
    #[serde(default)]
    pub alerts: Arc<Alerts>,
    #[serde(default)]
    pub resources: Arc<BTreeMap<String, Resource>>,
    /// Raw overrides per environment; merged over the spec by the resolver.
    #[serde(default)]
    pub environments: Arc<BTreeMap<String, Json>>,
    #[serde(
        flatten,
        deserialize_with = "deserialize_extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Json>,
}

/// An environment variable's value, as text (YAML numbers and booleans are accepted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvValue(pub String);

impl Serialize for EnvValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for EnvValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(EnvValue(match Json::deserialize(d)? {
            Json::String(s) => s,
            other => other.to_string(),
        }))
    }
}

/// A container beside the service's own in each pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sidecar {
    pub image: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub volumes: BTreeMap<String, Mount>,
}

/// A volume resource mounted into a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mount {
    /// The name of a `volume` resource of the service.
    pub resource: String,
    /// A folder of the volume mounted instead of all of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
}

/// A file mounted into the container: its text or its base64 bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct File {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub binary_content: Option<String>,
    /// Octal permissions, `0644` when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Port {
    pub name: String,
    pub port: u16,
    #[serde(default = "default_protocol")]
    pub protocol: String,
    /// The Service's port, when it is not the container's.
    #[serde(
        default,
        rename = "servicePort",
        skip_serializing_if = "Option::is_none"
    )]
    pub service_port: Option<u16>,
}

fn default_protocol() -> String {
    String::from("TCP")
}

/// A port named by `spec.ports` name or number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PortRef {
    Number(u16),
    Name(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Autoscaling {
    #[serde(default = "default_min")]
    pub min: u32,
    pub max: u32,
    #[serde(default = "default_cpu_target")]
    pub cpu: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory: Option<u32>,
}

fn default_min() -> u32 {
    2
}

fn default_cpu_target() -> u32 {
    70
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probes {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readiness: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub startup: Option<Probe>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ProbeType {
    #[default]
    Http,
    Tcp,
    Grpc,
    Exec,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Probe {
    #[serde(default, rename = "type")]
    pub kind: ProbeType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<PortRef>,
    #[serde(default)]
    pub command: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_delay_seconds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period_seconds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure_threshold: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretRef {
    #[serde(rename = "ref")]
    pub reference: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    #[default]
    Internal,
    Public,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expose {
    #[serde(default)]
    pub visibility: Visibility,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<PortRef>,
    #[serde(default = "yes")]
    pub tls: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Slos {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability: Option<AvailabilitySlo>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latency: Option<LatencySlo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AvailabilitySlo {
    pub target: f64,
    #[serde(default = "default_window")]
    pub window: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencySlo {
    pub threshold: String,
    pub target: f64,
    #[serde(default = "default_window")]
    pub window: String,
}

fn default_window() -> String {
    String::from("30d")
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alerts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default = "empty_object")]
    pub params: Json,
}

fn empty_object() -> Json {
    Json::Object(serde_json::Map::new())
}

/// A `paved.dev/v1` Team.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Team {
    pub metadata: TeamMetadata,
    #[serde(default)]
    pub spec: TeamSpec,
    #[serde(
        flatten,
        deserialize_with = "deserialize_extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Json>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamMetadata {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    #[serde(default)]
    pub links: Vec<Link>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    #[serde(
        flatten,
        deserialize_with = "deserialize_extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Json>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TeamSpec {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat: Option<Chat>,
    #[serde(default)]
    pub members: Vec<Member>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oncall: Option<Oncall>,
    #[serde(
        flatten,
        deserialize_with = "deserialize_extensions",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub extensions: BTreeMap<String, Json>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chat {
    pub channel: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Oncall {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}
