//! Resource types: what paved knows about each kind of infrastructure a service may
//! declare under `resources`.
//!
//! Each built-in type is one module implementing [`ResourceType`]: its params and their
//! schema, its outputs and classes, the Terraform it provisions, the permissions of the
//! owning service's role, its dashboard rows, its catalog entity, its name in a new
//! service, and its part in the cluster (a route, a volume, a port of another service).
//! [`BUILT_IN`] lists them; adding a type is one module and one line there. A platform's
//! provisioners (`platform/provisioners/`, see [`provisioner`]) add types or replace
//! built-in ones; [`Registry`] looks a name up in both.

mod aws;
mod rds;

mod amqp;
mod bucket;
mod dns;
mod kafka_topic;
mod mongodb;
mod mssql;
mod mysql;
mod postgres;
pub mod provisioner;
mod queue;
mod redis;
mod route;
#[cfg(test)]
mod schema;
mod service_port;
mod volume;

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::model::config::Environment;
use crate::model::intent::{Port, PortRef, Service};
use crate::syntax::hcl::{Block, Body};

use provisioner::Provisioner;

/// The built-in resource types, in the order the service schema lists them.
pub static BUILT_IN: &[&dyn ResourceType] = &[
    &postgres::Postgres,
    &mysql::Mysql,
    &mongodb::Mongodb,
    &mssql::Mssql,
    &amqp::Amqp,
    &redis::Redis,
    &bucket::Bucket,
    &queue::Queue,
    &kafka_topic::KafkaTopic,
    &dns::Dns,
    &route::Route,
    &service_port::ServicePort,
    &volume::Volume,
];

/// Everything paved knows about one built-in resource type.
pub trait ResourceType: Sync {
    fn name(&self) -> &'static str;

    fn description(&self) -> &'static str;

    /// What `${resources.<name>.<output>}` may read.
    fn outputs(&self) -> &'static [Output];

    /// The classes (sizes) a resource of this type may ask for.
    fn classes(&self) -> &'static [Class] {
        &[]
    }

    /// Its params' JSON Schema, as `schemas/service.schema.json` holds it.
    fn params(&self) -> Params;

    /// Other names Score workloads give this type (score-k8s's `s3` for `bucket`).
    fn score_names(&self) -> &'static [&'static str] {
        &[]
    }

    /// Lives inside the cluster: nothing is created in the cloud for it.
    fn in_cluster(&self) -> bool {
        false
    }

    /// The paved.yaml setting of the environment it needs and that is not set.
    fn missing_setting(&self, _environment: &Environment) -> Option<&'static str> {
        None
    }

    /// An output's value when it is known without applying anything (a name paved
    /// chooses, a port): the outputs declared [`Output::rendered`].
    fn rendered_output(&self, instance: &Instance<'_>, output: &str) -> Option<String>;

    /// The Terraform that creates it, in the root module that owns it.
    fn terraform(&self, _instance: &Instance<'_>) -> Provisioned {
        Provisioned::default()
    }

    /// What the owning service's role may do with it: IAM policy statements.
    fn permissions(&self, _instance: &Instance<'_>) -> Vec<Json> {
        Vec::new()
    }

    /// The panels of its row on the service's dashboard.
    fn dashboard(&self, _resource: &Monitored<'_>) -> Vec<Panel> {
        Vec::new()
    }

    /// The `spec.type` of its Backstage Resource entity; none when it is no entity.
    fn catalog_type(&self) -> Option<&'static str> {
        Some(self.name())
    }

    /// The name `paved new service --with <type>` gives a resource of this type.
    fn scaffold_name(&self) -> &'static str {
        self.name()
    }

    /// An HTTP route to the service: the Ingress rule it makes.
    fn route(&self, _instance: &Instance<'_>) -> Option<RouteParams> {
        None
    }

    /// Scratch space mounted into the pods (`spec.volumes`).
    fn mountable(&self) -> bool {
        false
    }

    /// The source of a mountable resource's pod volume (`{"emptyDir": ...}`).
    fn pod_volume(&self, _instance: &Instance<'_>) -> Option<Json> {
        None
    }

    /// A port of another service reached inside the cluster: the service its params
    /// name, `Some(None)` when they name none.
    fn peer<'p>(&self, _params: &'p Json) -> Option<Option<&'p str>> {
        None
    }

    /// The port of the peer service its params name.
    fn peer_port<'s>(&self, _params: &Json, _ports: &'s [Port]) -> Option<&'s Port> {
        None
    }

    /// The outputs of a peer-reaching resource, from the peer service.
    fn peer_outputs(&self, _params: &Json, _peer: &Service) -> BTreeMap<String, String> {
        BTreeMap::new()
    }

    /// A Score workload's resource (converted to paved's form) adjusted where the
    /// type's params mean something else in Score; `ports` is the workload's
    /// `service.ports`.
    fn score_params(&self, _resource: &mut Json, _ports: Option<&serde_json::Map<String, Json>>) {}
}

