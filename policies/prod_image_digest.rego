# In production, a digest is the strongest pin: a tag can be moved, a digest cannot.
package paved.policies.prod_image_digest

import rego.v1

meta := {
	"code": "prod-image-digest",
	"title": "Production images are pinned by digest",
	"description": "Tags are mutable: whoever can push can change what a tag points to. A digest names exactly the image that was tested.",
	"fix": "Reference the production image by digest (`app:1.4.2@sha256:...`), for example in `spec.environments.prod.image`.",
	"severity": "warn",
}

warn contains {"msg": sprintf("production image %q is not pinned by digest", [image]), "path": "spec.image"} if {
	input.environment.production
	image := input.intent.spec.image
	not contains(image, "@sha256:")
}
