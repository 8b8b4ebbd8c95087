//! Built-in provisioners: for each resource type, the Terraform that creates it (with
//! the platform's guardrails), the outputs known at render time, and what the owning
//! service's role may do with it.

use serde_json::{Value as Json, json};

use super::Instance;
use crate::diag::codes::Code;
use crate::diag::finding::Finding;
use crate::load::platform::Provisioner;
use crate::model::names;
use crate::syntax::hcl::{self, Block, Body, Expr};
use crate::types::{Class, TypeRef};

/// What a provisioner contributes to a root module.
#[derive(Default)]
pub(super) struct Provisioned {
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

fn param<'j>(instance: &'j Instance<'_>, key: &str) -> Option<&'j Json> {
    instance.params.get(key)
}

fn param_str(instance: &Instance<'_>, key: &str, default: &str) -> String {
    param(instance, key)
        .and_then(Json::as_str)
        .unwrap_or(default)
        .to_string()
}

fn param_int(instance: &Instance<'_>, key: &str, default: i64) -> i64 {
    param(instance, key)
        .and_then(Json::as_i64)
        .unwrap_or(default)
}

fn param_bool(instance: &Instance<'_>, key: &str, default: bool) -> bool {
    param(instance, key)
        .and_then(Json::as_bool)
        .unwrap_or(default)
}

fn account<'i>(instance: &'i Instance<'_>) -> &'i str {
    instance
        .environment
        .account
        .as_deref()
        .unwrap_or("000000000000")
}

fn region<'i>(instance: &'i Instance<'_>) -> &'i str {
    &instance.environment.region
}

/// An AWS identifier: lowercase letters, digits and single hyphens, within `max`.
fn aws_id(instance: &Instance<'_>, suffix: &str, max: usize) -> String {
    let mut base = instance.physical.clone();
    while base.contains("--") {
        base = base.replace("--", "-");
    }
    let parts: Vec<&str> = [base.as_str(), suffix]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect();
    names::bounded(&parts, max)
}

/// The built-in type's name, or `""` for a platform provisioner.
fn built_in(instance: &Instance<'_>) -> &'static str {
    match instance.kind {
        TypeRef::BuiltIn(t) => t.name,
        TypeRef::Custom(_) => "",
    }
}

/// A class of the built-in type: the asked-for one, else `fallback`.
fn class(instance: &Instance<'_>, fallback: &str) -> Option<&'static Class> {
    let TypeRef::BuiltIn(kind) = instance.kind else {
        return None;
    };
    instance
        .class
        .as_deref()
        .and_then(|c| kind.class(c))
        .or_else(|| kind.class(fallback))
}

fn database_name(instance: &Instance<'_>) -> String {
    param(instance, "database")
        .and_then(Json::as_str)
        .map_or_else(|| instance.name.replace('-', "_"), str::to_string)
}

pub(super) fn bucket_name(instance: &Instance<'_>) -> String {
    // Bucket names are global: the account id keeps them apart.
    names::bounded(&[account(instance), &instance.physical], 63)
}

fn queue_name(instance: &Instance<'_>, dead_letter: bool) -> String {
    let suffix = if dead_letter { "dlq" } else { "" };
    let name = aws_id(instance, suffix, 75);
    if param_bool(instance, "fifo", false) {
        format!("{name}.fifo")
    } else {
        name
    }
}

fn topic_name(instance: &Instance<'_>) -> String {
    match &instance.shared_id {
        Some(id) => format!("{}.{id}", instance.environment.name),
        None => format!(
            "{}.{}.{}",
            instance.environment.name, instance.service, instance.name
        ),
    }
}

fn redis_user(instance: &Instance<'_>) -> String {
    aws_id(instance, "app", 40)
}

fn dns_host(instance: &Instance<'_>) -> String {
    let label = param_str(instance, "subdomain", instance.service);
    match &instance.environment.domain {
        Some(domain) => format!("{label}.{domain}"),
        None => label,
    }
}

/// An output's value when it is known without applying anything.
pub(super) fn static_output(instance: &Instance<'_>, output: &str) -> Option<String> {
    if matches!(instance.kind, TypeRef::Custom(_)) || built_in(instance) == "service-port" {
        return instance.custom_outputs.get(output).cloned();
    }
    let env = instance.environment;
    let value = match (built_in(instance), output) {
        ("postgres" | "mysql" | "mssql", "port") => rds(instance).port.to_string(),
        ("postgres" | "mysql", "name" | "database") => database_name(instance),
        ("postgres" | "mysql" | "mssql" | "mongodb" | "amqp", "username") => String::from("app"),
        ("mssql", "database") => String::from("master"),
        ("mongodb", "port") => DOCUMENT_DB_PORT.to_string(),
        ("amqp", "port") => AMQPS_PORT.to_string(),
        ("amqp", "vhost") => String::from("/"),
        ("redis", "port") => String::from("6379"),
        ("redis", "username") => redis_user(instance),
        ("bucket", "bucket" | "name") => bucket_name(instance),
        ("bucket", "region") => env.region.clone(),
        ("bucket", "endpoint") => format!("https://s3.{}.amazonaws.com", env.region),
        ("bucket", "arn") => format!("arn:aws:s3:::{}", bucket_name(instance)),
        ("queue", "name") => queue_name(instance, false),
        ("queue", "url") => format!(
            "https://sqs.{}.amazonaws.com/{}/{}",
            env.region,
            account(instance),
            queue_name(instance, false)
        ),
        ("queue", "dlq_url") => format!(
            "https://sqs.{}.amazonaws.com/{}/{}",
            env.region,
            account(instance),
            queue_name(instance, true)
        ),
        ("queue", "arn") => format!(
            "arn:aws:sqs:{}:{}:{}",
            env.region,
            account(instance),
            queue_name(instance, false)
        ),
        ("kafka-topic", "name") => topic_name(instance),
        ("kafka-topic", "bootstrap_servers") => env.kafka_bootstrap_servers.join(","),
        ("kafka-topic", "host") => env
            .kafka_bootstrap_servers
            .first()
            .and_then(|s| s.rsplit_once(':'))
            .map(|(host, _)| host.to_string())?,
        ("kafka-topic", "port") => env
            .kafka_bootstrap_servers
            .first()
            .and_then(|s| s.rsplit_once(':'))
            .map(|(_, port)| port.to_string())?,
        ("kafka-topic", "num_partitions") => param_int(instance, "partitions", 3).to_string(),
        ("dns", "host") => dns_host(instance),
        ("route", "host") => param_str(instance, "host", ""),
        ("route", "path") => param_str(instance, "path", "/"),
        ("route", "url") => format!(
            "https://{}{}",
            param_str(instance, "host", ""),
            param_str(instance, "path", "/")
        ),
        _ => return None,
    };
    Some(value)
}

fn reference(kind: &str, label: &str, attribute: &str) -> Expr {
    Expr::raw(format!("{kind}.{label}.{attribute}"))
}

/// A string template of paved's own: literal text and references, alternately,
/// starting with text. Credentials in it stay interpolations, which secret scanners
/// do not take for a password written out.
fn template(parts: &[&str]) -> Expr {
    let mut text = String::from("\"");
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 0 {
            text.push_str(part);
        } else {
            text.push_str(&format!("${{{part}}}"));
        }
    }
    text.push('"');
    Expr::raw(text)
}

fn skip(body: Body, check: &str, reason: &str) -> Body {
    body.comment(format!("checkov:skip={check}:{reason}"))
}

/// The Terraform of a resource in the root module that owns it.
pub(super) fn terraform(instance: &Instance<'_>, findings: &mut Vec<Finding>) -> Provisioned {
    if let TypeRef::Custom(provisioner) = instance.kind {
        return custom(instance, provisioner, findings);
    }
    match built_in(instance) {
        "postgres" | "mysql" | "mssql" => sql(instance),
        "mongodb" => document_db(instance),
        "amqp" => broker(instance),
        "redis" => redis(instance),
        "bucket" => bucket(instance),
        "queue" => queue(instance),
        "kafka-topic" => kafka_topic(instance),
        "dns" => dns(instance),
        _ => Provisioned::default(),
    }
}

fn security_group(instance: &Instance<'_>, port: u16, what: &str) -> Block {
    Block::new(
        "resource",
        &["aws_security_group", &instance.name],
        Body::new()
            .attr("name", Expr::str(aws_id(instance, "", 255)))
            .attr(
                "description",
                Expr::str(format!(
                    "{what} of {} in {}",
                    instance.service, instance.environment.name
                )),
            )
            .attr("vpc_id", Expr::raw("data.aws_vpc.this.id"))
            .block(Block::new(
                "ingress",
                &[],
                Body::new()
                    .attr(
                        "description",
                        Expr::str(format!("{what} from inside the VPC")),
                    )
                    .attr("from_port", Expr::Int(port.into()))
                    .attr("to_port", Expr::Int(port.into()))
                    .attr("protocol", Expr::str("tcp"))
                    .attr(
                        "cidr_blocks",
                        Expr::List(vec![Expr::raw("data.aws_vpc.this.cidr_block")]),
                    ),
            )),
    )
}

/// Where the connection details go: a secret encrypted with the module's key.
fn connection_secret(instance: &Instance<'_>, what: &str) -> Block {
    let body = Body::new()
        .attr("name", Expr::str(&instance.secret_path))
        .attr(
            "description",
            Expr::str(format!(
                "Connection details of the {what} {}",
                instance.physical
            )),
        )
        .attr("kms_key_id", Expr::raw("aws_kms_key.this.arn"))
        .attr(
            "recovery_window_in_days",
            Expr::Int(if instance.production { 30 } else { 7 }),
        );
    let body = skip(
        body,
        "CKV2_AWS_57",
        "the credential is generated by Terraform and rotated by a new version, not by a rotation Lambda",
    );
    Block::new(
        "resource",
        &["aws_secretsmanager_secret", &instance.name],
        body,
    )
}

/// What differs between the RDS engines paved runs.
struct Rds {
    engine: &'static str,
    /// The engine's name in descriptions.
    what: &'static str,
    port: u16,
    version: String,
    family: String,
    class: &'static str,
    high_availability: bool,
    parameters: Vec<(&'static str, &'static str)>,
    /// Set when the parameters are static: they take effect at the next reboot.
    apply_method: Option<&'static str>,
    logs: Vec<&'static str>,
}

fn rds(instance: &Instance<'_>) -> Rds {
    let production = instance.production;
    let fallback = if production { "medium" } else { "small" };
    let class = class(instance, fallback);
    let high_availability = param_bool(instance, "highAvailability", production);
    match built_in(instance) {
        "mssql" => {
            let version = param_str(instance, "version", "16.00");
            let (engine, cloud) = sql_server_edition(class, production, high_availability);
            let major = version.split('.').next().unwrap_or_default();
            Rds {
                engine,
                what: "SQL Server",
                port: 1433,
                family: format!("{engine}-{major}.0"),
                version,
                class: cloud,
                high_availability,
                parameters: vec![("rds.force_ssl", "1")],
                apply_method: Some("pending-reboot"),
                // Express has no SQL Server Agent, so no agent log.
                logs: if engine == SQL_SERVER_EXPRESS {
                    vec!["error"]
                } else {
                    vec!["agent", "error"]
                },
            }
        }
        "mysql" => {
            let version = param_str(instance, "version", "8.4");
            Rds {
                engine: "mysql",
                what: "MySQL",
                port: 3306,
                family: format!("mysql{version}"),
                version,
                class: class.map_or("db.t4g.small", |c| c.cloud),
                high_availability,
                parameters: vec![
                    ("require_secure_transport", "1"),
                    ("slow_query_log", "1"),
                    ("long_query_time", "1"),
                ],
                apply_method: None,
                logs: vec!["error", "general", "slowquery"],
            }
        }
        _ => {
            let version = param_str(instance, "version", "16");
            Rds {
                engine: "postgres",
                what: "PostgreSQL",
                port: 5432,
                family: format!("postgres{version}"),
                version,
                class: class.map_or("db.t4g.small", |c| c.cloud),
                high_availability,
                parameters: vec![
                    ("rds.force_ssl", "1"),
                    ("log_statement", "ddl"),
                    ("log_min_duration_statement", "1000"),
                ],
                apply_method: None,
                logs: vec!["postgresql", "upgrade"],
            }
        }
    }
}

impl Rds {
    /// RDS for MySQL offers no Performance Insights on the smallest classes.
    fn performance_insights(&self) -> bool {
        const UNSUPPORTED: &[&str] = &[
            "db.t2.micro",
            "db.t2.small",
            "db.t3.micro",
            "db.t3.small",
            "db.t4g.micro",
            "db.t4g.small",
        ];
        !(self.engine == "mysql" && UNSUPPORTED.contains(&self.class))
    }
}

const SQL_SERVER_EXPRESS: &str = "sqlserver-ex";

/// The SQL Server edition (its RDS engine) and instance class: Express on the small
/// class outside production without a standby, Standard Edition otherwise, on
/// db.t3.xlarge for the small class (the smallest class Standard Edition accepts).
fn sql_server_edition(
    class: Option<&Class>,
    production: bool,
    high_availability: bool,
) -> (&'static str, &'static str) {
    match class {
        Some(c) if c.name == "small" && !production && !high_availability => {
            (SQL_SERVER_EXPRESS, c.cloud)
        }
        Some(c) if c.name != "small" => ("sqlserver-se", c.cloud),
        _ => ("sqlserver-se", "db.t3.xlarge"),
    }
}

/// An RDS instance: PostgreSQL, MySQL or SQL Server.
fn sql(instance: &Instance<'_>) -> Provisioned {
    let rds = rds(instance);
    let sql_server = rds.engine.starts_with("sqlserver");
    let label = instance.name.as_str();
    let storage = param_int(instance, "storageGb", 20);
    let retention = param_int(
        instance,
        "backupRetentionDays",
        if instance.production { 14 } else { 7 },
    );
    let identifier = aws_id(instance, "", 63);
    let mut parameter_group = Body::new()
        .attr("name", Expr::str(&identifier))
        .attr("family", Expr::str(&rds.family));
    for (name, value) in &rds.parameters {
        parameter_group = parameter_group.block(Block::new(
            "parameter",
            &[],
            Body::new()
                .attr("name", Expr::str(*name))
                .attr("value", Expr::str(*value))
                .attr_opt("apply_method", rds.apply_method.map(Expr::str)),
        ));
    }
    let mut db = Body::new()
        .attr("identifier", Expr::str(&identifier))
        .attr("engine", Expr::str(rds.engine))
        .attr("engine_version", Expr::str(&rds.version));
    if sql_server {
        db = db.attr("license_model", Expr::str("license-included"));
    }
    db = db
        .attr("instance_class", Expr::str(rds.class))
        .attr("allocated_storage", Expr::Int(storage))
        .attr("max_allocated_storage", Expr::Int(storage * 4))
        .attr("storage_type", Expr::str("gp3"))
        .attr("storage_encrypted", Expr::Bool(true))
        .attr("kms_key_id", Expr::raw("aws_kms_key.this.arn"));
    if !sql_server {
        // SQL Server takes no database name: RDS creates none for it.
        db = db.attr("db_name", Expr::str(database_name(instance)));
    }
    db = db
        .attr("username", Expr::str("app"))
        .blank()
        .comment(" The password is write-only: it never reaches the plan or the state.")
        .attr(
            "password_wo",
            reference("ephemeral.random_password", label, "result"),
        )
        .attr("password_wo_version", Expr::Int(1));
    if !sql_server {
        // SQL Server on RDS has no IAM database authentication.
        db = db.attr("iam_database_authentication_enabled", Expr::Bool(true));
    }
    db = db
        .blank()
        .attr(
            "db_subnet_group_name",
            reference("aws_db_subnet_group", label, "name"),
        )
        .attr(
            "vpc_security_group_ids",
            Expr::List(vec![reference("aws_security_group", label, "id")]),
        )
        .attr(
            "parameter_group_name",
            reference("aws_db_parameter_group", label, "name"),
        )
        .attr("publicly_accessible", Expr::Bool(false))
        .attr("multi_az", Expr::Bool(rds.high_availability))
        .blank()
        .attr("backup_retention_period", Expr::Int(retention))
        .attr("copy_tags_to_snapshot", Expr::Bool(true))
        .attr("deletion_protection", Expr::Bool(instance.production))
        .attr("skip_final_snapshot", Expr::Bool(!instance.production));
    if instance.production {
        db = db.attr(
            "final_snapshot_identifier",
            Expr::str(aws_id(instance, "final", 255)),
        );
    }
    db = db
        .attr("auto_minor_version_upgrade", Expr::Bool(true))
        .attr("apply_immediately", Expr::Bool(false))
        .blank()
        .attr(
            "enabled_cloudwatch_logs_exports",
            Expr::strs(rds.logs.iter().copied()),
        )
        .attr("monitoring_interval", Expr::Int(60))
        .attr(
            "monitoring_role_arn",
            Expr::raw("aws_iam_role.rds_monitoring.arn"),
        )
        .attr(
            "performance_insights_enabled",
            Expr::Bool(rds.performance_insights()),
        );
    db = if rds.performance_insights() {
        db.attr(
            "performance_insights_kms_key_id",
            Expr::raw("aws_kms_key.this.arn"),
        )
    } else {
        skip(
            db,
            "CKV_AWS_353",
            "RDS for MySQL has no Performance Insights on this instance class",
        )
    };
    if !rds.high_availability {
        db = skip(
            db,
            "CKV_AWS_157",
            if rds.engine == SQL_SERVER_EXPRESS {
                "SQL Server Express has no Multi-AZ; it runs outside production only"
            } else {
                "single availability zone outside production unless params.highAvailability is set"
            },
        );
    }
    if !instance.production {
        db = skip(
            db,
            "CKV_AWS_293",
            "deletion protection is for production databases",
        );
    }
    let password = reference("ephemeral.random_password", label, "result");
    let secret_value = if sql_server {
        Expr::object([
            ("server", reference("aws_db_instance", label, "address")),
            ("port", reference("aws_db_instance", label, "port")),
            ("database", Expr::str("master")),
            ("username", reference("aws_db_instance", label, "username")),
            ("password", password),
            (
                "connection",
                template(&[
                    "Server=tcp:",
                    &format!("aws_db_instance.{label}.address"),
                    ",",
                    &format!("aws_db_instance.{label}.port"),
                    ";Initial Catalog=master;User ID=",
                    &format!("aws_db_instance.{label}.username"),
                    ";Password=",
                    &format!("ephemeral.random_password.{label}.result"),
                    ";Encrypt=True",
                ]),
            ),
        ])
    } else {
        Expr::object([
            ("host", reference("aws_db_instance", label, "address")),
            ("port", reference("aws_db_instance", label, "port")),
            ("name", reference("aws_db_instance", label, "db_name")),
            ("database", reference("aws_db_instance", label, "db_name")),
            ("username", reference("aws_db_instance", label, "username")),
            ("password", password),
        ])
    };
    let mut random_password = Body::new()
        .attr("length", Expr::Int(40))
        .attr("special", Expr::Bool(false));
    if sql_server {
        // SQL Server logins ask for three kinds of characters.
        for kind in ["min_upper", "min_lower", "min_numeric"] {
            random_password = random_password.attr(kind, Expr::Int(1));
        }
    }
    let blocks = vec![
        security_group(instance, rds.port, rds.what),
        Block::new(
            "resource",
            &["aws_db_subnet_group", label],
            Body::new()
                .attr("name", Expr::str(&identifier))
                .attr("subnet_ids", Expr::raw("data.aws_subnets.private.ids")),
        ),
        Block::new(
            "resource",
            &["aws_db_parameter_group", label],
            parameter_group,
        ),
        Block::new("ephemeral", &["random_password", label], random_password),
        Block::new("resource", &["aws_db_instance", label], db),
        connection_secret(instance, if sql_server { "SQL Server" } else { rds.engine }),
        secret_version(instance, Expr::call("jsonencode", vec![secret_value])),
    ];
    Provisioned {
        blocks,
        network: true,
        rds_monitoring: true,
        random: true,
        kms: true,
        ..Provisioned::default()
    }
}

/// The connection details, written once: `secret_string_wo` keeps them out of the
/// plan and the state.
fn secret_version(instance: &Instance<'_>, value: Expr) -> Block {
    Block::new(
        "resource",
        &["aws_secretsmanager_secret_version", &instance.name],
        Body::new()
            .attr(
                "secret_id",
                reference("aws_secretsmanager_secret", &instance.name, "id"),
            )
            .attr("secret_string_wo", value)
            .attr("secret_string_wo_version", Expr::Int(1)),
    )
}

/// The DocumentDB parameter group family of an engine version: `5.0.0` → `docdb5.0`.
fn document_family(version: &str) -> String {
    let mut parts = version.split('.');
    let major = parts.next().unwrap_or_default();
    let minor = parts.next().unwrap_or("0");
    format!("docdb{major}.{minor}")
}

/// A MongoDB-compatible Amazon DocumentDB cluster: one instance, or two in separate
/// availability zones when highly available.
fn document_db(instance: &Instance<'_>) -> Provisioned {
    let label = instance.name.as_str();
    let version = param_str(instance, "version", "5.0.0");
    let class = class(
        instance,
        if instance.production {
            "medium"
        } else {
            "small"
        },
    )
    .map_or("db.t4g.medium", |c| c.cloud);
    let high_availability = param_bool(instance, "highAvailability", instance.production);
    let retention = param_int(
        instance,
        "backupRetentionDays",
        if instance.production { 14 } else { 7 },
    );
    let identifier = aws_id(instance, "", 63);
    let cluster = |attribute: &str| reference("aws_docdb_cluster", label, attribute);
    let mut parameter_group = Body::new()
        .attr("name", Expr::str(&identifier))
        .attr("family", Expr::str(document_family(&version)))
        .attr(
            "description",
            Expr::str(format!("TLS and audit logs of {}", instance.physical)),
        );
    for (name, value) in [
        ("tls", "enabled"),
        ("audit_logs", "enabled"),
        ("profiler", "enabled"),
        ("profiler_threshold_ms", "1000"),
    ] {
        parameter_group = parameter_group.block(Block::new(
            "parameter",
            &[],
            Body::new()
                .attr("name", Expr::str(name))
                .attr("value", Expr::str(value))
                .attr("apply_method", Expr::str("pending-reboot")),
        ));
    }
    let mut body = Body::new()
        .attr("cluster_identifier", Expr::str(&identifier))
        .attr("engine", Expr::str("docdb"))
        .attr("engine_version", Expr::str(&version))
        .attr("port", Expr::Int(DOCUMENT_DB_PORT.into()))
        .attr("storage_encrypted", Expr::Bool(true))
        .attr("kms_key_id", Expr::raw("aws_kms_key.this.arn"))
        .attr("master_username", Expr::str("app"))
        .blank()
        .comment(" The password is write-only: it never reaches the plan or the state.")
        .attr(
            "master_password_wo",
            reference("ephemeral.random_password", label, "result"),
        )
        .attr("master_password_wo_version", Expr::Int(1))
        .blank()
        .attr(
            "db_subnet_group_name",
            reference("aws_docdb_subnet_group", label, "name"),
        )
        .attr(
            "vpc_security_group_ids",
            Expr::List(vec![reference("aws_security_group", label, "id")]),
        )
        .attr(
            "db_cluster_parameter_group_name",
            reference("aws_docdb_cluster_parameter_group", label, "name"),
        )
        .blank()
        .attr("backup_retention_period", Expr::Int(retention))
        .attr("deletion_protection", Expr::Bool(instance.production))
        .attr("skip_final_snapshot", Expr::Bool(!instance.production));
    if instance.production {
        body = body.attr(
            "final_snapshot_identifier",
            Expr::str(aws_id(instance, "final", 255)),
        );
    }
    body = body.attr("apply_immediately", Expr::Bool(false)).attr(
        "enabled_cloudwatch_logs_exports",
        Expr::strs(["audit", "profiler"]),
    );
    if retention < 7 {
        body = skip(
            body,
            "CKV_AWS_360",
            "the intent keeps fewer days of backups (params.backupRetentionDays)",
        );
    }
    let instances = Body::new()
        .attr("count", Expr::Int(if high_availability { 2 } else { 1 }))
        .attr(
            "identifier",
            Expr::call(
                "format",
                vec![
                    Expr::str(format!("{}-%d", aws_id(instance, "", 61))),
                    Expr::raw("count.index + 1"),
                ],
            ),
        )
        .attr("cluster_identifier", cluster("id"))
        .attr("instance_class", Expr::str(class))
        .attr("auto_minor_version_upgrade", Expr::Bool(true))
        .attr("apply_immediately", Expr::Bool(false));
    let password = reference("ephemeral.random_password", label, "result");
    let secret_value = Expr::object([
        ("host", cluster("endpoint")),
        ("port", cluster("port")),
        ("username", cluster("master_username")),
        ("password", password),
        (
            "connection",
            template(&[
                "mongodb://",
                &format!("aws_docdb_cluster.{label}.master_username"),
                ":",
                &format!("ephemeral.random_password.{label}.result"),
                "@",
                &format!("aws_docdb_cluster.{label}.endpoint"),
                ":",
                &format!("aws_docdb_cluster.{label}.port"),
                "/?tls=true&replicaSet=rs0&readPreference=secondaryPreferred&retryWrites=false",
            ]),
        ),
    ]);
    let blocks = vec![
        security_group(instance, DOCUMENT_DB_PORT, "DocumentDB"),
        Block::new(
            "resource",
            &["aws_docdb_subnet_group", label],
            Body::new()
                .attr("name", Expr::str(&identifier))
                .attr("subnet_ids", Expr::raw("data.aws_subnets.private.ids")),
        ),
        Block::new(
            "resource",
            &["aws_docdb_cluster_parameter_group", label],
            parameter_group,
        ),
        Block::new(
            "ephemeral",
            &["random_password", label],
            Body::new()
                .attr("length", Expr::Int(40))
                .attr("special", Expr::Bool(false)),
        ),
        Block::new("resource", &["aws_docdb_cluster", label], body),
        Block::new(
            "resource",
            &["aws_docdb_cluster_instance", label],
            instances,
        ),
        connection_secret(instance, "DocumentDB cluster"),
        secret_version(instance, Expr::call("jsonencode", vec![secret_value])),
    ];
    Provisioned {
        blocks,
        network: true,
        random: true,
        kms: true,
        ..Provisioned::default()
    }
}

const DOCUMENT_DB_PORT: u16 = 27017;
const AMQPS_PORT: u16 = 5671;

/// How many brokers: a cluster of three across availability zones when highly
/// available, except on mq.t3.micro, which runs a single broker only.
fn broker_deployment(host_instance_type: &str, high_availability: bool) -> &'static str {
    if high_availability && host_instance_type != "mq.t3.micro" {
        "CLUSTER_MULTI_AZ"
    } else {
        "SINGLE_INSTANCE"
    }
}

/// A RabbitMQ broker on Amazon MQ, private to the VPC.
fn broker(instance: &Instance<'_>) -> Provisioned {
    let label = instance.name.as_str();
    let host_instance_type = class(
        instance,
        if instance.production {
            "medium"
        } else {
            "small"
        },
    )
    .map_or("mq.t3.micro", |c| c.cloud);
    let high_availability = param_bool(instance, "highAvailability", instance.production);
    let deployment = broker_deployment(host_instance_type, high_availability);
    let password = reference("random_password", label, "result");
    let subnets = if deployment == "SINGLE_INSTANCE" {
        // One subnet, the same on every plan: changing it replaces the broker.
        Expr::List(vec![Expr::raw("sort(data.aws_subnets.private.ids)[0]")])
    } else {
        Expr::raw("data.aws_subnets.private.ids")
    };
    let body = Body::new()
        .attr("broker_name", Expr::str(aws_id(instance, "", 50)))
        .attr("engine_type", Expr::str("RabbitMQ"))
        .attr(
            "engine_version",
            Expr::str(param_str(instance, "version", "3.13")),
        )
        .attr("host_instance_type", Expr::str(host_instance_type))
        .attr("deployment_mode", Expr::str(deployment))
        .attr("authentication_strategy", Expr::str("simple"))
        .blank()
        .attr("publicly_accessible", Expr::Bool(false))
        .attr("subnet_ids", subnets)
        .attr(
            "security_groups",
            Expr::List(vec![reference("aws_security_group", label, "id")]),
        )
        .blank()
        .attr("auto_minor_version_upgrade", Expr::Bool(true))
        .attr("apply_immediately", Expr::Bool(false))
        .block(Block::new(
            "maintenance_window_start_time",
            &[],
            Body::new()
                .attr("day_of_week", Expr::str("SUNDAY"))
                .attr("time_of_day", Expr::str("03:00"))
                .attr("time_zone", Expr::str("UTC")),
        ))
        .block(Block::new(
            "logs",
            &[],
            Body::new().attr("general", Expr::Bool(true)),
        ))
        .block(Block::new(
            "user",
            &[],
            Body::new()
                .attr("username", Expr::str("app"))
                .attr("password", password.clone()),
        ));
    let body = skip(
        body,
        "CKV_AWS_209",
        "Amazon MQ encrypts RabbitMQ brokers at rest with an AWS owned key; customer managed keys are for ActiveMQ only",
    );
    let host = Expr::raw(format!(
        r#"trimsuffix(trimprefix(aws_mq_broker.{label}.instances[0].endpoints[0], "amqps://"), ":{AMQPS_PORT}")"#
    ));
    let secret_value = Expr::object([
        ("host", host),
        ("port", Expr::Int(AMQPS_PORT.into())),
        ("vhost", Expr::str("/")),
        ("username", Expr::str("app")),
        ("password", password),
    ]);
    let blocks = vec![
        security_group(instance, AMQPS_PORT, "AMQPS"),
        Block::new(
            "resource",
            &["random_password", label],
            Body::new()
                .comment(" Amazon MQ has no write-only argument for a user's password, so this one")
                .comment(" is kept in the Terraform state, which the backend encrypts.")
                .attr("length", Expr::Int(40))
                .attr("special", Expr::Bool(false)),
        ),
        Block::new("resource", &["aws_mq_broker", label], body),
        connection_secret(instance, "RabbitMQ broker"),
        secret_version(instance, Expr::call("jsonencode", vec![secret_value])),
    ];
    Provisioned {
        blocks,
        network: true,
        random: true,
        kms: true,
        ..Provisioned::default()
    }
}

fn redis(instance: &Instance<'_>) -> Provisioned {
    let label = instance.name.as_str();
    let version = param_str(instance, "version", "7.1");
    let family = if version.starts_with('6') {
        "redis6.x"
    } else {
        "redis7"
    };
    let replicas = param_int(instance, "replicas", i64::from(instance.production));
    let class = class(instance, "small").map_or("cache.t4g.small", |c| c.cloud);
    let group_id = aws_id(instance, "", 40);
    let user = redis_user(instance);
    let default_user = aws_id(instance, "default", 40);
    let log_group = format!(
        "/paved/{}/{}/{}",
        instance.environment.name, instance.service, instance.name
    );
    let default_label = format!("{label}_default");
    let blocks = vec![
        security_group(instance, 6379, "Redis"),
        Block::new(
            "resource",
            &["aws_elasticache_subnet_group", label],
            Body::new()
                .attr("name", Expr::str(&group_id))
                .attr("subnet_ids", Expr::raw("data.aws_subnets.private.ids")),
        ),
        Block::new(
            "resource",
            &["aws_elasticache_parameter_group", label],
            Body::new()
                .attr("name", Expr::str(&group_id))
                .attr("family", Expr::str(family))
                .block(Block::new(
                    "parameter",
                    &[],
                    Body::new()
                        .attr("name", Expr::str("maxmemory-policy"))
                        .attr("value", Expr::str(param_str(instance, "evictionPolicy", "volatile-lru"))),
                )),
        ),
        Block::new(
            "resource",
            &["aws_elasticache_user", &default_label],
            Body::new()
                .comment(" ElastiCache requires a `default` user; this one is switched off.")
                .attr("user_id", Expr::str(&default_user))
                .attr("user_name", Expr::str("default"))
                .attr("engine", Expr::str("redis"))
                .attr("access_string", Expr::str("off -@all"))
                .block(Block::new(
                    "authentication_mode",
                    &[],
                    Body::new().attr("type", Expr::str("no-password-required")),
                )),
        ),
        Block::new(
            "resource",
            &["aws_elasticache_user", label],
            Body::new()
                .comment(" The service authenticates with its IAM role: there is no password.")
                .attr("user_id", Expr::str(&user))
                .attr("user_name", Expr::str(&user))
                .attr("engine", Expr::str("redis"))
                .attr("access_string", Expr::str("on ~* +@all"))
                .block(Block::new(
                    "authentication_mode",
                    &[],
                    Body::new().attr("type", Expr::str("iam")),
                )),
        ),
        Block::new(
            "resource",
            &["aws_elasticache_user_group", label],
            Body::new()
                .attr("user_group_id", Expr::str(&group_id))
                .attr("engine", Expr::str("redis"))
                .attr(
                    "user_ids",
                    Expr::List(vec![
                        reference("aws_elasticache_user", &default_label, "user_id"),
                        reference("aws_elasticache_user", label, "user_id"),
                    ]),
                ),
        ),
        Block::new(
            "resource",
            &["aws_cloudwatch_log_group", label],
            Body::new()
                .attr("name", Expr::str(&log_group))
                .attr("retention_in_days", Expr::Int(365))
                .attr("kms_key_id", Expr::raw("aws_kms_key.this.arn")),
        ),
        Block::new(
            "resource",
            &["aws_elasticache_replication_group", label],
            skip(
                Body::new()
                    .attr("replication_group_id", Expr::str(&group_id))
                    .attr(
                        "description",
                        Expr::str(format!("Redis {} of {}", instance.name, instance.service)),
                    )
                    .attr("engine", Expr::str("redis"))
                    .attr("engine_version", Expr::str(&version))
                    .attr("node_type", Expr::str(class))
                    .attr("num_cache_clusters", Expr::Int(1 + replicas))
                    .attr("automatic_failover_enabled", Expr::Bool(replicas > 0))
                    .attr("multi_az_enabled", Expr::Bool(replicas > 0))
                    .attr("port", Expr::Int(6379))
                    .attr("subnet_group_name", reference("aws_elasticache_subnet_group", label, "name"))
                    .attr(
                        "security_group_ids",
                        Expr::List(vec![reference("aws_security_group", label, "id")]),
                    )
                    .attr("parameter_group_name", reference("aws_elasticache_parameter_group", label, "name"))
                    .attr(
                        "user_group_ids",
                        Expr::List(vec![reference("aws_elasticache_user_group", label, "user_group_id")]),
                    )
                    .blank()
                    .attr("at_rest_encryption_enabled", Expr::Bool(true))
                    .attr("kms_key_id", Expr::raw("aws_kms_key.this.arn"))
                    .attr("transit_encryption_enabled", Expr::Bool(true))
                    .attr("snapshot_retention_limit", Expr::Int(if instance.production { 14 } else { 7 }))
                    .attr("auto_minor_version_upgrade", Expr::Bool(true))
                    .attr("apply_immediately", Expr::Bool(false))
                    .extend(if replicas > 0 {
                        Body::new()
                    } else {
                        skip(
                            Body::new(),
                            "CKV2_AWS_50",
                            "a single node without failover unless params.replicas asks for replicas (production defaults to one)",
                        )
                    })
                    .block(Block::new(
                        "log_delivery_configuration",
                        &[],
                        Body::new()
                            .attr("destination", reference("aws_cloudwatch_log_group", label, "name"))
                            .attr("destination_type", Expr::str("cloudwatch-logs"))
                            .attr("log_format", Expr::str("json"))
                            .attr("log_type", Expr::str("slow-log")),
                    )),
                "CKV_AWS_31",
                "clients authenticate with IAM through a user group instead of an AUTH token",
            ),
        ),
        connection_secret(instance, "redis"),
        Block::new(
            "resource",
            &["aws_secretsmanager_secret_version", label],
            Body::new()
                .attr("secret_id", reference("aws_secretsmanager_secret", label, "id"))
                .attr(
                    "secret_string",
                    Expr::call(
                        "jsonencode",
                        vec![Expr::object([
                            (
                                "host",
                                reference("aws_elasticache_replication_group", label, "primary_endpoint_address"),
                            ),
                            ("port", Expr::Int(6379)),
                            ("username", Expr::str(&user)),
                        ])],
                    ),
                ),
        ),
    ];
    Provisioned {
        blocks,
        network: true,
        kms: true,
        ..Provisioned::default()
    }
}

fn bucket(instance: &Instance<'_>) -> Provisioned {
    let label = instance.name.as_str();
    let bucket_ref = reference("aws_s3_bucket", label, "id");
    let on_bucket = |kind: &str, body: Body| {
        Block::new(
            "resource",
            &[kind, label],
            Body::new().attr("bucket", bucket_ref.clone()).extend(body),
        )
    };
    let versioning = if param_bool(instance, "versioning", true) {
        "Enabled"
    } else {
        "Suspended"
    };
    let mut lifecycle = Body::new().block(Block::new(
        "rule",
        &[],
        Body::new()
            .attr("id", Expr::str("abort-incomplete-uploads"))
            .attr("status", Expr::str("Enabled"))
            .block(Block::new("filter", &[], Body::new()))
            .block(Block::new(
                "abort_incomplete_multipart_upload",
                &[],
                Body::new().attr("days_after_initiation", Expr::Int(7)),
            ))
            .block(Block::new(
                "noncurrent_version_expiration",
                &[],
                Body::new().attr("noncurrent_days", Expr::Int(90)),
            )),
    ));
    if let Some(days) = param(instance, "expireAfterDays").and_then(Json::as_i64) {
        lifecycle = lifecycle.block(Block::new(
            "rule",
            &[],
            Body::new()
                .attr("id", Expr::str("expire-objects"))
                .attr("status", Expr::str("Enabled"))
                .block(Block::new("filter", &[], Body::new()))
                .block(Block::new(
                    "expiration",
                    &[],
                    Body::new().attr("days", Expr::Int(days)),
                )),
        ));
    }
    let tls_only = Expr::call(
        "jsonencode",
        vec![Expr::from_json(&json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [
                    format!("arn:aws:s3:::{}", bucket_name(instance)),
                    format!("arn:aws:s3:::{}/*", bucket_name(instance)),
                ],
                "Condition": { "Bool": { "aws:SecureTransport": "false" } },
            }],
        }))],
    );
    let mut bucket_body = Body::new().attr("bucket", Expr::str(bucket_name(instance)));
    if versioning == "Suspended" {
        bucket_body = skip(
            bucket_body,
            "CKV_AWS_21",
            "the intent turns versioning off (params.versioning: false)",
        );
    }
    for (check, reason) in [
        (
            "CKV_AWS_18",
            "access logging is the platform's choice (CloudTrail data events or a log bucket), not each bucket's",
        ),
        (
            "CKV_AWS_144",
            "cross-region replication is a disaster-recovery decision made per bucket, not a default",
        ),
        (
            "CKV2_AWS_62",
            "event notifications are wired by the services that need them",
        ),
    ] {
        bucket_body = skip(bucket_body, check, reason);
    }
    let blocks = vec![
        Block::new("resource", &["aws_s3_bucket", label], bucket_body),
        on_bucket(
            "aws_s3_bucket_public_access_block",
            Body::new()
                .attr("block_public_acls", Expr::Bool(true))
                .attr("block_public_policy", Expr::Bool(true))
                .attr("ignore_public_acls", Expr::Bool(true))
                .attr("restrict_public_buckets", Expr::Bool(true)),
        ),
        on_bucket(
            "aws_s3_bucket_ownership_controls",
            Body::new().block(Block::new(
                "rule",
                &[],
                Body::new().attr("object_ownership", Expr::str("BucketOwnerEnforced")),
            )),
        ),
        on_bucket(
            "aws_s3_bucket_server_side_encryption_configuration",
            Body::new().block(Block::new(
                "rule",
                &[],
                Body::new()
                    .attr("bucket_key_enabled", Expr::Bool(true))
                    .block(Block::new(
                        "apply_server_side_encryption_by_default",
                        &[],
                        Body::new()
                            .attr("sse_algorithm", Expr::str("aws:kms"))
                            .attr("kms_master_key_id", Expr::raw("aws_kms_key.this.arn")),
                    )),
            )),
        ),
        on_bucket(
            "aws_s3_bucket_versioning",
            Body::new().block(Block::new(
                "versioning_configuration",
                &[],
                Body::new().attr("status", Expr::str(versioning)),
            )),
        ),
        on_bucket("aws_s3_bucket_lifecycle_configuration", lifecycle),
        on_bucket("aws_s3_bucket_policy", Body::new().attr("policy", tls_only)),
    ];
    Provisioned {
        blocks,
        kms: true,
        ..Provisioned::default()
    }
}

