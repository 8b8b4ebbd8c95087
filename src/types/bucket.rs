//! `bucket`: an S3 bucket, private, encrypted with the module's key, versioned, TLS
//! only, with incomplete uploads and old versions cleaned up.

use serde_json::{Value as Json, json};

use crate::model::names;
use crate::syntax::hcl::{Block, Body, Expr};

use super::aws::{kms_via, reference, sid, skip};
use super::{Instance, Monitored, Output, Panel, Params, Provisioned, ResourceType, out};

pub(super) struct Bucket;

const PARAMS: (&str, &str) = (
    "bucketParams",
    r##"{
  "description": "An object storage bucket.",
  "type": "object",
  "properties": {
    "versioning": { "description": "Keep previous versions of objects.", "type": "boolean", "default": true },
    "expireAfterDays": { "description": "Delete objects this many days after creation.", "type": "integer", "minimum": 1, "maximum": 36500 }
  },
  "additionalProperties": false
}"##,
);

/// The bucket's name: bucket names are global, so the account id keeps them apart.
fn bucket_name(instance: &Instance<'_>) -> String {
    names::bounded(&[instance.account(), &instance.physical], 63)
}

impl ResourceType for Bucket {
    fn name(&self) -> &'static str {
        "bucket"
    }

    fn description(&self) -> &'static str {
        "An object storage bucket, private and encrypted."
    }

    fn outputs(&self) -> &'static [Output] {
        const OUTPUTS: &[Output] = &[
            out("bucket", "The bucket's name."),
            out("name", "The bucket's name (same as `bucket`)."),
            out("region", "The bucket's region."),
            out("endpoint", "The regional endpoint URL."),
            out("arn", "The bucket's ARN."),
        ];
        OUTPUTS
    }

    fn params(&self) -> Params {
        Params::of(PARAMS)
    }

    fn score_names(&self) -> &'static [&'static str] {
        &["s3"]
    }

    fn rendered_output(&self, instance: &Instance<'_>, output: &str) -> Option<String> {
        let region = instance.region();
        Some(match output {
            "bucket" | "name" => bucket_name(instance),
            "region" => region.to_string(),
            "endpoint" => format!("https://s3.{region}.amazonaws.com"),
            "arn" => format!("arn:aws:s3:::{}", bucket_name(instance)),
            _ => return None,
        })
    }

    fn terraform(&self, instance: &Instance<'_>) -> Provisioned {
        let label = instance.name.as_str();
        let bucket_ref = reference("aws_s3_bucket", label, "id");
        let on_bucket = |kind: &str, body: Body| {
            Block::new(
                "resource",
                &[kind, label],
                Body::new().attr("bucket", bucket_ref.clone()).extend(body),
            )
        };
        let versioning = if instance.param_bool("versioning", true) {
            "Enabled"
        } else {
            "Suspended"
        };
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
            on_bucket("aws_s3_bucket_lifecycle_configuration", lifecycle(instance)),
            on_bucket(
                "aws_s3_bucket_policy",
                Body::new().attr("policy", tls_only(instance)),
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
            kms_via(instance, "s3", &format!("{sid}Kms")),
        ]
    }

    fn dashboard(&self, resource: &Monitored<'_>) -> Vec<Panel> {
        vec![Panel::new(
            format!(
                "aws_s3_bucket_size_bytes_average{{dimension_BucketName=~\".*-{}\"}}",
                resource.physical()
            ),
            "Size",
            "bytes",
        )]
    }

    fn catalog_type(&self) -> Option<&'static str> {
        Some("s3-bucket")
    }
}

/// Incomplete uploads and old versions go after a while; objects too when
/// `params.expireAfterDays` says so.
fn lifecycle(instance: &Instance<'_>) -> Body {
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
    if let Some(days) = instance.param("expireAfterDays").and_then(Json::as_i64) {
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
    lifecycle
}

/// The bucket policy that refuses every request not made over TLS.
fn tls_only(instance: &Instance<'_>) -> Expr {
    Expr::call(
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
    )
}
