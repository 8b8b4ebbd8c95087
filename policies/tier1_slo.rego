# Business-critical services say what they promise.
package paved.policies.tier1_slo

import rego.v1

meta := {
	"code": "tier1-slo",
	"title": "Tier-1 services declare an availability SLO",
	"description": "A tier-1 service is one whose failure the business notices at once. Without an availability SLO there are no burn-rate alerts, no error budget and no shared definition of 'working'.",
	"fix": "Add `spec.slos.availability.target` (for example 99.9), or lower `metadata.tier`.",
	"severity": "deny",
}

deny contains {"msg": "a tier-1 service that serves traffic declares no availability SLO", "path": "metadata.tier"} if {
	input.intent.metadata.tier == 1
	input.intent.spec.type != "worker"
	not input.intent.spec.slos.availability
}
