# Deprecated services are on their way out; new dependencies on them are debt.
package paved.policies.depends_on_deprecated

import rego.v1

meta := {
	"code": "depends-on-deprecated",
	"title": "No dependencies on deprecated services",
	"description": "A service marked `lifecycle: deprecated` will be removed; every service that still depends on it blocks that removal.",
	"fix": "Move to the deprecated service's replacement and remove the dependency.",
	"severity": "warn",
}

warn contains {"msg": sprintf("depends on %q, which is deprecated", [dependency.name]), "path": sprintf("spec.dependencies[%d]", [index])} if {
	some dependency in input.dependencies
	dependency.lifecycle == "deprecated"
	some index, name in input.intent.spec.dependencies
	name == dependency.name
}
