//! `kafka-topic`: a topic on the platform's Kafka cluster (paved.yaml's
//! `kafka.bootstrapServers` of the environment), managed with the Mongey/kafka provider
//! and reached with IAM authentication.

use serde_json::{Value as Json, json};

use crate::model::config::Environment;
use crate::syntax::hcl::{Block, Body, Expr};

use super::aws::sid;
use super::{Instance, Monitored, Output, Panel, Params, Provisioned, ResourceType, out};

pub(super) struct KafkaTopic;

const PARAMS: (&str, &str) = (
    "kafkaTopicParams",
    r##"{
  "description": "A Kafka topic.",
  "type": "object",
  "properties": {
    "partitions": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 3 },
    "replicationFactor": { "type": "integer", "minimum": 1, "maximum": 5, "default": 3 },
    "retentionHours": { "type": "integer", "minimum": 1, "maximum": 87600, "default": 168 },
    "cleanupPolicy": { "enum": ["delete", "compact"], "default": "delete" }
  },
  "additionalProperties": false
}"##,
);

/// `<env>.<id>` for a shared topic, `<env>.<service>.<resource>` otherwise.
fn topic_name(instance: &Instance<'_>) -> String {
    match &instance.shared_id {
        Some(id) => format!("{}.{id}", instance.environment.name),
        None => format!(
            "{}.{}.{}",
            instance.environment.name, instance.service, instance.name
        ),
    }
}

impl ResourceType for KafkaTopic {
    fn name(&self) -> &'static str {
        "kafka-topic"
    }

    fn description(&self) -> &'static str {
        "A topic on the platform's Kafka cluster."
    }

    fn outputs(&self) -> &'static [Output] {
        const OUTPUTS: &[Output] = &[
            out("name", "The topic's name."),
            out("host", "A bootstrap broker's host name."),
            out("port", "The brokers' TLS port."),
            out(
                "bootstrap_servers",
                "The bootstrap servers, `host:port,...`.",
            ),
            out("num_partitions", "The number of partitions."),
        ];
        OUTPUTS
    }

    fn params(&self) -> Params {
        Params::of(PARAMS)
    }

    fn missing_setting(&self, environment: &Environment) -> Option<&'static str> {
        environment
            .kafka_bootstrap_servers
            .is_empty()
            .then_some("kafka.bootstrapServers")
    }

    fn rendered_output(&self, instance: &Instance<'_>, output: &str) -> Option<String> {
        let servers = &instance.environment.kafka_bootstrap_servers;
        let first = || servers.first().and_then(|s| s.rsplit_once(':'));
        Some(match output {
            "name" => topic_name(instance),
            "bootstrap_servers" => servers.join(","),
            "host" => first().map(|(host, _)| host.to_string())?,
            "port" => first().map(|(_, port)| port.to_string())?,
            "num_partitions" => instance.param_int("partitions", 3).to_string(),
            _ => return None,
        })
    }

    fn terraform(&self, instance: &Instance<'_>) -> Provisioned {
        let env = instance.environment;
        let retention_ms = instance.param_int("retentionHours", 168) * 3_600_000;
        let replication = instance.param_int("replicationFactor", 3);
        let topic = Block::new(
            "resource",
            &["kafka_topic", &instance.name],
            Body::new()
                .attr("name", Expr::str(topic_name(instance)))
                .attr("partitions", Expr::Int(instance.param_int("partitions", 3)))
                .attr("replication_factor", Expr::Int(replication))
                .attr(
                    "config",
                    Expr::object([
                        (
                            "cleanup.policy",
                            Expr::str(instance.param_str("cleanupPolicy", "delete")),
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

    fn permissions(&self, instance: &Instance<'_>) -> Vec<Json> {
        let (region, account) = (instance.region(), instance.account());
        let sid = sid(instance);
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

    fn dashboard(&self, resource: &Monitored<'_>) -> Vec<Panel> {
        let topic = match resource.id {
            Some(id) => format!("$environment.{id}"),
            None => format!("$environment.{}.{}", resource.service, resource.resource),
        };
        vec![Panel::new(
            format!("sum by (consumergroup) (kafka_consumergroup_lag{{topic=\"{topic}\"}})"),
            "Consumer lag",
            "short",
        )]
    }

    fn scaffold_name(&self) -> &'static str {
        "events"
    }
}
