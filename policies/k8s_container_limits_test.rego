package paved.policies.k8s_container_limits_test

import data.paved.policies.k8s_container_limits
import rego.v1

deployment(container) := {"object": {"kind": "Deployment", "metadata": {"name": "x"}, "spec": {"template": {"spec": {"containers": [container]}}}}}

test_missing_limit_is_denied if {
	count(k8s_container_limits.deny) == 1 with input as deployment({"name": "sidecar"})
}

test_limit_passes if {
	count(k8s_container_limits.deny) == 0 with input as deployment({"name": "app", "resources": {"limits": {"memory": "128Mi"}}})
}