/// One output of a resource, read as `${resources.<name>.<output>}`.
#[derive(Debug)]
pub struct Output {
    pub name: &'static str,
    /// Secret outputs are delivered from the secret store, never written in clear.
    pub secret: bool,
    /// Known when paved renders (a name paved chooses, a port), so other resources'
    /// params may read it; the others exist only once the cloud has created the resource.
    pub rendered: bool,
    pub description: &'static str,
}

/// A variant of a resource type, e.g. a database instance size.
#[derive(Debug)]
pub struct Class {
    pub name: &'static str,
    /// The cloud's name for it, e.g. an instance type.
    pub cloud: &'static str,
}

/// The params schema of a type, as definitions under the service schema's `$defs`:
/// their names and their JSON text (see [`schema`]).
pub struct Params {
    /// The params' own definition; a type without one takes params no schema checks.
    pub definition: Option<(&'static str, &'static str)>,
    /// Definitions the params' own builds on, shared with other types.
    pub shared: &'static [(&'static str, &'static str)],
    /// Whether a resource of this type must have params.
    pub required: bool,
}

impl Params {
    /// Params checked against `definition`.
    pub(crate) const fn of(definition: (&'static str, &'static str)) -> Self {
        Self {
            definition: Some(definition),
            shared: &[],
            required: false,
        }
    }

    /// Params no schema checks.
    pub(crate) const fn unchecked() -> Self {
        Self {
            definition: None,
            shared: &[],
            required: false,
        }
    }

    /// Its definition builds on `shared`.
    pub(crate) const fn building_on(self, shared: &'static [(&'static str, &'static str)]) -> Self {
        Self { shared, ..self }
    }

    /// A resource of the type must have params.
    pub(crate) const fn required(self) -> Self {
        Self {
            required: true,
            ..self
        }
    }
}

/// Known at render time.
pub(crate) const fn out(name: &'static str, description: &'static str) -> Output {
    Output {
        name,
        secret: false,
        rendered: true,
        description,
    }
}

/// Not secret, but known only once the cloud has created the resource (an endpoint).
pub(crate) const fn cloud(name: &'static str, description: &'static str) -> Output {
    Output {
        name,
        secret: false,
        rendered: false,
        description,
    }
}

pub(crate) const fn secret(name: &'static str, description: &'static str) -> Output {
    Output {
        name,
        secret: true,
        rendered: false,
        description,
    }
}

pub fn find(name: &str) -> Option<&'static dyn ResourceType> {
    BUILT_IN.iter().copied().find(|t| t.name() == name)
}

/// The type a Score workload's resource type means: a built-in one that knows it by
/// that name, else the same name.
pub fn from_score(name: &str) -> &str {
    BUILT_IN
        .iter()
        .find(|t| t.score_names().contains(&name))
        .map_or(name, |t| t.name())
}

impl dyn ResourceType {
    pub fn output(&self, name: &str) -> Option<&'static Output> {
        self.outputs().iter().find(|o| o.name == name)
    }

    pub fn class(&self, name: &str) -> Option<&'static Class> {
        self.classes().iter().find(|c| c.name == name)
    }
}

