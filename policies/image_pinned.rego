# An image reference says exactly what runs: a version tag or a digest, never `latest`.
package paved.policies.image_pinned

import rego.v1

meta := {
	"code": "image-pinned",
	"title": "Images are pinned by tag or digest",
	"description": "An image without a tag, or tagged `latest`, changes under the service without a commit: deploys stop being reproducible and rollbacks stop rolling back.",
	"fix": "Use a version tag (`app:1.4.2`) or a digest (`app@sha256:...`).",
	"severity": "deny",
}

deny contains {"msg": sprintf("image %q has no tag or digest", [image]), "path": "spec.image"} if {
	image := input.intent.spec.image
	not contains(image, "@sha256:")
	not tag(image)
}

deny contains {"msg": sprintf("image %q uses the `latest` tag", [image]), "path": "spec.image"} if {
	image := input.intent.spec.image
	not contains(image, "@sha256:")
	tag(image) == "latest"
}

# The tag: what follows `:` in the last path segment (a registry port comes earlier).
deny contains {"msg": sprintf("sidecar %q: image %q has no tag or digest", [name, image]), "path": sprintf("spec.sidecars.%s.image", [name])} if {
	some name, sidecar in input.intent.spec.sidecars
	image := sidecar.image
	not contains(image, "@sha256:")
	not tag(image)
}

deny contains {"msg": sprintf("sidecar %q: image %q uses the `latest` tag", [name, image]), "path": sprintf("spec.sidecars.%s.image", [name])} if {
	some name, sidecar in input.intent.spec.sidecars
	image := sidecar.image
	not contains(image, "@sha256:")
	tag(image) == "latest"
}

tag(image) := t if {
	parts := split(image, "/")
	last := parts[count(parts) - 1]
	contains(last, ":")
	t := split(last, ":")[1]
}
