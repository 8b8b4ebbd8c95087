# Services handling sensitive data are not reachable from the internet.
package paved.policies.sensitive_data_private

import rego.v1

meta := {
	"code": "sensitive-data-private",
	"title": "Services with sensitive data are not public",
	"description": "A service classified as handling sensitive data (annotation `paved.dev/data-classification: confidential|restricted`, or the tag `pii`) stays behind a public front end rather than being exposed itself.",
	"fix": "Make `spec.expose.visibility` internal and put a public service in front, or correct the classification.",
	"severity": "deny",
}

deny contains {"msg": "a service with sensitive data is publicly exposed", "path": "spec.expose.visibility"} if {
	sensitive
	input.intent.spec.expose.visibility == "public"
}

sensitive if {
	input.intent.metadata.annotations["paved.dev/data-classification"] in {"confidential", "restricted"}
}

sensitive if {
	"pii" in input.intent.metadata.tags
}