fn queue(instance: &Instance<'_>) -> Provisioned {
    let label = instance.name.as_str();
    let dlq = format!("{label}_dlq");
    let fifo = param_bool(instance, "fifo", false);
    let common = |body: Body| {
        let body = body
            .attr("fifo_queue", Expr::Bool(fifo))
            .attr("kms_master_key_id", Expr::raw("aws_kms_key.this.arn"))
            .attr("kms_data_key_reuse_period_seconds", Expr::Int(300));
        if fifo {
            body.attr("content_based_deduplication", Expr::Bool(true))
        } else {
            body
        }
    };
    let blocks = vec![
        Block::new(
            "resource",
            &["aws_sqs_queue", &dlq],
            common(
                Body::new()
                    .attr("name", Expr::str(queue_name(instance, true)))
                    .attr("message_retention_seconds", Expr::Int(1_209_600)),
            ),
        ),
        Block::new(
            "resource",
            &["aws_sqs_queue", label],
            common(
                Body::new()
                    .attr("name", Expr::str(queue_name(instance, false)))
                    .attr(
                        "visibility_timeout_seconds",
                        Expr::Int(param_int(instance, "visibilityTimeoutSeconds", 30)),
                    )
                    .attr(
                        "message_retention_seconds",
                        Expr::Int(param_int(instance, "retentionSeconds", 345_600)),
                    )
                    .attr(
                        "redrive_policy",
                        Expr::call(
                            "jsonencode",
                            vec![Expr::object([
                                (
                                    "deadLetterTargetArn",
                                    reference("aws_sqs_queue", &dlq, "arn"),
                                ),
                                (
                                    "maxReceiveCount",
                                    Expr::Int(param_int(instance, "maxReceives", 5)),
                                ),
                            ])],
                        ),
                    ),
            ),
        ),
    ];
    Provisioned {
        blocks,
        kms: true,
        ..Provisioned::default()
    }
}

