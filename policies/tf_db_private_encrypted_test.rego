package paved.policies.tf_db_private_encrypted_test

import data.paved.policies.tf_db_private_encrypted
import rego.v1

db(values) := {"resource": {"type": "aws_db_instance", "name": "db", "values": values}}

test_unencrypted_is_denied if {
	count(tf_db_private_encrypted.deny) == 1 with input as db({"storage_encrypted": false})
}

test_public_is_denied if {
	count(tf_db_private_encrypted.deny) == 1 with input as db({"storage_encrypted": true, "publicly_accessible": true})
}

test_private_encrypted_passes if {
	count(tf_db_private_encrypted.deny) == 0 with input as db({"storage_encrypted": true, "publicly_accessible": false})
}

test_omitted_encryption_is_denied if {
	count(tf_db_private_encrypted.deny) == 1 with input as db({})
}
