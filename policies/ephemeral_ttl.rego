# Preview environments end: nobody pays for forgotten ones.
package paved.policies.ephemeral_ttl

import rego.v1

meta := {
	"code": "ephemeral-ttl",
	"title": "Preview environments have a TTL",
	"description": "Environments named for previews or review apps (`preview`, `pr-*`, `review`, `ephemeral`) are temporary; without `ttl` in paved.yaml they live, and cost, forever.",
	"fix": "Set `ttl` (for example `72h`) on the environment in paved.yaml.",
	"severity": "deny",
	"target": "platform",
}

deny contains {"msg": sprintf("environment %q looks ephemeral but has no ttl", [name]), "path": sprintf("/environments/%s", [name])} if {
	name := input.environment.name
	regex.match(`^(preview|pr|review|ephemeral)([-0-9]|$)`, name)
	not input.environment.ttl
}