impl std::fmt::Debug for dyn ResourceType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A resource type as a repository sees it: built in, or defined by the platform
/// (which may replace a built-in one).
#[derive(Clone, Copy)]
pub enum TypeRef<'a> {
    BuiltIn(&'static dyn ResourceType),
    Custom(&'a Provisioner),
}

impl<'a> TypeRef<'a> {
    pub fn name(&self) -> &'a str {
        match self {
            TypeRef::BuiltIn(t) => t.name(),
            TypeRef::Custom(p) => &p.name,
        }
    }

    /// The built-in type whose part in the cluster and the catalog this type plays:
    /// itself, or the one a platform provisioner replaces. A provisioner changes how a
    /// type is provisioned in the cloud, not what it is to the service.
    pub fn role(&self) -> Option<&'static dyn ResourceType> {
        match self {
            TypeRef::BuiltIn(t) => Some(*t),
            TypeRef::Custom(p) => find(&p.name),
        }
    }

    /// Lives inside the cluster: nothing is created in the cloud for it.
    pub fn in_cluster(&self) -> bool {
        self.role().is_some_and(|t| t.in_cluster())
    }

    pub fn output_names(&self) -> Vec<&'a str> {
        match self {
            TypeRef::BuiltIn(t) => t.outputs().iter().map(|o| o.name).collect(),
            TypeRef::Custom(p) => p.outputs.keys().map(String::as_str).collect(),
        }
    }

    /// Whether an output is known when paved renders, so a param may read it.
    pub fn rendered_output(&self, name: &str) -> bool {
        match self {
            TypeRef::BuiltIn(t) => t.output(name).is_some_and(|o| o.rendered),
            TypeRef::Custom(p) => p
                .outputs
                .get(name)
                .is_some_and(|o| o.value.is_some() && !o.secret),
        }
    }

    pub fn output_is_secret(&self, name: &str) -> bool {
        match self {
            TypeRef::BuiltIn(t) => t.output(name).is_some_and(|o| o.secret),
            TypeRef::Custom(p) => p.outputs.get(name).is_some_and(|o| o.secret),
        }
    }

    pub fn has_output(&self, name: &str) -> bool {
        match self {
            TypeRef::BuiltIn(t) => t.output(name).is_some(),
            TypeRef::Custom(p) => p.outputs.contains_key(name),
        }
    }

    pub fn class_names(&self) -> Vec<&'a str> {
        match self {
            TypeRef::BuiltIn(t) => t.classes().iter().map(|c| c.name).collect(),
            TypeRef::Custom(p) => p.classes.iter().map(String::as_str).collect(),
        }
    }

    pub fn has_class(&self, name: &str) -> bool {
        self.class_names().contains(&name)
    }
}

/// The resource types of a repository: the platform's provisioners first, then the
/// built-in ones.
#[derive(Clone, Copy)]
pub struct Registry<'a> {
    provisioners: &'a BTreeMap<String, Provisioner>,
}

impl<'a> Registry<'a> {
    pub fn new(provisioners: &'a BTreeMap<String, Provisioner>) -> Self {
        Self { provisioners }
    }

    pub fn find(&self, name: &str) -> Option<TypeRef<'a>> {
        match self.provisioners.get(name) {
            Some(provisioner) => Some(TypeRef::Custom(provisioner)),
            None => find(name).map(TypeRef::BuiltIn),
        }
    }

    pub fn names(&self) -> Vec<&'a str> {
        let mut names: Vec<&str> = BUILT_IN.iter().map(|t| t.name()).collect();
        names.extend(self.provisioners.keys().map(String::as_str));
        names.sort_unstable();
        names.dedup();
        names
    }
}

/// A resource of a service, resolved for one environment.
#[derive(Clone)]
pub struct Instance<'a> {
    /// The resource's name in the service.
    pub name: String,
    pub kind: TypeRef<'a>,
    pub class: Option<String>,
    pub params: Json,
    /// Set for shared resources, which get a root module of their own.
    pub shared_id: Option<String>,
    /// The service that declares it (the first one, for a shared resource).
    pub service: &'a str,
    /// Cloud name stem: `<env>-<service>-<resource>` or `<env>-<id>`.
    pub physical: String,
    /// Where its connection details live in the cloud secret store.
    pub secret_path: String,
    pub environment: &'a Environment,
    pub production: bool,
    /// Outputs known at render time that the instance works out itself: a platform
    /// provisioner's, a service-port's.
    pub custom_outputs: BTreeMap<String, String>,
}

