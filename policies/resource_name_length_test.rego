package paved.policies.resource_name_length_test

import data.paved.policies.resource_name_length
import rego.v1

unit(service, resource) := {"environment": {"name": "prod"}, "intent": {"metadata": {"name": service}, "spec": {"resources": {resource: {"type": "bucket"}}}}}

test_long_names_warn if {
	count(resource_name_length.warn) == 1 with input as unit("a-rather-long-service-name-for-a-team", "and-an-even-longer-resource-name")
}

test_short_names_pass if {
	count(resource_name_length.warn) == 0 with input as unit("api", "db")
}
