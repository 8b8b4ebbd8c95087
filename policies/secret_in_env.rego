# Secrets come from the secret store, never from the intent.
package paved.policies.secret_in_env

import rego.v1

meta := {
	"code": "secret-in-env",
	"title": "Environment variables do not hold secrets",
	"description": "A value written in an intent ends up in Git, in generated manifests and in CI logs. Variables named like credentials must come from `spec.secrets` or a resource's outputs; values shaped like well-known credentials are refused wherever they appear, secret references included: a reference names a secret, it never holds one.",
	"fix": "Move the value to the secret store and reference it under `spec.secrets`, or use a resource output placeholder.",
	"severity": "deny",
}

# Set operations rather than regular expressions or scans: this rule runs on every
# variable of every service.
credential_words := {"password", "passwd", "pass", "pwd", "secret", "token", "apikey", "credential", "credentials", "privatekey"}

key_qualifiers := {"api", "private", "secret", "access", "signing"}

# The names of `spec.env` that read like credentials: a `_`-separated token is a
# credential word, or the name has a `key` token qualified as secret (`API_KEY`).
credential_names contains name if {
	some name, _ in input.intent.spec.env
	some t in split(lower(name), "_")
	credential_words[t]
}

credential_names contains name if {
	some name, _ in input.intent.spec.env
	tokens := split(lower(name), "_")
	"key" in tokens
	some t in tokens
	key_qualifiers[t]
}

# Shapes of well-known credentials: AWS access keys, GitHub and Slack tokens, Stripe
# live keys, PEM private keys.
credential_prefixes := {
	"AKIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_",
	"xoxa-", "xoxb-", "xoxp-", "xoxr-",
	"sk_live_",
	"-----BEGIN ",
}

credential_value(value) if strings.any_prefix_match(value, credential_prefixes)

deny contains {"msg": sprintf("environment variable %s looks like a credential but has a literal value", [name]), "path": sprintf("spec.env.%s", [name])} if {
	some name, value in input.intent.spec.env
	credential_names[name]
	is_string(value)
	value != ""
	not from_resource(value)
}

deny contains {"msg": sprintf("environment variable %s holds what looks like a credential", [name]), "path": sprintf("spec.env.%s", [name])} if {
	some name, value in input.intent.spec.env
	is_string(value)
	credential_value(value)
	not credential_names[name]
}

# The value reads a resource output: `${resources.` that is not the escaped `$${`.
from_resource(value) if contains(replace(value, "$${", ""), "${resources.")

deny contains {"msg": sprintf("secret %s has what looks like a credential as its `%s`; a reference names a secret in the store, it never holds one", [name, field]), "path": sprintf("spec.secrets.%s.%s", [name, field])} if {
	some name, secret in input.intent.spec.secrets
	some field in ["ref", "key"]
	is_string(secret[field])
	credential_value(secret[field])
}