impl Instance<'_> {
    pub(crate) fn param(&self, key: &str) -> Option<&Json> {
        self.params.get(key)
    }

    pub(crate) fn param_str(&self, key: &str, default: &str) -> String {
        self.param(key)
            .and_then(Json::as_str)
            .unwrap_or(default)
            .to_string()
    }

    pub(crate) fn param_int(&self, key: &str, default: i64) -> i64 {
        self.param(key).and_then(Json::as_i64).unwrap_or(default)
    }

    pub(crate) fn param_bool(&self, key: &str, default: bool) -> bool {
        self.param(key).and_then(Json::as_bool).unwrap_or(default)
    }

    /// The environment's cloud account (a placeholder one where paved.yaml names none:
    /// such an environment is reported before anything is rendered).
    pub(crate) fn account(&self) -> &str {
        self.environment
            .account
            .as_deref()
            .unwrap_or("000000000000")
    }

    pub(crate) fn region(&self) -> &str {
        &self.environment.region
    }

    /// A class of the built-in type: the asked-for one, else `fallback`.
    pub(crate) fn class_or(&self, fallback: &str) -> Option<&'static Class> {
        let TypeRef::BuiltIn(kind) = self.kind else {
            return None;
        };
        self.class
            .as_deref()
            .and_then(|c| kind.class(c))
            .or_else(|| kind.class(fallback))
    }

    /// An output's value when it is known without applying anything.
    pub fn output_value(&self, output: &str) -> Option<String> {
        match self.kind {
            TypeRef::Custom(_) => self.custom_outputs.get(output).cloned(),
            TypeRef::BuiltIn(kind) => kind.rendered_output(self, output),
        }
    }
}

/// What a provisioner contributes to a root module.
#[derive(Default)]
pub struct Provisioned {
    pub blocks: Vec<Block>,
    /// Needs the VPC and its private subnets (`data.aws_vpc.this`, `data.aws_subnets.private`).
    pub network: bool,
    /// Needs the RDS enhanced-monitoring role.
    pub rds_monitoring: bool,
    /// Uses the hashicorp/random provider (passwords).
    pub random: bool,
    /// Encrypts data with the module's KMS key.
    pub kms: bool,
    /// The platform template the blocks come from, for findings about them.
    pub origin: Option<crate::syntax::source::Location>,
    /// Extra providers: (local name, source, version, configuration).
    pub providers: Vec<(&'static str, &'static str, &'static str, Body)>,
    pub route53_zone: bool,
}

/// A resource as the service's dashboard shows it, in every environment at once: its
/// names are written with Grafana's `$environment` variable.
pub struct Monitored<'a> {
    pub service: &'a str,
    pub resource: &'a str,
    pub id: Option<&'a str>,
}

impl Monitored<'_> {
    /// The cloud name stem, as [`Instance::physical`] has it in each environment.
    pub(crate) fn physical(&self) -> String {
        match self.id {
            Some(id) => format!("$environment-{id}"),
            None => format!("$environment-{}-{}", self.service, self.resource),
        }
    }
}

/// One panel of a resource's dashboard row: a Prometheus query of its CloudWatch
/// metrics (or the cluster's), its title and unit.
pub struct Panel {
    pub query: String,
    pub title: &'static str,
    pub unit: &'static str,
}

impl Panel {
    pub(crate) fn new(query: String, title: &'static str, unit: &'static str) -> Self {
        Self { query, title, unit }
    }
}

/// Where a route resource sends traffic.
pub struct RouteParams {
    pub host: String,
    pub path: String,
    /// The service's port it names, else its main one.
    pub port: Option<PortRef>,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn environment(production: bool) -> Environment {
        Environment {
            name: String::from(if production { "prod" } else { "dev" }),
            production,
            cluster: None,
            domain: None,
            ttl: None,
            region: String::from("eu-west-1"),
            account: Some(String::from("100000000004")),
            ingress_hostname: None,
            kafka_bootstrap_servers: Vec::new(),
        }
    }

