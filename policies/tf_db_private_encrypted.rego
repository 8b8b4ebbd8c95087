# Databases that platform provisioners create are encrypted and private.
package paved.policies.tf_db_private_encrypted

import rego.v1

meta := {
	"code": "tf-db-private-encrypted",
	"title": "Databases are encrypted and not publicly accessible",
	"description": "Holds for every `aws_db_instance` in generated Terraform, including what platform provisioners render: storage encrypted, no public endpoint.",
	"fix": "Set `storage_encrypted = true` and `publicly_accessible = false` in the provisioner that creates the database.",
	"severity": "deny",
	"target": "terraform",
	"kinds": ["aws_db_instance"],
}

deny contains sprintf("database %s does not encrypt its storage", [input.resource.name]) if {
	input.resource.type == "aws_db_instance"
	# AWS leaves storage unencrypted when the argument is omitted.
	object.get(input.resource.values, "storage_encrypted", false) != true
}

deny contains sprintf("database %s is publicly accessible", [input.resource.name]) if {
	input.resource.type == "aws_db_instance"
	input.resource.values.publicly_accessible == true
}
