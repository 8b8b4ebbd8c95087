package paved.policies.prod_db_ha_test

import data.paved.policies.prod_db_ha
import rego.v1

db(params) := typed("postgres", params)

typed(kind, params) := {"environment": {"production": true}, "intent": {"spec": {"resources": {"db": {"type": kind, "params": params}}}}}

test_single_az_in_production_is_denied if {
	count(prod_db_ha.deny) == 1 with input as db({"highAvailability": false})
}

test_default_passes if {
	count(prod_db_ha.deny) == 0 with input as db({})
}

test_every_database_type_is_held_to_it if {
	every kind in ["mysql", "mongodb", "mssql"] {
		count(prod_db_ha.deny) == 1 with input as typed(kind, {"highAvailability": false})
	}
}

test_a_broker_is_not_a_database if {
	count(prod_db_ha.deny) == 0 with input as typed("amqp", {"highAvailability": false})
}
