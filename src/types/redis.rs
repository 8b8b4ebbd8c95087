//! `redis`: a managed Redis-compatible cache (ElastiCache), encrypted at rest and in
//! transit; the service authenticates with its IAM role through a user group, so there
//! is no password.

use serde_json::{Value as Json, json};

use crate::syntax::hcl::{Block, Body, Expr};

use super::aws::{aws_id, connection_secret, reference, security_group, sid, skip};
use super::{
    Class, Instance, Monitored, Output, Panel, Params, Provisioned, ResourceType, cloud, out,
};

pub(super) struct Redis;

const PORT: u16 = 6379;

const PARAMS: (&str, &str) = (
    "redisParams",
    r##"{
  "description": "A Redis (or Valkey) cache.",
  "type": "object",
  "properties": {
    "version": { "description": "The engine version.", "enum": ["6.2", "7.0", "7.1"], "default": "7.1" },
    "replicas": { "description": "Read replicas. Defaults to 1 in production environments and 0 elsewhere.", "type": "integer", "minimum": 0, "maximum": 5 },
    "evictionPolicy": { "description": "What Redis evicts when full.", "enum": ["noeviction", "allkeys-lru", "volatile-lru", "allkeys-lfu", "volatile-lfu", "volatile-ttl"], "default": "volatile-lru" }
  },
  "additionalProperties": false
}"##,
);

const CACHE_CLASSES: &[Class] = &[
    Class {
        name: "small",
        cloud: "cache.t4g.small",
    },
    Class {
        name: "medium",
        cloud: "cache.t4g.medium",
    },
    Class {
        name: "large",
        cloud: "cache.r6g.large",
    },
    Class {
        name: "xlarge",
        cloud: "cache.r6g.xlarge",
    },
];

/// The service's user, which authenticates with IAM.
fn user(instance: &Instance<'_>) -> String {
    aws_id(instance, "app", 40)
}

