# Production services keep serving while a pod is replaced or a node drains.
package paved.policies.prod_min_replicas

import rego.v1

meta := {
	"code": "prod-min-replicas",
	"title": "Production services run at least two replicas",
	"description": "A single pod in production means downtime on every deploy, node drain or crash; with two or more, the PodDisruptionBudget paved generates keeps one serving.",
	"fix": "Set `replicas` (or `autoscaling.min`) to 2 or more for production, for example in `spec.environments.prod`.",
	"severity": "deny",
}

deny contains {"msg": sprintf("autoscaling.min is %d; production needs at least 2", [min]), "path": "spec.autoscaling.min"} if {
	input.environment.production
	min := object.get(input.intent.spec.autoscaling, "min", 2)
	min < 2
}

deny contains {"msg": sprintf("replicas is %d; production needs at least 2", [replicas]), "path": "spec.replicas"} if {
	input.environment.production
	not input.intent.spec.autoscaling
	replicas := input.intent.spec.replicas
	replicas < 2
}
