# Production data can be restored to last week.
package paved.policies.prod_db_backups

import rego.v1

meta := {
	"code": "prod-db-backups",
	"title": "Production databases keep a week of backups",
	"description": "Point-in-time recovery needs retained backups; less than seven days means a bad migration found after a long weekend cannot be undone.",
	"fix": "Set `backupRetentionDays` to 7 or more (production defaults to 14).",
	"severity": "deny",
}

databases := {"postgres", "mysql", "mongodb", "mssql"}

deny contains {"msg": sprintf("production database %q keeps backups for %d days; at least 7 are needed", [name, days]), "path": sprintf("spec.resources.%s.params.backupRetentionDays", [name])} if {
	input.environment.production
	some name, resource in input.intent.spec.resources
	resource.type in databases
	days := resource.params.backupRetentionDays
	days < 7
}
