package paved.policies.prod_image_digest_test

import data.paved.policies.prod_image_digest
import rego.v1

test_tag_in_production_warns if {
	count(prod_image_digest.warn) == 1 with input as {"environment": {"production": true}, "intent": {"spec": {"image": "ghcr.io/acme/api:1.0"}}}
}

test_tag_elsewhere_passes if {
	count(prod_image_digest.warn) == 0 with input as {"environment": {"production": false}, "intent": {"spec": {"image": "ghcr.io/acme/api:1.0"}}}
}
