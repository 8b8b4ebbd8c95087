package paved.org.stack_tag_test

import data.paved.org.stack_tag
import rego.v1

test_untagged_service_warns if {
	count(stack_tag.warn) == 1 with input as {"intent": {"metadata": {"tags": ["api"]}}}
}

test_stack_tag_passes if {
	count(stack_tag.warn) == 0 with input as {"intent": {"metadata": {"tags": ["api", "go"]}}}
}
