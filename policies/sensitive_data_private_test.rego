package paved.policies.sensitive_data_private_test

import data.paved.policies.sensitive_data_private
import rego.v1

public := {"expose": {"visibility": "public"}}

test_pii_public_is_denied if {
	count(sensitive_data_private.deny) == 1 with input as {"intent": {"metadata": {"tags": ["pii"]}, "spec": public}}
}

test_confidential_public_is_denied if {
	count(sensitive_data_private.deny) == 1 with input as {"intent": {"metadata": {"annotations": {"paved.dev/data-classification": "confidential"}}, "spec": public}}
}

test_pii_internal_passes if {
	count(sensitive_data_private.deny) == 0 with input as {"intent": {"metadata": {"tags": ["pii"]}, "spec": {"expose": {"visibility": "internal"}}}}
}
