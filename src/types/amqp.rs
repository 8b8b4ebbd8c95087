//! `amqp`: a RabbitMQ message broker on Amazon MQ, private to the VPC, reached over
//! AMQPS; a cluster of three brokers across availability zones when highly available.

use crate::syntax::hcl::{Block, Body, Expr};

use super::aws::{aws_id, connection_secret, reference, secret_version, security_group, skip};
use super::{
    Class, Instance, Monitored, Output, Panel, Params, Provisioned, ResourceType, cloud, out,
    secret,
};

pub(super) struct Amqp;

const AMQPS_PORT: u16 = 5671;

/// The broker's user.
const USER: &str = "app";

const PARAMS: (&str, &str) = (
    "amqpParams",
    r##"{
  "description": "A RabbitMQ broker.",
  "type": "object",
  "properties": {
    "version": { "description": "The RabbitMQ version.", "enum": ["3.13"], "default": "3.13" },
    "highAvailability": { "description": "A cluster of three brokers across availability zones (not on the `small` class, which runs one broker). Defaults to true in production environments.", "type": "boolean" }
  },
  "additionalProperties": false
}"##,
);

/// Amazon MQ broker instance types; mq.t3.micro runs a single broker only.
const BROKER_CLASSES: &[Class] = &[
    Class {
        name: "small",
        cloud: "mq.t3.micro",
    },
    Class {
        name: "medium",
        cloud: "mq.m5.large",
    },
    Class {
        name: "large",
        cloud: "mq.m5.xlarge",
    },
    Class {
        name: "xlarge",
        cloud: "mq.m5.2xlarge",
    },
];

/// How many brokers: a cluster of three across availability zones when highly
/// available, except on mq.t3.micro, which runs a single broker only.
fn broker_deployment(host_instance_type: &str, high_availability: bool) -> &'static str {
    if high_availability && host_instance_type != "mq.t3.micro" {
        "CLUSTER_MULTI_AZ"
    } else {
        "SINGLE_INSTANCE"
    }
}

impl ResourceType for Amqp {
    fn name(&self) -> &'static str {
        "amqp"
    }

    fn description(&self) -> &'static str {
        "A RabbitMQ message broker (Amazon MQ), reached over AMQPS."
    }

    fn outputs(&self) -> &'static [Output] {
        const OUTPUTS: &[Output] = &[
            cloud("host", "The broker's host name."),
            out("port", "The AMQPS (TLS) port."),
            out("vhost", "The virtual host, `/`."),
            out("username", "The broker's user."),
            secret(
                "password",
                "The user's password; Amazon MQ takes no write-only password, so it is kept in the Terraform state, which the backend encrypts.",
            ),
        ];
        OUTPUTS
    }

    fn classes(&self) -> &'static [Class] {
        BROKER_CLASSES
    }

    fn params(&self) -> Params {
        Params::of(PARAMS)
    }

    fn rendered_output(&self, _instance: &Instance<'_>, output: &str) -> Option<String> {
        match output {
            "port" => Some(AMQPS_PORT.to_string()),
            "vhost" => Some(String::from("/")),
            "username" => Some(String::from(USER)),
            _ => None,
        }
    }

    fn terraform(&self, instance: &Instance<'_>) -> Provisioned {
        let label = instance.name.as_str();
        let host_instance_type = instance
            .class_or(if instance.production {
                "medium"
            } else {
                "small"
            })
            .map_or("mq.t3.micro", |c| c.cloud);
        let high_availability = instance.param_bool("highAvailability", instance.production);
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
                Expr::str(instance.param_str("version", "3.13")),
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
                    .attr("username", Expr::str(USER))
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
            ("username", Expr::str(USER)),
            ("password", password),
        ]);
        let blocks = vec![
            security_group(instance, AMQPS_PORT, "AMQPS"),
            Block::new(
                "resource",
                &["random_password", label],
                Body::new()
                    .comment(
                        " Amazon MQ has no write-only argument for a user's password, so this one",
                    )
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

    fn dashboard(&self, resource: &Monitored<'_>) -> Vec<Panel> {
        let physical = resource.physical();
        vec![
            Panel::new(
                format!("aws_amazonmq_message_count_average{{dimension_Broker=\"{physical}\"}}"),
                "Messages waiting",
                "short",
            ),
            Panel::new(
                format!("aws_amazonmq_connection_count_average{{dimension_Broker=\"{physical}\"}}"),
                "Connections",
                "short",
            ),
        ]
    }

    fn catalog_type(&self) -> Option<&'static str> {
        Some("message-broker")
    }

    fn scaffold_name(&self) -> &'static str {
        "broker"
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::broker_deployment;
    use crate::types::tests::{environment, hcl, instance};

    #[test]
    fn a_broker_clusters_when_highly_available_and_its_class_allows_it() {
        assert_eq!(broker_deployment("mq.m5.large", true), "CLUSTER_MULTI_AZ");
        assert_eq!(broker_deployment("mq.m5.large", false), "SINGLE_INSTANCE");
        assert_eq!(broker_deployment("mq.t3.micro", true), "SINGLE_INSTANCE");
        let prod = environment(true);
        let text = hcl(&instance("amqp", "jobs", None, json!({}), &prod));
        assert!(text.contains(r#""CLUSTER_MULTI_AZ""#), "{text}");
        assert!(text.contains(r#""mq.m5.large""#), "{text}");
        assert!(text.contains("publicly_accessible = false"), "{text}");
        assert!(text.contains("Terraform state"), "{text}");
    }
}
