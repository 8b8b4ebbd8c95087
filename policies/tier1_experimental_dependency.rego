# Business-critical services do not rest on experiments.
package paved.policies.tier1_experimental_dependency

import rego.v1

meta := {
	"code": "tier1-experimental-dependency",
	"title": "Tier-1 services do not depend on experimental services",
	"description": "An experimental service makes no stability promise; a tier-1 service that needs it inherits its outages.",
	"fix": "Promote the dependency to `lifecycle: production` with its own SLO, or make the call optional.",
	"severity": "warn",
}

warn contains {"msg": sprintf("a tier-1 service depends on %q, which is experimental", [dependency.name]), "path": sprintf("spec.dependencies[%d]", [index])} if {
	input.intent.metadata.tier == 1
	some dependency in input.dependencies
	dependency.lifecycle == "experimental"
	some index, name in input.intent.spec.dependencies
	name == dependency.name
}
