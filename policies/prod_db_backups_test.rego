package paved.policies.prod_db_backups_test

import data.paved.policies.prod_db_backups
import rego.v1

db(env, days) := {"environment": {"production": env}, "intent": {"spec": {"resources": {"db": {"type": "mysql", "params": {"backupRetentionDays": days}}}}}}

test_short_retention_in_production_is_denied if {
	count(prod_db_backups.deny) == 1 with input as db(true, 3)
}

test_week_passes if {
	count(prod_db_backups.deny) == 0 with input as db(true, 7)
}

test_short_retention_elsewhere_passes if {
	count(prod_db_backups.deny) == 0 with input as db(false, 1)
}

test_document_and_sql_server_databases_keep_a_week if {
	every kind in ["mongodb", "mssql"] {
		count(prod_db_backups.deny) == 1 with input as {"environment": {"production": true}, "intent": {"spec": {"resources": {"db": {"type": kind, "params": {"backupRetentionDays": 3}}}}}}
	}
}
