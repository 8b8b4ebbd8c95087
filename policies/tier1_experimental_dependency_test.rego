package paved.policies.tier1_experimental_dependency_test

import data.paved.policies.tier1_experimental_dependency
import rego.v1

unit(tier) := {"intent": {"metadata": {"tier": tier}, "spec": {"dependencies": ["beta"]}}, "dependencies": [{"name": "beta", "lifecycle": "experimental"}]}

test_tier1_on_experimental_warns if {
	count(tier1_experimental_dependency.warn) == 1 with input as unit(1)
}

test_tier3_on_experimental_passes if {
	count(tier1_experimental_dependency.warn) == 0 with input as unit(3)
}