impl ResourceType for Redis {
    fn name(&self) -> &'static str {
        "redis"
    }

    fn description(&self) -> &'static str {
        "A managed Redis-compatible cache."
    }

    fn outputs(&self) -> &'static [Output] {
        const OUTPUTS: &[Output] = &[
            cloud("host", "The primary endpoint's host name."),
            out("port", "The port Redis listens on (TLS)."),
            out(
                "username",
                "The service's Redis user; it authenticates with IAM, so there is no password.",
            ),
        ];
        OUTPUTS
    }

    fn classes(&self) -> &'static [Class] {
        CACHE_CLASSES
    }

    fn params(&self) -> Params {
        Params::of(PARAMS)
    }

    fn rendered_output(&self, instance: &Instance<'_>, output: &str) -> Option<String> {
        match output {
            "port" => Some(PORT.to_string()),
            "username" => Some(user(instance)),
            _ => None,
        }
    }

    fn terraform(&self, instance: &Instance<'_>) -> Provisioned {
        let label = instance.name.as_str();
        let version = instance.param_str("version", "7.1");
        let family = if version.starts_with('6') {
            "redis6.x"
        } else {
            "redis7"
        };
        let replicas = instance.param_int("replicas", i64::from(instance.production));
        let class = instance
            .class_or("small")
            .map_or("cache.t4g.small", |c| c.cloud);
        let group_id = aws_id(instance, "", 40);
        let user = user(instance);
        let default_user = aws_id(instance, "default", 40);
        let log_group = format!(
            "/paved/{}/{}/{}",
            instance.environment.name, instance.service, instance.name
        );
        let default_label = format!("{label}_default");
        let blocks = vec![
            security_group(instance, PORT, "Redis"),
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
                            .attr(
                                "value",
                                Expr::str(instance.param_str("evictionPolicy", "volatile-lru")),
                            ),
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
                replication_group(instance, &group_id, &version, class, replicas),
            ),
            connection_secret(instance, "redis"),
            Block::new(
                "resource",
                &["aws_secretsmanager_secret_version", label],
                Body::new()
                    .attr(
                        "secret_id",
                        reference("aws_secretsmanager_secret", label, "id"),
                    )
                    .attr(
                        "secret_string",
                        Expr::call(
                            "jsonencode",
                            vec![Expr::object([
                                (
                                    "host",
                                    reference(
                                        "aws_elasticache_replication_group",
                                        label,
                                        "primary_endpoint_address",
                                    ),
                                ),
                                ("port", Expr::Int(PORT.into())),
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

    fn permissions(&self, instance: &Instance<'_>) -> Vec<Json> {
        let (region, account) = (instance.region(), instance.account());
        vec![json!({
            "sid": format!("{}Connect", sid(instance)),
            "actions": ["elasticache:Connect"],
            "resources": [
                format!("arn:aws:elasticache:{region}:{account}:replicationgroup:{}", aws_id(instance, "", 40)),
                format!("arn:aws:elasticache:{region}:{account}:user:{}", user(instance)),
            ],
        })]
    }

    fn dashboard(&self, resource: &Monitored<'_>) -> Vec<Panel> {
        let physical = resource.physical();
        vec![
            Panel::new(
                format!(
                    "aws_elasticache_cpuutilization_average{{dimension_ReplicationGroupId=\"{physical}\"}}"
                ),
                "CPU",
                "percent",
            ),
            Panel::new(
                format!(
                    "aws_elasticache_database_memory_usage_percentage_average{{dimension_ReplicationGroupId=\"{physical}\"}}"
                ),
                "Memory used",
                "percent",
            ),
        ]
    }

    fn catalog_type(&self) -> Option<&'static str> {
        Some("cache")
    }

    fn scaffold_name(&self) -> &'static str {
        "cache"
    }
}

/// The replication group: one node, and `replicas` more with automatic failover
/// across availability zones.
fn replication_group(
    instance: &Instance<'_>,
    group_id: &str,
    version: &str,
    class: &str,
    replicas: i64,
) -> Body {
    let label = instance.name.as_str();
    skip(
        Body::new()
            .attr("replication_group_id", Expr::str(group_id))
            .attr(
                "description",
                Expr::str(format!("Redis {} of {}", instance.name, instance.service)),
            )
            .attr("engine", Expr::str("redis"))
            .attr("engine_version", Expr::str(version))
            .attr("node_type", Expr::str(class))
            .attr("num_cache_clusters", Expr::Int(1 + replicas))
            .attr("automatic_failover_enabled", Expr::Bool(replicas > 0))
            .attr("multi_az_enabled", Expr::Bool(replicas > 0))
            .attr("port", Expr::Int(PORT.into()))
            .attr(
                "subnet_group_name",
                reference("aws_elasticache_subnet_group", label, "name"),
            )
            .attr(
                "security_group_ids",
                Expr::List(vec![reference("aws_security_group", label, "id")]),
            )
            .attr(
                "parameter_group_name",
                reference("aws_elasticache_parameter_group", label, "name"),
            )
            .attr(
                "user_group_ids",
                Expr::List(vec![reference(
                    "aws_elasticache_user_group",
                    label,
                    "user_group_id",
                )]),
            )
            .blank()
            .attr("at_rest_encryption_enabled", Expr::Bool(true))
            .attr("kms_key_id", Expr::raw("aws_kms_key.this.arn"))
            .attr("transit_encryption_enabled", Expr::Bool(true))
            .attr(
                "snapshot_retention_limit",
                Expr::Int(if instance.production { 14 } else { 7 }),
            )
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
                    .attr(
                        "destination",
                        reference("aws_cloudwatch_log_group", label, "name"),
                    )
                    .attr("destination_type", Expr::str("cloudwatch-logs"))
                    .attr("log_format", Expr::str("json"))
                    .attr("log_type", Expr::str("slow-log")),
            )),
        "CKV_AWS_31",
        "clients authenticate with IAM through a user group instead of an AUTH token",
    )
}
