# People can reach the team that owns a service.
package paved.policies.owner_contact

import rego.v1

meta := {
	"code": "owner-contact",
	"title": "Owner teams can be reached",
	"description": "The catalog, alerts and code reviews point people at the owner team; a team with neither an e-mail address nor a chat channel cannot be reached.",
	"fix": "Add `spec.email` or `spec.chat.channel` to the owner team's intent.",
	"severity": "warn",
}

warn contains {"msg": sprintf("team %q has no e-mail address or chat channel", [input.intent.metadata.owner]), "path": "team.spec"} if {
	# An unknown owner is reported by the owner check itself.
	is_object(input.team)
	not input.team.spec.email
	not input.team.spec.chat.channel
}