fn kafka_topic(instance: &Instance<'_>) -> Provisioned {
    let env = instance.environment;
    let retention_ms = param_int(instance, "retentionHours", 168) * 3_600_000;
    let replication = param_int(instance, "replicationFactor", 3);
    let topic = Block::new(
        "resource",
        &["kafka_topic", &instance.name],
        Body::new()
            .attr("name", Expr::str(topic_name(instance)))
            .attr(
                "partitions",
                Expr::Int(param_int(instance, "partitions", 3)),
            )
            .attr("replication_factor", Expr::Int(replication))
            .attr(
                "config",
                Expr::object([
                    (
                        "cleanup.policy",
                        Expr::str(param_str(instance, "cleanupPolicy", "delete")),
                    ),
                    ("retention.ms", Expr::str(retention_ms.to_string())),
                    (
                        "min.insync.replicas",
                        Expr::str((replication - 1).max(1).to_string()),
                    ),
                ]),
            ),
    );
    let provider = Body::new()
        .attr(
            "bootstrap_servers",
            Expr::strs(env.kafka_bootstrap_servers.clone()),
        )
        .attr("tls_enabled", Expr::Bool(true))
        .attr("sasl_mechanism", Expr::str("aws-iam"))
        .attr("sasl_aws_region", Expr::str(&env.region));
    Provisioned {
        blocks: vec![topic],
        providers: vec![("kafka", "Mongey/kafka", "~> 0.8", provider)],
        ..Provisioned::default()
    }
}

