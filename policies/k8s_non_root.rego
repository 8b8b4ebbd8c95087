# Containers never run as root.
package paved.policies.k8s_non_root

import rego.v1

meta := {
	"code": "k8s-non-root",
	"title": "Containers run as a non-root user",
	"description": "Root in a container is one kernel bug away from root on the node. Every container must run as non-root, set on the pod or on the container.",
	"fix": "Set `securityContext.runAsNonRoot: true` on the container (or the pod) in the template or patch that adds it.",
	"severity": "deny",
	"target": "kubernetes",
	"kinds": ["Deployment", "StatefulSet", "DaemonSet", "Job"],
}

workloads := {kind | some kind in meta.kinds}

deny contains {"msg": sprintf("container %q of %s %s may run as root", [container.name, input.object.kind, input.object.metadata.name])} if {
	input.object.kind in workloads
	some container in input.object.spec.template.spec.containers
	not non_root(container)
}

# A container's own settings win over the pod's.
setting(container, key) := container.securityContext[key]

setting(container, key) := input.object.spec.template.spec.securityContext[key] if {
	not has_key(object.get(container, "securityContext", {}), key)
}

has_key(obj, key) if _ = obj[key]

non_root(container) if {
	setting(container, "runAsNonRoot") == true
	not runs_as_uid_zero(container)
}

runs_as_uid_zero(container) if setting(container, "runAsUser") == 0

deny contains {"msg": sprintf("container %q of %s %s is privileged or may escalate", [container.name, input.object.kind, input.object.metadata.name])} if {
	input.object.kind in workloads
	some container in input.object.spec.template.spec.containers
	escalates(container)
}

escalates(container) if container.securityContext.privileged == true

escalates(container) if container.securityContext.allowPrivilegeEscalation == true
