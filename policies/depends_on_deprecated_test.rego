package paved.policies.depends_on_deprecated_test

import data.paved.policies.depends_on_deprecated
import rego.v1

test_deprecated_dependency_warns if {
	count(depends_on_deprecated.warn) == 1 with input as {"intent": {"spec": {"dependencies": ["old"]}}, "dependencies": [{"name": "old", "lifecycle": "deprecated"}]}
}

test_production_dependency_passes if {
	count(depends_on_deprecated.warn) == 0 with input as {"intent": {"spec": {"dependencies": ["new"]}}, "dependencies": [{"name": "new", "lifecycle": "production"}]}
}