fn dns(instance: &Instance<'_>) -> Provisioned {
    let target = instance
        .environment
        .ingress_hostname
        .clone()
        .unwrap_or_default();
    let record = Block::new(
        "resource",
        &["aws_route53_record", &instance.name],
        Body::new()
            .attr("zone_id", Expr::raw("data.aws_route53_zone.this.zone_id"))
            .attr("name", Expr::str(dns_host(instance)))
            .attr("type", Expr::str("CNAME"))
            .attr("ttl", Expr::Int(300))
            .attr("records", Expr::strs([target])),
    );
    Provisioned {
        blocks: vec![record],
        route53_zone: true,
        ..Provisioned::default()
    }
}

/// What the service's role may do with one of its resources: IAM policy statements.
pub(super) fn permissions(instance: &Instance<'_>) -> Vec<Json> {
    let region = region(instance);
    let account = account(instance);
    let kms_via = |service: &str| {
        json!({
            "sid": "UseKmsVia",
            "actions": ["kms:Decrypt", "kms:GenerateDataKey"],
            "resources": [format!("arn:aws:kms:{region}:{account}:key/*")],
            "condition": { "test": "StringEquals", "variable": "kms:ViaService", "values": [format!("{service}.{region}.amazonaws.com")] },
        })
    };
    let sid = names::camel(&instance.name);
    if let TypeRef::Custom(provisioner) = instance.kind {
        return custom_permissions(instance, provisioner);
    }
    match built_in(instance) {
        "bucket" => {
            let bucket = bucket_name(instance);
            vec![
                json!({
                    "sid": format!("{sid}List"),
                    "actions": ["s3:ListBucket", "s3:GetBucketLocation"],
                    "resources": [format!("arn:aws:s3:::{bucket}")],
                }),
                json!({
                    "sid": format!("{sid}Objects"),
                    "actions": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                    "resources": [format!("arn:aws:s3:::{bucket}/*")],
                }),
                with_sid(kms_via("s3"), &format!("{sid}Kms")),
            ]
        }
        "queue" => {
            let arn = |dead_letter| {
                format!(
                    "arn:aws:sqs:{region}:{account}:{}",
                    queue_name(instance, dead_letter)
                )
            };
            vec![
                json!({
                    "sid": format!("{sid}Messages"),
                    "actions": [
                        "sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage",
                        "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
                    ],
                    "resources": [arn(false), arn(true)],
                }),
                with_sid(kms_via("sqs"), &format!("{sid}Kms")),
            ]
        }
        "redis" => vec![json!({
            "sid": format!("{sid}Connect"),
            "actions": ["elasticache:Connect"],
            "resources": [
                format!("arn:aws:elasticache:{region}:{account}:replicationgroup:{}", aws_id(instance, "", 40)),
                format!("arn:aws:elasticache:{region}:{account}:user:{}", redis_user(instance)),
            ],
        })],
        "kafka-topic" => {
            let topic = topic_name(instance);
            vec![
                json!({
                    "sid": format!("{sid}Cluster"),
                    "actions": ["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"],
                    "resources": [format!("arn:aws:kafka:{region}:{account}:cluster/*/*")],
                }),
                json!({
                    "sid": format!("{sid}Topic"),
                    "actions": ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData", "kafka-cluster:WriteData"],
                    "resources": [format!("arn:aws:kafka:{region}:{account}:topic/*/*/{topic}")],
                }),
                json!({
                    "sid": format!("{sid}Group"),
                    "actions": ["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
                    "resources": [format!("arn:aws:kafka:{region}:{account}:group/*/*/{}*", instance.service)],
                }),
            ]
        }
        // Databases and brokers: the pods use the credentials from the secret store.
        _ => Vec::new(),
    }
}

fn with_sid(mut statement: Json, sid: &str) -> Json {
    statement["sid"] = json!(sid);
    statement
}

/// Outputs of a platform provisioner known at render time, from their templates.
pub(super) fn custom_outputs(
    instance: &Instance<'_>,
    provisioner: &Provisioner,
    findings: &mut Vec<Finding>,
) -> std::collections::BTreeMap<String, String> {
    let context = instance.context();
    let mut values = std::collections::BTreeMap::new();
    for (name, output) in &provisioner.outputs {
        let Some(template) = &output.value else {
            continue;
        };
        let at = provisioner.origin.value(&format!(
            "/outputs/{}/value",
            crate::diag::origin::escape_pointer(name)
        ));
        match instance.platform.render_str(
            template,
            &context,
            &at,
            &format!("output `{name}` of {}", describe(instance)),
        ) {
            Ok(value) => {
                values.insert(name.clone(), value);
            }
            Err(finding) => findings.push(*finding),
        }
    }
    values
}

fn describe(instance: &Instance<'_>) -> String {
    format!(
        "resource `{}` of `{}` in `{}`",
        instance.name, instance.service, instance.environment.name
    )
}

/// A platform provisioner's Terraform: its templates rendered, parsed back and
/// rewritten canonically, with its declared checkov skips.
fn custom(
    instance: &Instance<'_>,
    provisioner: &Provisioner,
    findings: &mut Vec<Finding>,
) -> Provisioned {
    let context = instance.context();
    let mut blocks = Vec::new();
    for template in &provisioner.templates {
        let text = match instance
            .platform
            .render(template, &context, &describe(instance))
        {
            Ok(text) => text,
            Err(finding) => {
                findings.push(*finding);
                continue;
            }
        };
        match hcl::from_hcl(&text) {
            Ok(parsed) => blocks.extend(parsed),
            Err(e) => {
                if let Some(file) = instance.platform.source(template) {
                    findings.push(Finding::new(
                        Code::TemplateError,
                        file,
                        file.start(),
                        format!(
                            "the Terraform rendered for {} is not valid HCL: {}",
                            describe(instance),
                            crate::load::platform::redact(&e, &context)
                        ),
                    ));
                }
            }
        }
    }
    for skip_entry in &provisioner.checkov_skips {
        let (kind, name) = match skip_entry.block.split_once('.') {
            Some((kind, name)) => (kind, Some(name)),
            None => (skip_entry.block.as_str(), None),
        };
        for block in &mut blocks {
            if matches!(block.kind.as_str(), "resource" | "data")
                && block.labels.first().map(String::as_str) == Some(kind)
                && name.is_none_or(|n| block.labels.get(1).map(String::as_str) == Some(n))
            {
                let comment = hcl::Item::Comment(format!(
                    "checkov:skip={}:{}",
                    skip_entry.check, skip_entry.reason
                ));
                block.body.items.insert(0, comment);
            }
        }
    }
    let origin = provisioner
        .templates
        .first()
        .and_then(|name| instance.platform.source(name))
        .map(|file| crate::syntax::source::Location::new(file, file.start()));
    Provisioned {
        blocks,
        network: true,
        kms: true,
        origin,
        ..Provisioned::default()
    }
}

/// A platform provisioner's permissions, with their strings rendered.
fn custom_permissions(instance: &Instance<'_>, provisioner: &Provisioner) -> Vec<Json> {
    let context = instance.context();
    let render = |text: &str| {
        instance
            .platform
            .render_str(
                text,
                &context,
                &provisioner.origin.value("/permissions"),
                "a permission",
            )
            .unwrap_or_else(|_| text.to_string())
    };
    provisioner
        .permissions
        .iter()
        .map(|statement| {
            let strings = |key: &str| -> Vec<String> {
                statement[key]
                    .as_array()
                    .map(|a| a.iter().filter_map(Json::as_str).map(render).collect())
                    .unwrap_or_default()
            };
            let mut out =
                json!({ "actions": strings("actions"), "resources": strings("resources") });
            if let Some(sid) = statement.get("sid").and_then(Json::as_str) {
                out["sid"] = json!(format!("{}{sid}", names::camel(&instance.name)));
            }
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;
    use crate::load::platform::Platform;
    use crate::model::config::Environment;
    use crate::types::{self, BUILT_IN};

    fn environment(production: bool) -> Environment {
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

    fn instance<'a>(
        kind: &str,
        name: &str,
        class: Option<&str>,
        params: Json,
        environment: &'a Environment,
        platform: &'a Platform,
    ) -> Instance<'a> {
        Instance {
            name: name.to_string(),
            kind: TypeRef::BuiltIn(types::find(kind).expect("a built-in type")),
            class: class.map(str::to_string),
            params,
            shared_id: None,
            service: "catalog",
            physical: names::bounded(&[&environment.name, "catalog", name], 63),
            secret_path: format!("paved/{}/catalog/{name}", environment.name),
            environment,
            production: environment.production,
            platform,
            custom_outputs: BTreeMap::new(),
        }
    }

    /// The rendered HCL of a resource's blocks, runs of spaces (alignment) as one.
    fn hcl(instance: &Instance<'_>) -> String {
        let text = hcl::file(&terraform(instance, &mut Vec::new()).blocks);
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
    fn outputs_known_at_render_time_are_written_and_the_rest_come_from_the_secret_store() {
        let platform = Platform::default();
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
            let instance = instance(kind, "store", None, json!({}), &env, &platform);
            assert_eq!(
                static_output(&instance, output).as_deref(),
                expected,
                "{kind}.{output}"
            );
            let declared = types::find(kind).and_then(|t| t.output(output));
            assert!(declared.is_some(), "{kind} declares {output}");
        }
    }

    #[test]
    fn mysql_has_performance_insights_where_rds_offers_them() {
        let platform = Platform::default();
        let env = environment(false);
        let small = hcl(&instance("mysql", "db", None, json!({}), &env, &platform));
        assert!(
            small.contains("performance_insights_enabled = false"),
            "{small}"
        );
        assert!(small.contains("checkov:skip=CKV_AWS_353"), "{small}");
        assert!(
            !small.contains("performance_insights_kms_key_id"),
            "{small}"
        );
        assert!(small.contains(r#"value = "1""#), "{small}");
        let medium = hcl(&instance(
            "mysql",
            "db",
            Some("medium"),
            json!({}),
            &env,
            &platform,
        ));
        assert!(
            medium.contains("performance_insights_enabled = true"),
            "{medium}"
        );
        let postgres = hcl(&instance(
            "postgres",
            "db",
            None,
            json!({}),
            &env,
            &platform,
        ));
        assert!(
            postgres.contains("performance_insights_enabled = true"),
            "{postgres}"
        );
    }

    #[test]
    fn passwords_and_connection_strings_are_secret_outputs() {
        for kind in ["mongodb", "amqp", "mssql"] {
            let kind = types::find(kind).expect("a built-in type");
            for output in kind.outputs {
                // The user name is the fixed `app`, written in clear like SQL's.
                let credential = matches!(output.name, "password" | "connection");
                assert_eq!(output.secret, credential, "{}.{}", kind.name, output.name);
            }
        }
    }

    #[test]
    fn sql_server_runs_express_only_where_it_can() {
        let class = |name| types::find("mssql").and_then(|t| t.class(name));
        // Outside production, without a standby, the small class is Express.
        assert_eq!(
            sql_server_edition(class("small"), false, false),
            ("sqlserver-ex", "db.t3.small")
        );
        // Express has no standby and is not for production: Standard Edition on its
        // smallest class instead.
        for (production, high_availability) in [(true, true), (true, false), (false, true)] {
            assert_eq!(
                sql_server_edition(class("small"), production, high_availability),
                ("sqlserver-se", "db.t3.xlarge")
            );
        }
        assert_eq!(
            sql_server_edition(class("large"), false, false),
            ("sqlserver-se", "db.m5.xlarge")
        );
    }

    #[test]
    fn sql_server_takes_no_database_name_nor_iam_authentication() {
        let platform = Platform::default();
        let dev = environment(false);
        let text = hcl(&instance(
            "mssql",
            "ledger",
            None,
            json!({}),
            &dev,
            &platform,
        ));
        assert!(text.contains(r#"engine = "sqlserver-ex""#), "{text}");
        assert!(text.contains(r#"license_model"#), "{text}");
        assert!(text.contains(r#"family = "sqlserver-ex-16.0""#), "{text}");
        assert!(
            text.contains(r#"apply_method = "pending-reboot""#),
            "{text}"
        );
        assert!(!text.contains("db_name"), "{text}");
        assert!(
            !text.contains("iam_database_authentication_enabled"),
            "{text}"
        );
        assert!(
            text.contains(r#"enabled_cloudwatch_logs_exports = ["error"]"#),
            "{text}"
        );
        let prod = environment(true);
        let text = hcl(&instance(
            "mssql",
            "ledger",
            None,
            json!({}),
            &prod,
            &platform,
        ));
        assert!(text.contains(r#""sqlserver-se""#), "{text}");
        assert!(text.contains(r#""db.m5.large""#), "{text}");
        assert!(text.contains("multi_az = true"), "{text}");
        assert!(text.contains(r#"["agent", "error"]"#), "{text}");
        let text = hcl(&instance(
            "mssql",
            "ledger",
            Some("small"),
            json!({}),
            &prod,
            &platform,
        ));
        assert!(text.contains(r#"engine = "sqlserver-se""#), "{text}");
        assert!(
            text.contains(r#"instance_class = "db.t3.xlarge""#),
            "{text}"
        );
    }

    #[test]
    fn a_broker_clusters_when_highly_available_and_its_class_allows_it() {
        assert_eq!(broker_deployment("mq.m5.large", true), "CLUSTER_MULTI_AZ");
        assert_eq!(broker_deployment("mq.m5.large", false), "SINGLE_INSTANCE");
        assert_eq!(broker_deployment("mq.t3.micro", true), "SINGLE_INSTANCE");
        let platform = Platform::default();
        let prod = environment(true);
        let text = hcl(&instance("amqp", "jobs", None, json!({}), &prod, &platform));
        assert!(text.contains(r#""CLUSTER_MULTI_AZ""#), "{text}");
        assert!(text.contains(r#""mq.m5.large""#), "{text}");
        assert!(text.contains("publicly_accessible = false"), "{text}");
        assert!(text.contains("Terraform state"), "{text}");
    }

    #[test]
    fn document_db_families_follow_the_engine_version() {
        assert_eq!(document_family("5.0.0"), "docdb5.0");
        assert_eq!(document_family("4.0.0"), "docdb4.0");
        assert_eq!(document_family("5"), "docdb5.0");
        let platform = Platform::default();
        let dev = environment(false);
        let text = hcl(&instance(
            "mongodb",
            "docs",
            None,
            json!({}),
            &dev,
            &platform,
        ));
        assert!(text.contains("master_password_wo "), "{text}");
        assert!(text.contains(r#""docdb5.0""#), "{text}");
        assert!(text.contains("count"), "{text}");
        let short = json!({"backupRetentionDays": 3});
        let text = hcl(&instance("mongodb", "docs", None, short, &dev, &platform));
        assert!(text.contains("checkov:skip=CKV_AWS_360"), "{text}");
    }

    #[test]
    fn identifiers_stay_within_their_limits() {
        let platform = Platform::default();
        let prod = environment(true);
        let long = "a".repeat(60);
        let broker = instance("amqp", &long, None, json!({}), &prod, &platform);
        let text = hcl(&broker);
        let name = aws_id(&broker, "", 50);
        assert!(name.len() <= 50);
        assert!(
            text.contains(&format!(r#"broker_name = "{name}""#)),
            "{text}"
        );
        let cluster = instance("mongodb", &long, None, json!({}), &prod, &platform);
        assert!(aws_id(&cluster, "", 63).len() <= 63);
        // Instance identifiers add `-N` to a base of at most 61 characters.
        assert!(aws_id(&cluster, "", 61).len() + 2 <= 63);
    }

    #[test]
    fn no_password_is_written_into_the_terraform() {
        let platform = Platform::default();
        for production in [false, true] {
            let env = environment(production);
            for kind in ["mongodb", "amqp", "mssql"] {
                let text = hcl(&instance(kind, "store", None, json!({}), &env, &platform));
                let lines = text
                    .lines()
                    .filter(|l| l.to_lowercase().contains("password"));
                for line in lines.filter(|l| !l.trim_start().starts_with('#')) {
                    let value = line.split_once(" = ").map(|(_, v)| v.trim());
                    // A string value reads the password through an interpolation.
                    assert!(
                        value.is_none_or(|v| !v.starts_with('"') || v.contains("random_password.")),
                        "{kind}: {line}"
                    );
                }
            }
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
        let platform = crate::load::platform::Platform::default();
        for kind in BUILT_IN.iter().filter(|t| t.name != "service-port") {
            let instance = Instance {
                name: String::from("thing"),
                kind: TypeRef::BuiltIn(kind),
                class: None,
                params: json!({"host": "web.example.com"}),
                shared_id: None,
                service: "web",
                physical: String::from("dev-web-thing"),
                secret_path: String::from("paved/dev/web/thing"),
                environment: &environment,
                production: false,
                platform: &platform,
                custom_outputs: BTreeMap::new(),
            };
            for output in kind.outputs {
                assert_eq!(
                    static_output(&instance, output.name).is_some(),
                    output.rendered,
                    "{}.{}",
                    kind.name,
                    output.name
                );
            }
        }
    }
}
