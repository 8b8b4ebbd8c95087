# Secrets come from the secret store, never from the intent.
package paved.policies.secret_in_env

import rego.v1

meta := {
	"code": "secret-in-env",
	"title": "Environment variables do not hold secrets",
	"description": "A value written in an intent ends up in Git, in generated manifests and in CI logs. Variables named like credentials must come from `spec.secrets` or a resource's outputs; values shaped like well-known credentials are refused wherever they appear.",
	"fix": "Move the value to the secret store and reference it under `spec.secrets`, or use a resource output placeholder.",
	"severity": "deny",
}

# Set operations rather than regular expressions or scans: this rule runs on every
# variable of every service in every environment.
credential_words := {"password", "passwd", "pass", "pwd", "secret", "token", "apikey", "credential", "credentials", "privatekey"}

key_qualifiers := {"api", "private", "secret", "access", "signing"}

credential_name(name) if {
	some t in split(lower(name), "_")
	credential_words[t]
}

credential_name(name) if {
	tokens := split(lower(name), "_")
	"key" in tokens
	some t in tokens
	key_qualifiers[t]
}

# Shapes of well-known credentials: AWS access keys, GitHub and Slack tokens, Stripe
# live keys, PEM private keys. Looked up by prefix length: a few substring lookups
# per value.
credential_prefixes := {
	"AKIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_",
	"xoxa-", "xoxb-", "xoxp-", "xoxr-",
	"sk_live_",
	"-----BEGIN ",
}

prefix_lengths := {count(p) | some p in credential_prefixes}

credential_value(value) if {
	some n in prefix_lengths
	credential_prefixes[substring(value, 0, n)]
}

deny contains {"msg": sprintf("environment variable %s looks like a credential but has a literal value", [name]), "path": sprintf("spec.env.%s", [name])} if {
	some name, value in input.intent.spec.env
	credential_name(name)
	is_string(value)
	value != ""
	not from_resource(value)
}

deny contains {"msg": sprintf("environment variable %s holds what looks like a credential", [name]), "path": sprintf("spec.env.%s", [name])} if {
	some name, value in input.intent.spec.env
	is_string(value)
	credential_value(value)
	not credential_name(name)
}

# The value reads a resource output: `${resources.` that is not the escaped `$${`.
from_resource(value) if contains(replace(value, "$${", ""), "${resources.")
