package paved.policies.tier1_slo_test

import data.paved.policies.tier1_slo
import rego.v1

test_tier1_without_slo_is_denied if {
	count(tier1_slo.deny) == 1 with input as {"intent": {"metadata": {"tier": 1}, "spec": {"type": "api", "slos": {}}}}
}

test_tier1_with_slo_passes if {
	count(tier1_slo.deny) == 0 with input as {"intent": {"metadata": {"tier": 1}, "spec": {"type": "api", "slos": {"availability": {"target": 99.9}}}}}
}

test_workers_are_exempt if {
	count(tier1_slo.deny) == 0 with input as {"intent": {"metadata": {"tier": 1}, "spec": {"type": "worker", "slos": {}}}}
}
