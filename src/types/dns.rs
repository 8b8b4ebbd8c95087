//! `dns`: a name in the environment's zone (paved.yaml's `domain`), a CNAME to the
//! environment's ingress.

use crate::model::config::Environment;
use crate::syntax::hcl::{Block, Body, Expr};

use super::{Instance, Output, Params, Provisioned, ResourceType, out};

pub(super) struct Dns;

const PARAMS: (&str, &str) = (
    "dnsParams",
    r##"{
  "description": "A DNS name in the environment's zone.",
  "type": "object",
  "properties": {
    "subdomain": { "description": "The label under the environment's domain; defaults to the service name.", "$ref": "common.schema.json#/$defs/dnsLabel" }
  },
  "additionalProperties": false
}"##,
);

/// `<subdomain>.<domain>`; the subdomain is the service's name unless params name one.
fn host(instance: &Instance<'_>) -> String {
    let label = instance.param_str("subdomain", instance.service);
    match &instance.environment.domain {
        Some(domain) => format!("{label}.{domain}"),
        None => label,
    }
}

impl ResourceType for Dns {
    fn name(&self) -> &'static str {
        "dns"
    }

    fn description(&self) -> &'static str {
        "A DNS name in the environment's zone."
    }

    fn outputs(&self) -> &'static [Output] {
        const OUTPUTS: &[Output] = &[out("host", "The fully qualified host name.")];
        OUTPUTS
    }

    fn params(&self) -> Params {
        Params::of(PARAMS)
    }

    fn missing_setting(&self, environment: &Environment) -> Option<&'static str> {
        if environment.domain.is_none() {
            Some("domain")
        } else if environment.ingress_hostname.is_none() {
            Some("ingressHostname")
        } else {
            None
        }
    }

    fn rendered_output(&self, instance: &Instance<'_>, output: &str) -> Option<String> {
        (output == "host").then(|| host(instance))
    }

    fn terraform(&self, instance: &Instance<'_>) -> Provisioned {
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
                .attr("name", Expr::str(host(instance)))
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

    fn catalog_type(&self) -> Option<&'static str> {
        Some("dns-record")
    }
}
