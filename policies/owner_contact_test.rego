package paved.policies.owner_contact_test

import data.paved.policies.owner_contact
import rego.v1

test_unreachable_team_warns if {
	count(owner_contact.warn) == 1 with input as {"intent": {"metadata": {"owner": "x"}}, "team": {"spec": {}}}
}

test_team_with_chat_passes if {
	count(owner_contact.warn) == 0 with input as {"intent": {"metadata": {"owner": "x"}}, "team": {"spec": {"chat": {"channel": "#x"}}}}
}

test_unknown_team_is_left_to_the_owner_check if {
	count(owner_contact.warn) == 0 with input as {"intent": {"metadata": {"owner": "x"}}, "team": null}
}
