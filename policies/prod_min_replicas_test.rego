package paved.policies.prod_min_replicas_test

import data.paved.policies.prod_min_replicas
import rego.v1

prod := {"production": true}

test_one_replica_in_production_is_denied if {
	count(prod_min_replicas.deny) == 1 with input as {"environment": prod, "intent": {"spec": {"replicas": 1}}}
}

test_autoscaling_min_one_is_denied if {
	count(prod_min_replicas.deny) == 1 with input as {"environment": prod, "intent": {"spec": {"autoscaling": {"min": 1, "max": 4}}}}
}

test_default_replicas_pass if {
	count(prod_min_replicas.deny) == 0 with input as {"environment": prod, "intent": {"spec": {}}}
}

test_one_replica_outside_production_passes if {
	count(prod_min_replicas.deny) == 0 with input as {"environment": {"production": false}, "intent": {"spec": {"replicas": 1}}}
}
