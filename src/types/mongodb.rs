//! `mongodb`: a MongoDB-compatible document database cluster (Amazon DocumentDB), TLS
//! only, its audit and profiler logs exported, two instances when highly available.

use crate::syntax::hcl::{Block, Body, Expr};

use super::aws::{
    aws_id, connection_secret, reference, secret_version, security_group, skip, template,
};
use super::{
    Class, Instance, Monitored, Output, Panel, Params, Provisioned, ResourceType, cloud, out,
    secret,
};

pub(super) struct Mongodb;

const PORT: u16 = 27017;

/// The cluster's user.
const USER: &str = "app";

const PARAMS: (&str, &str) = (
    "mongodbParams",
    r##"{
  "description": "A MongoDB-compatible DocumentDB cluster.",
  "type": "object",
  "properties": {
    "version": { "description": "The DocumentDB engine version.", "enum": ["4.0.0", "5.0.0"], "default": "5.0.0" },
    "highAvailability": { "description": "A second instance in another availability zone to fail over to. Defaults to true in production environments.", "type": "boolean" },
    "backupRetentionDays": { "description": "How long automated backups are kept. Defaults to 7 days, 14 in production.", "type": "integer", "minimum": 1, "maximum": 35 }
  },
  "additionalProperties": false
}"##,
);

/// DocumentDB instance classes: it has no smaller class than db.t4g.medium.
const DOCUMENT_CLASSES: &[Class] = &[
    Class {
        name: "small",
        cloud: "db.t4g.medium",
    },
    Class {
        name: "medium",
        cloud: "db.r6g.large",
    },
    Class {
        name: "large",
        cloud: "db.r6g.xlarge",
    },
    Class {
        name: "xlarge",
        cloud: "db.r6g.2xlarge",
    },
];

/// The DocumentDB parameter group family of an engine version: `5.0.0` → `docdb5.0`.
fn document_family(version: &str) -> String {
    let mut parts = version.split('.');
    let major = parts.next().unwrap_or_default();
    let minor = parts.next().unwrap_or("0");
    format!("docdb{major}.{minor}")
}

impl ResourceType for Mongodb {
    fn name(&self) -> &'static str {
        "mongodb"
    }

    fn description(&self) -> &'static str {
        "A MongoDB-compatible document database cluster (Amazon DocumentDB). It takes TLS connections only: clients trust the Amazon RDS certificate authorities."
    }

    fn outputs(&self) -> &'static [Output] {
        const OUTPUTS: &[Output] = &[
            cloud("host", "The cluster endpoint's host name."),
            out("port", "The port the cluster listens on (TLS)."),
            out("username", "The cluster's user."),
            secret("password", "The user's password."),
            secret(
                "connection",
                "A connection string, `mongodb://username:password@host:port/?tls=true&...`.",
            ),
        ];
        OUTPUTS
    }

    fn classes(&self) -> &'static [Class] {
        DOCUMENT_CLASSES
    }

    fn params(&self) -> Params {
        Params::of(PARAMS)
    }

    fn rendered_output(&self, _instance: &Instance<'_>, output: &str) -> Option<String> {
        match output {
            "port" => Some(PORT.to_string()),
            "username" => Some(String::from(USER)),
            _ => None,
        }
    }

    /// A cluster with one instance, or two in separate availability zones when highly
    /// available.
    fn terraform(&self, instance: &Instance<'_>) -> Provisioned {
        let label = instance.name.as_str();
        let version = instance.param_str("version", "5.0.0");
        let class = instance
            .class_or(if instance.production {
                "medium"
            } else {
                "small"
            })
            .map_or("db.t4g.medium", |c| c.cloud);
        let high_availability = instance.param_bool("highAvailability", instance.production);
        let retention = instance.param_int(
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
            .attr("port", Expr::Int(PORT.into()))
            .attr("storage_encrypted", Expr::Bool(true))
            .attr("kms_key_id", Expr::raw("aws_kms_key.this.arn"))
            .attr("master_username", Expr::str(USER))
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
            security_group(instance, PORT, "DocumentDB"),
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

    fn dashboard(&self, resource: &Monitored<'_>) -> Vec<Panel> {
        let physical = resource.physical();
        vec![
            Panel::new(
                format!(
                    "aws_docdb_cpuutilization_average{{dimension_DBClusterIdentifier=\"{physical}\"}}"
                ),
                "CPU",
                "percent",
            ),
            Panel::new(
                format!(
                    "aws_docdb_database_connections_average{{dimension_DBClusterIdentifier=\"{physical}\"}}"
                ),
                "Connections",
                "short",
            ),
        ]
    }

    fn catalog_type(&self) -> Option<&'static str> {
        Some("database")
    }

    fn scaffold_name(&self) -> &'static str {
        "db"
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::document_family;
    use crate::types::tests::{environment, hcl, instance};

    #[test]
    fn document_db_families_follow_the_engine_version() {
        assert_eq!(document_family("5.0.0"), "docdb5.0");
        assert_eq!(document_family("4.0.0"), "docdb4.0");
        assert_eq!(document_family("5"), "docdb5.0");
        let dev = environment(false);
        let text = hcl(&instance("mongodb", "docs", None, json!({}), &dev));
        assert!(text.contains("master_password_wo "), "{text}");
        assert!(text.contains(r#""docdb5.0""#), "{text}");
        assert!(text.contains("count"), "{text}");
        let short = json!({"backupRetentionDays": 3});
        let text = hcl(&instance("mongodb", "docs", None, short, &dev));
        assert!(text.contains("checkov:skip=CKV_AWS_360"), "{text}");
    }
}
