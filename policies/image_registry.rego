# Images come from the registries the platform trusts (paved.yaml `registries`).
package paved.policies.image_registry

import rego.v1

meta := {
	"code": "image-registry",
	"title": "Images come from an allowed registry",
	"description": "paved.yaml lists the registries images may come from; an image from anywhere else has not passed the organisation's scanning and signing.",
	"fix": "Push the image to one of the allowed registries (paved.yaml `registries`) and use that reference.",
	"severity": "deny",
}

deny contains {"msg": sprintf("image %q is not from an allowed registry (%s)", [image, concat(", ", registries)]), "path": "spec.image"} if {
	registries := input.platform.registries
	count(registries) > 0
	image := input.intent.spec.image
	not allowed(image, registries)
}

# A registry entry is a path prefix: `ghcr.io/acme` allows `ghcr.io/acme/api`, not
# `ghcr.io/acme-evil/api`.
deny contains {"msg": sprintf("sidecar %q: image %q is not from an allowed registry (%s)", [name, image, concat(", ", registries)]), "path": sprintf("spec.sidecars.%s.image", [name])} if {
	registries := input.platform.registries
	count(registries) > 0
	some name, sidecar in input.intent.spec.sidecars
	image := sidecar.image
	not allowed(image, registries)
}

allowed(image, registries) if {
	some registry in registries
	prefix := trim_suffix(registry, "/")
	startswith(image, concat("", [prefix, "/"]))
}
