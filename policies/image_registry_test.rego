package paved.policies.image_registry_test

import data.paved.policies.image_registry
import rego.v1

platform := {"registries": ["ghcr.io/acme/"]}

test_other_registry_is_denied if {
	count(image_registry.deny) == 1 with input as {"platform": platform, "intent": {"spec": {"image": "docker.io/library/nginx:1.27"}}}
}

test_allowed_registry_passes if {
	count(image_registry.deny) == 0 with input as {"platform": platform, "intent": {"spec": {"image": "ghcr.io/acme/api:1.0.0"}}}
}

test_no_list_allows_any if {
	count(image_registry.deny) == 0 with input as {"platform": {"registries": []}, "intent": {"spec": {"image": "nginx:1"}}}
}

test_prefix_is_a_path_not_a_string if {
	count(image_registry.deny) == 1 with input as {"platform": {"registries": ["ghcr.io/acme"]}, "intent": {"spec": {"image": "ghcr.io/acme-evil/api:1"}}}
}

test_sidecar_from_other_registry_is_denied if {
	count(image_registry.deny) == 1 with input as {"platform": platform, "intent": {"spec": {"image": "ghcr.io/acme/api:1.0.0", "sidecars": {"proxy": {"image": "docker.io/envoyproxy/envoy:v1.31"}}}}}
}
