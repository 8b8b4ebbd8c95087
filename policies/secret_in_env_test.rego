package paved.policies.secret_in_env_test

import data.paved.policies.secret_in_env
import rego.v1

env(vars) := {"intent": {"spec": {"env": vars}}}

test_literal_password_is_denied if {
	count(secret_in_env.deny) == 1 with input as env({"DB_PASSWORD": "hunter2"})
}

test_password_placeholder_passes if {
	count(secret_in_env.deny) == 0 with input as env({"DB_PASSWORD": "${resources.db.password}"})
}

test_credential_shaped_value_is_denied if {
	count(secret_in_env.deny) == 1 with input as env({"AWS_ACCESS": "AKIAABCDEFGHIJKLMNOP"})
}

test_ordinary_values_pass if {
	count(secret_in_env.deny) == 0 with input as env({"LOG_LEVEL": "info", "TOKEN_TTL_SECONDS": ""})
}

test_escaped_placeholder_is_a_literal if {
	count(secret_in_env.deny) == 1 with input as env({"DB_PASSWORD": "$${hunter2}"})
}

test_metadata_placeholder_is_not_a_secret_source if {
	count(secret_in_env.deny) == 1 with input as env({"API_TOKEN": "hunter2${metadata.name}"})
}

test_composed_connection_string_passes if {
	count(secret_in_env.deny) == 0 with input as env({"DATABASE_PASSWORD": "${resources.db.password}"})
}

secrets(refs) := {"intent": {"spec": {"secrets": refs}}}

test_secret_reference_holding_a_credential_is_denied if {
	count(secret_in_env.deny) == 2 with input as secrets({
		"STRIPE_KEY": {"ref": "sk_live_0123456789abcdef"},
		"GITHUB_TOKEN": {"ref": "ci/github", "key": "ghp_0123456789abcdefghij"},
	})
}

test_secret_references_pass if {
	count(secret_in_env.deny) == 0 with input as secrets({"STRIPE_KEY": {"ref": "payments/stripe", "key": "api_key"}})
}
