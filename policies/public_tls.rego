# Traffic from the internet is encrypted.
package paved.policies.public_tls

import rego.v1

meta := {
	"code": "public-tls",
	"title": "Publicly exposed services use TLS",
	"description": "A public route without TLS sends cookies, tokens and personal data in clear over the internet.",
	"fix": "Remove `tls: false` from `spec.expose`.",
	"severity": "deny",
}

deny contains {"msg": sprintf("the public route to %q has TLS turned off", [object.get(input.intent.spec.expose, "host", "")]), "path": "spec.expose.tls"} if {
	input.intent.spec.expose.visibility == "public"
	input.intent.spec.expose.tls == false
}
