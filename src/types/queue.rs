//! `queue`: an SQS queue with a dead-letter queue, both encrypted with the module's key.

use serde_json::{Value as Json, json};

use crate::syntax::hcl::{Block, Body, Expr};

use super::aws::{aws_id, kms_via, reference, sid};
use super::{Instance, Monitored, Output, Panel, Params, Provisioned, ResourceType, out};

pub(super) struct Queue;

const PARAMS: (&str, &str) = (
    "queueParams",
    r##"{
  "description": "A message queue.",
  "type": "object",
  "properties": {
    "fifo": { "description": "First-in first-out delivery with deduplication.", "type": "boolean", "default": false },
    "visibilityTimeoutSeconds": { "type": "integer", "minimum": 0, "maximum": 43200, "default": 30 },
    "retentionSeconds": { "type": "integer", "minimum": 60, "maximum": 1209600, "default": 345600 },
    "maxReceives": { "description": "Deliveries before a message moves to the dead-letter queue.", "type": "integer", "minimum": 1, "maximum": 1000, "default": 5 }
  },
  "additionalProperties": false
}"##,
);

/// The queue's name, or its dead-letter queue's; FIFO queues end in `.fifo`.
fn queue_name(instance: &Instance<'_>, dead_letter: bool) -> String {
    let suffix = if dead_letter { "dlq" } else { "" };
    let name = aws_id(instance, suffix, 75);
    if instance.param_bool("fifo", false) {
        format!("{name}.fifo")
    } else {
        name
    }
}

fn queue_url(instance: &Instance<'_>, dead_letter: bool) -> String {
    format!(
        "https://sqs.{}.amazonaws.com/{}/{}",
        instance.region(),
        instance.account(),
        queue_name(instance, dead_letter)
    )
}

fn queue_arn(instance: &Instance<'_>, dead_letter: bool) -> String {
    format!(
        "arn:aws:sqs:{}:{}:{}",
        instance.region(),
        instance.account(),
        queue_name(instance, dead_letter)
    )
}

impl ResourceType for Queue {
    fn name(&self) -> &'static str {
        "queue"
    }

    fn description(&self) -> &'static str {
        "A message queue with a dead-letter queue."
    }

    fn outputs(&self) -> &'static [Output] {
        const OUTPUTS: &[Output] = &[
            out("url", "The queue URL clients send to."),
            out("name", "The queue's name."),
            out("arn", "The queue's ARN."),
            out("dlq_url", "The dead-letter queue's URL."),
        ];
        OUTPUTS
    }

    fn params(&self) -> Params {
        Params::of(PARAMS)
    }

    fn rendered_output(&self, instance: &Instance<'_>, output: &str) -> Option<String> {
        Some(match output {
            "name" => queue_name(instance, false),
            "url" => queue_url(instance, false),
            "dlq_url" => queue_url(instance, true),
            "arn" => queue_arn(instance, false),
            _ => return None,
        })
    }

    fn terraform(&self, instance: &Instance<'_>) -> Provisioned {
        let label = instance.name.as_str();
        let dlq = format!("{label}_dlq");
        let fifo = instance.param_bool("fifo", false);
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
                            Expr::Int(instance.param_int("visibilityTimeoutSeconds", 30)),
                        )
                        .attr(
                            "message_retention_seconds",
                            Expr::Int(instance.param_int("retentionSeconds", 345_600)),
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
                                        Expr::Int(instance.param_int("maxReceives", 5)),
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

    fn permissions(&self, instance: &Instance<'_>) -> Vec<Json> {
        let sid = sid(instance);
        vec![
            json!({
                "sid": format!("{sid}Messages"),
                "actions": [
                    "sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage",
                    "sqs:ChangeMessageVisibility", "sqs:GetQueueAttributes", "sqs:GetQueueUrl",
                ],
                "resources": [queue_arn(instance, false), queue_arn(instance, true)],
            }),
            kms_via(instance, "sqs", &format!("{sid}Kms")),
        ]
    }

    fn dashboard(&self, resource: &Monitored<'_>) -> Vec<Panel> {
        let physical = resource.physical();
        vec![
            Panel::new(
                format!(
                    "aws_sqs_approximate_number_of_messages_visible_average{{dimension_QueueName=~\"{physical}(.fifo)?\"}}"
                ),
                "Messages waiting",
                "short",
            ),
            Panel::new(
                format!(
                    "aws_sqs_approximate_age_of_oldest_message_maximum{{dimension_QueueName=~\"{physical}(.fifo)?\"}}"
                ),
                "Oldest message",
                "s",
            ),
        ]
    }
}
