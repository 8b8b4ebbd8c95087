//! An Amazon RDS instance, shared by the SQL types (postgres, mysql, mssql): each gives
//! its [`Engine`], this module builds the instance with the platform's guardrails
//! around it (private subnets, encryption, backups, monitoring, a write-only password
//! and the connection details in the secret store).

use crate::syntax::hcl::{Block, Body, Expr};

use super::aws::{
    aws_id, connection_secret, reference, secret_version, security_group, skip, template,
};
use super::{Class, Instance, Monitored, Output, Panel, Provisioned, cloud, out, secret};

pub(super) const DATABASE_CLASSES: &[Class] = &[
    Class {
        name: "small",
        cloud: "db.t4g.small",
    },
    Class {
        name: "medium",
        cloud: "db.t4g.medium",
    },
    Class {
        name: "large",
        cloud: "db.r6g.large",
    },
    Class {
        name: "xlarge",
        cloud: "db.r6g.xlarge",
    },
];

/// The outputs of a PostgreSQL or MySQL database.
pub(super) const SQL_OUTPUTS: &[Output] = &[
    cloud("host", "The database endpoint's host name."),
    out("port", "The port the database listens on."),
    out("name", "The database name."),
    out("database", "The database name (same as `name`)."),
    out("username", "The service's database user."),
    secret("password", "The user's password."),
];

/// The params PostgreSQL and MySQL share.
pub(super) const SQL_PARAMS: (&str, &str) = (
    "sqlParams",
    r##"{
  "type": "object",
  "properties": {
    "database": { "description": "The database to create; defaults to the resource name.", "type": "string", "maxLength": 63, "pattern": "^[a-z][a-z0-9_]*$" },
    "storageGb": { "description": "Allocated storage in GiB.", "type": "integer", "minimum": 20, "maximum": 65536, "default": 20 },
    "highAvailability": { "description": "A standby in another availability zone. Defaults to true in production environments.", "type": "boolean" },
    "backupRetentionDays": { "description": "How long automated backups are kept. Defaults to 7 days, 14 in production.", "type": "integer", "minimum": 1, "maximum": 35 }
  }
}"##,
);

/// The user every SQL engine's instance is created with.
pub(super) const USER: &str = "app";

/// What differs between the RDS engines paved runs.
pub(super) struct Engine {
    pub engine: &'static str,
    /// The engine's name in descriptions.
    pub what: &'static str,
    pub port: u16,
    pub version: String,
    pub family: String,
    pub class: &'static str,
    pub high_availability: bool,
    pub parameters: Vec<(&'static str, &'static str)>,
    /// Set when the parameters are static: they take effect at the next reboot.
    pub apply_method: Option<&'static str>,
    pub logs: Vec<&'static str>,
    /// SQL Server: licence included, no database name, no IAM authentication.
    pub sql_server: bool,
    /// The engine offers Performance Insights on the instance's class.
    pub performance_insights: bool,
    /// Describes why a single-zone instance is one, for the checkov skip.
    pub single_zone_reason: &'static str,
    /// The secret's connection details, by key.
    pub secret: Expr,
}

/// The class an instance runs on: the asked-for one, else medium in production and
/// small elsewhere.
pub(super) fn class<'a>(instance: &Instance<'a>) -> Option<&'static Class> {
    instance.class_or(if instance.production {
        "medium"
    } else {
        "small"
    })
}

/// A standby in another availability zone: `params.highAvailability`, else in production.
pub(super) fn high_availability(instance: &Instance<'_>) -> bool {
    instance.param_bool("highAvailability", instance.production)
}

/// The database a PostgreSQL or MySQL instance creates: `params.database`, else the
/// resource's name with `_` for `-`.
pub(super) fn database_name(instance: &Instance<'_>) -> String {
    instance
        .param("database")
        .and_then(serde_json::Value::as_str)
        .map_or_else(|| instance.name.replace('-', "_"), str::to_string)
}

/// The outputs of a PostgreSQL or MySQL database known at render time.
pub(super) fn sql_output(instance: &Instance<'_>, port: u16, output: &str) -> Option<String> {
    match output {
        "port" => Some(port.to_string()),
        "name" | "database" => Some(database_name(instance)),
        "username" => Some(String::from(USER)),
        _ => None,
    }
}

/// The secret's connection details of a PostgreSQL or MySQL database.
pub(super) fn sql_secret(label: &str) -> Expr {
    Expr::object([
        ("host", reference("aws_db_instance", label, "address")),
        ("port", reference("aws_db_instance", label, "port")),
        ("name", reference("aws_db_instance", label, "db_name")),
        ("database", reference("aws_db_instance", label, "db_name")),
        ("username", reference("aws_db_instance", label, "username")),
        (
            "password",
            reference("ephemeral.random_password", label, "result"),
        ),
    ])
}

/// The connection string of a SQL Server instance, in its secret.
pub(super) fn connection_template(label: &str) -> Expr {
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
    ])
}

/// The dashboard row of an RDS instance.
pub(super) fn dashboard(resource: &Monitored<'_>) -> Vec<Panel> {
    let physical = resource.physical();
    vec![
        Panel::new(
            format!(
                "aws_rds_cpuutilization_average{{dimension_DBInstanceIdentifier=\"{physical}\"}}"
            ),
            "CPU",
            "percent",
        ),
        Panel::new(
            format!(
                "aws_rds_database_connections_average{{dimension_DBInstanceIdentifier=\"{physical}\"}}"
            ),
            "Connections",
            "short",
        ),
        Panel::new(
            format!(
                "aws_rds_free_storage_space_average{{dimension_DBInstanceIdentifier=\"{physical}\"}}"
            ),
            "Free storage",
            "bytes",
        ),
    ]
}

/// An RDS instance of `engine`.
pub(super) fn provision(instance: &Instance<'_>, rds: Engine) -> Provisioned {
    let sql_server = rds.sql_server;
    let label = instance.name.as_str();
    let storage = instance.param_int("storageGb", 20);
    let retention = instance.param_int(
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
        .attr("username", Expr::str(USER))
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
            Expr::Bool(rds.performance_insights),
        );
    db = if rds.performance_insights {
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
        db = skip(db, "CKV_AWS_157", rds.single_zone_reason);
    }
    if !instance.production {
        db = skip(
            db,
            "CKV_AWS_293",
            "deletion protection is for production databases",
        );
    }
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
        secret_version(instance, Expr::call("jsonencode", vec![rds.secret])),
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

/// The reason a single-zone PostgreSQL or MySQL instance is one.
pub(super) const SINGLE_ZONE: &str =
    "single availability zone outside production unless params.highAvailability is set";
