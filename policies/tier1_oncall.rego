# Someone answers when a business-critical service breaks at night.
package paved.policies.tier1_oncall

import rego.v1

meta := {
	"code": "tier1-oncall",
	"title": "Tier-1 services are owned by a team with an on-call contact",
	"description": "Pages for a tier-1 service must reach a person: the owning team declares its on-call schedule, page or address in its Team intent.",
	"fix": "Add `spec.oncall` (schedule, url or email) to the owner team's intent.",
	"severity": "deny",
}

deny contains {"msg": sprintf("team %q owns a tier-1 service but declares no on-call contact", [input.intent.metadata.owner]), "path": "team.spec"} if {
	input.intent.metadata.tier == 1
	# An unknown owner is reported by the owner check itself.
	is_object(input.team)
	not has_oncall
}

has_oncall if {
	some key in ["schedule", "url", "email"]
	input.team.spec.oncall[key]
}
