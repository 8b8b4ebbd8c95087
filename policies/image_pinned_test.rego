package paved.policies.image_pinned_test

import data.paved.policies.image_pinned
import rego.v1

image(ref) := {"intent": {"spec": {"image": ref}}}

test_untagged_is_denied if {
	count(image_pinned.deny) == 1 with input as image("ghcr.io/acme/api")
}

test_latest_is_denied if {
	count(image_pinned.deny) == 1 with input as image("ghcr.io/acme/api:latest")
}

test_registry_port_is_not_a_tag if {
	count(image_pinned.deny) == 1 with input as image("registry.acme:5000/api")
}

test_version_tag_passes if {
	count(image_pinned.deny) == 0 with input as image("registry.acme:5000/api:1.2.3")
}

test_digest_passes if {
	count(image_pinned.deny) == 0 with input as image("ghcr.io/acme/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
}

test_sidecar_on_latest_is_denied if {
	count(image_pinned.deny) == 1 with input as {"intent": {"spec": {"image": "ghcr.io/acme/api:1.0.0", "sidecars": {"proxy": {"image": "ghcr.io/acme/proxy:latest"}}}}}
}
