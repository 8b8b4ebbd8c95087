package paved.policies.public_tls_test

import data.paved.policies.public_tls
import rego.v1

test_public_without_tls_is_denied if {
	count(public_tls.deny) == 1 with input as {"intent": {"spec": {"expose": {"visibility": "public", "host": "x.example.com", "tls": false}}}}
}

test_public_with_tls_passes if {
	count(public_tls.deny) == 0 with input as {"intent": {"spec": {"expose": {"visibility": "public", "host": "x.example.com", "tls": true}}}}
}

test_internal_without_tls_passes if {
	count(public_tls.deny) == 0 with input as {"intent": {"spec": {"expose": {"visibility": "internal", "tls": false}}}}
}
