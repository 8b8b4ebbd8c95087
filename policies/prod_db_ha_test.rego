package paved.policies.prod_db_ha_test

import data.paved.policies.prod_db_ha
import rego.v1

db(params) := {"environment": {"production": true}, "intent": {"spec": {"resources": {"db": {"type": "postgres", "params": params}}}}}

test_single_az_in_production_is_denied if {
	count(prod_db_ha.deny) == 1 with input as db({"highAvailability": false})
}

test_default_passes if {
	count(prod_db_ha.deny) == 0 with input as db({})
}
