package paved.policies.ephemeral_ttl_test

import data.paved.policies.ephemeral_ttl
import rego.v1

test_preview_without_ttl_is_denied if {
	count(ephemeral_ttl.deny) == 1 with input as {"environment": {"name": "preview"}}
}

test_preview_with_ttl_passes if {
	count(ephemeral_ttl.deny) == 0 with input as {"environment": {"name": "pr-42", "ttl": "72h"}}
}

test_prod_passes if {
	count(ephemeral_ttl.deny) == 0 with input as {"environment": {"name": "prod"}}
}
