package paved.policies.k8s_non_root_test

import data.paved.policies.k8s_non_root
import rego.v1

deployment(pod, container) := {"object": {"kind": "Deployment", "metadata": {"name": "x"}, "spec": {"template": {"spec": {"securityContext": pod, "containers": [container]}}}}}

test_root_is_denied if {
	count(k8s_non_root.deny) == 1 with input as deployment({}, {"name": "c"})
}

test_pod_level_non_root_passes if {
	count(k8s_non_root.deny) == 0 with input as deployment({"runAsNonRoot": true}, {"name": "c"})
}

test_privileged_is_denied if {
	count(k8s_non_root.deny) == 1 with input as deployment({"runAsNonRoot": true}, {"name": "c", "securityContext": {"privileged": true}})
}

test_container_override_to_root_is_denied if {
	count(k8s_non_root.deny) == 1 with input as deployment({"runAsNonRoot": true}, {"name": "c", "securityContext": {"runAsNonRoot": false}})
}

test_uid_zero_is_denied if {
	count(k8s_non_root.deny) == 1 with input as deployment({"runAsNonRoot": true}, {"name": "c", "securityContext": {"runAsUser": 0}})
}
