# Cloud names stay readable: `<env>-<service>-<resource>` fits the 63 characters most AWS names allow.
package paved.policies.resource_name_length

import rego.v1

meta := {
	"code": "resource-name-length",
	"title": "Resource names fit cloud name limits",
	"description": "paved names a service's cloud resources `<environment>-<service>-<resource>`. Past 63 characters the name is cut and suffixed with a hash: it still works, but it no longer says what it is in the cloud console and the bills.",
	"fix": "Shorten the resource's name (or the service's).",
	"severity": "warn",
}

warn contains {"msg": sprintf("the cloud name of resource %q would be %d characters and gets shortened with a hash", [name, length]), "path": sprintf("spec.resources.%s", [name])} if {
	some name, resource in input.intent.spec.resources
	not resource.id
	length := count(input.environment.name) + count(input.intent.metadata.name) + count(name) + 2
	length > 63
}
