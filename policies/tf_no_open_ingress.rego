# No security group opens a port to the whole internet.
package paved.policies.tf_no_open_ingress

import rego.v1

meta := {
	"code": "tf-no-open-ingress",
	"title": "Security groups do not open ports to the internet",
	"description": "Services are reached through the ingress; a security group rule from 0.0.0.0/0 or ::/0 exposes a resource directly.",
	"fix": "Restrict the rule to the VPC's CIDR or to a security group, in the provisioner that renders it.",
	"severity": "deny",
	"target": "terraform",
	"kinds": ["aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_ingress_rule"],
}

open_cidrs := {"0.0.0.0/0", "::/0"}

deny contains sprintf("security group %s allows ingress from %s", [input.resource.name, cidr]) if {
	input.resource.type == "aws_security_group"
	some rule in input.resource.values.ingress
	some cidr in array.concat(object.get(rule, "cidr_blocks", []), object.get(rule, "ipv6_cidr_blocks", []))
	cidr in open_cidrs
}

deny contains sprintf("security group rule %s allows ingress from %s", [input.resource.name, cidr]) if {
	input.resource.type in {"aws_security_group_rule", "aws_vpc_security_group_ingress_rule"}
	object.get(input.resource.values, "type", "ingress") == "ingress"
	some cidr in cidrs(input.resource.values)
	cidr in open_cidrs
}

cidrs(values) := array.concat(object.get(values, "cidr_blocks", []), [c | some key in ["cidr_ipv4", "cidr_ipv6"]; c := values[key]])
