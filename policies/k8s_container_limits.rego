# Whatever templates and patches produce, every container has a memory limit.
package paved.policies.k8s_container_limits

import rego.v1

meta := {
	"code": "k8s-container-limits",
	"title": "Every container has a memory limit",
	"description": "A container without a memory limit can take a node's memory and get its neighbours killed. paved's Deployments have limits; this rule holds them for what platform templates and patches add, such as sidecars.",
	"fix": "Give the container `resources.limits.memory` in the template or patch that adds it.",
	"severity": "deny",
	"target": "kubernetes",
	"kinds": ["Deployment", "StatefulSet", "DaemonSet", "Job"],
}

workloads := {kind | some kind in meta.kinds}

deny contains {"msg": sprintf("container %q of %s %s has no memory limit", [container.name, input.object.kind, input.object.metadata.name])} if {
	input.object.kind in workloads
	some container in containers
	not container.resources.limits.memory
}

containers contains container if {
	some container in input.object.spec.template.spec.containers
}

containers contains container if {
	some container in input.object.spec.template.spec.initContainers
}