    pub(crate) fn instance<'a>(
        kind: &str,
        name: &str,
        class: Option<&str>,
        params: Json,
        environment: &'a Environment,
    ) -> Instance<'a> {
        Instance {
            name: name.to_string(),
            kind: TypeRef::BuiltIn(find(kind).expect("a built-in type")),
            class: class.map(str::to_string),
            params,
            shared_id: None,
            service: "catalog",
            physical: crate::model::names::bounded(&[&environment.name, "catalog", name], 63),
            secret_path: format!("paved/{}/catalog/{name}", environment.name),
            environment,
            production: environment.production,
            custom_outputs: BTreeMap::new(),
        }
    }

    /// The rendered HCL of a resource's blocks, runs of spaces (alignment) as one.
    pub(crate) fn hcl(instance: &Instance<'_>) -> String {
        let TypeRef::BuiltIn(kind) = instance.kind else {
            panic!("a built-in type");
        };
        let text = crate::syntax::hcl::file(&kind.terraform(instance).blocks);
        text.lines()
            .map(|line| {
                line.split(' ')
                    .filter(|w| !w.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn names_are_unique_and_score_names_are_no_type_names() {
        let mut names: Vec<&str> = BUILT_IN.iter().map(|t| t.name()).collect();
        names.sort_unstable();
        let count = names.len();
        names.dedup();
        assert_eq!(names.len(), count, "a name is listed twice");
        for kind in BUILT_IN {
            for alias in kind.score_names() {
                assert!(find(alias).is_none(), "{alias} is a type of its own");
                assert_eq!(from_score(alias), kind.name());
            }
        }
        assert_eq!(from_score("postgres"), "postgres");
        assert_eq!(from_score("environment"), "environment");
    }

    #[test]
    fn outputs_known_at_render_time_are_written_and_the_rest_come_from_the_secret_store() {
        let env = environment(false);
        let cases = [
            ("mongodb", "port", Some("27017")),
            ("mongodb", "username", Some("app")),
            ("mongodb", "host", None),
            ("mongodb", "password", None),
            ("mongodb", "connection", None),
            ("amqp", "port", Some("5671")),
            ("amqp", "vhost", Some("/")),
            ("amqp", "username", Some("app")),
            ("amqp", "host", None),
            ("amqp", "password", None),
            ("mssql", "port", Some("1433")),
            ("mssql", "database", Some("master")),
            ("mssql", "username", Some("app")),
            ("mssql", "server", None),
            ("mssql", "password", None),
            ("mssql", "connection", None),
        ];
        for (kind, output, expected) in cases {
            let instance = instance(kind, "store", None, serde_json::json!({}), &env);
            assert_eq!(
                instance.output_value(output).as_deref(),
                expected,
                "{kind}.{output}"
            );
            let declared = find(kind).and_then(|t| t.output(output));
            assert!(declared.is_some(), "{kind} declares {output}");
        }
    }

    /// What the registry promises other resources' params (`rendered`) is what the
    /// provisioner knows at render time, for every built-in output.
    #[test]
    fn rendered_outputs_are_the_static_ones() {
        let environment = Environment {
            name: String::from("dev"),
            production: false,
            cluster: None,
            domain: Some(String::from("dev.example.com")),
            ttl: None,
            region: String::from("eu-west-1"),
            account: Some(String::from("123456789012")),
            ingress_hostname: None,
            kafka_bootstrap_servers: vec![String::from("kafka.example.com:9098")],
        };
        // A service-port's outputs come from the service it reaches.
        for kind in BUILT_IN.iter().filter(|t| t.peer(&Json::Null).is_none()) {
            let instance = Instance {
                name: String::from("thing"),
                kind: TypeRef::BuiltIn(*kind),
                class: None,
                params: serde_json::json!({"host": "web.example.com"}),
                shared_id: None,
                service: "web",
                physical: String::from("dev-web-thing"),
                secret_path: String::from("paved/dev/web/thing"),
                environment: &environment,
                production: false,
                custom_outputs: BTreeMap::new(),
            };
            for output in kind.outputs() {
                assert_eq!(
                    instance.output_value(output.name).is_some(),
                    output.rendered,
                    "{}.{}",
                    kind.name(),
                    output.name
                );
            }
        }
    }
}
