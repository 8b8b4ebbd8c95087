# An organisation policy: every service carries a tag naming its language or stack,
# so the catalog can answer "who runs Go?".
package paved.org.stack_tag

import rego.v1

meta := {
	"code": "stack-tag",
	"title": "Services are tagged with their stack",
	"description": "Catalog tags say what a service is built with; security advisories and upgrades are planned from them.",
	"fix": "Add a tag naming the language or framework (for example `go`, `python`, `nodejs`, `java`) to `metadata.tags`.",
	"severity": "warn",
}

stacks := {"go", "python", "nodejs", "typescript", "java", "kotlin", "rust", "ruby", "dotnet"}

warn contains {"msg": "no tag names the service's stack", "path": "metadata.tags"} if {
	tags := object.get(input.intent.metadata, "tags", [])
	count({t | some t in tags; t in stacks}) == 0
}
