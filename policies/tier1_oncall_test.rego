package paved.policies.tier1_oncall_test

import data.paved.policies.tier1_oncall
import rego.v1

tier1 := {"metadata": {"tier": 1, "owner": "core"}}

test_no_oncall_is_denied if {
	count(tier1_oncall.deny) == 1 with input as {"intent": tier1, "team": {"spec": {}}}
}

test_schedule_passes if {
	count(tier1_oncall.deny) == 0 with input as {"intent": tier1, "team": {"spec": {"oncall": {"schedule": "core-primary"}}}}
}

test_lower_tiers_pass if {
	count(tier1_oncall.deny) == 0 with input as {"intent": {"metadata": {"tier": 2, "owner": "core"}}, "team": {"spec": {}}}
}
