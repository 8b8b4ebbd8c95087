# A production database survives the loss of an availability zone.
package paved.policies.prod_db_ha

import rego.v1

meta := {
	"code": "prod-db-ha",
	"title": "Production databases are multi-AZ",
	"description": "paved makes production databases multi-AZ by default; turning it off means an availability-zone outage takes the service down and a failover means a restore.",
	"fix": "Remove `highAvailability: false` from the production database's params.",
	"severity": "deny",
}

databases := {"postgres", "mysql", "mongodb", "mssql"}

deny contains {"msg": sprintf("production database %q turns high availability off", [name]), "path": sprintf("spec.resources.%s.params.highAvailability", [name])} if {
	input.environment.production
	some name, resource in input.intent.spec.resources
	resource.type in databases
	resource.params.highAvailability == false
}
