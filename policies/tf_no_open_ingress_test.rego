package paved.policies.tf_no_open_ingress_test

import data.paved.policies.tf_no_open_ingress
import rego.v1

group(cidrs) := {"resource": {"type": "aws_security_group", "name": "sg", "values": {"ingress": [{"cidr_blocks": cidrs}]}}}

test_open_ingress_is_denied if {
	count(tf_no_open_ingress.deny) == 1 with input as group(["0.0.0.0/0"])
}

test_vpc_ingress_passes if {
	count(tf_no_open_ingress.deny) == 0 with input as group(["10.0.0.0/16"])
}

test_open_rule_is_denied if {
	count(tf_no_open_ingress.deny) == 1 with input as {"resource": {"type": "aws_vpc_security_group_ingress_rule", "name": "r", "values": {"cidr_ipv4": "0.0.0.0/0"}}}
}
