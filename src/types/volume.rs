//! `volume`: scratch space in each pod, an `emptyDir` (as score-k8s's default
//! provisioner makes), mounted where `spec.volumes` (or a sidecar's `volumes`) says; it
//! lives and dies with the pod. It is no catalog entity: nobody else looks it up.

use serde_json::{Value as Json, json};

use super::{Instance, Output, Params, ResourceType};

pub(super) struct Volume;

const PARAMS: (&str, &str) = (
    "volumeParams",
    r##"{
  "description": "Scratch space in each pod: an `emptyDir` volume.",
  "type": "object",
  "properties": {
    "sizeLimit": { "description": "The most the volume may hold, as a Kubernetes quantity, for example `512Mi` or `10Gi`; a pod that writes more is evicted.", "type": "string", "pattern": "^[1-9][0-9]{0,8}(Ki|Mi|Gi|Ti|k|M|G|T)?$", "default": "1Gi" },
    "medium": { "description": "`Memory` keeps the volume in RAM (tmpfs), counted against the container's memory limit; by default it is on the node's disk.", "enum": ["Memory"] }
  },
  "additionalProperties": false
}"##,
);

/// The size of a volume that does not give `params.sizeLimit`: a bound, so that a
/// runaway writer gets its pod evicted rather than filling the node's disk.
const SIZE_LIMIT: &str = "1Gi";

impl ResourceType for Volume {
    fn name(&self) -> &'static str {
        "volume"
    }

    fn description(&self) -> &'static str {
        "Scratch space in each pod (an `emptyDir`), mounted where `spec.volumes` (or a sidecar's `volumes`) says; it lives and dies with the pod."
    }

    fn outputs(&self) -> &'static [Output] {
        const OUTPUTS: &[Output] = &[];
        OUTPUTS
    }

    fn params(&self) -> Params {
        Params::of(PARAMS)
    }

    fn in_cluster(&self) -> bool {
        true
    }

    fn rendered_output(&self, _instance: &Instance<'_>, _output: &str) -> Option<String> {
        None
    }

    fn catalog_type(&self) -> Option<&'static str> {
        None
    }

    fn mountable(&self) -> bool {
        true
    }

    /// An `emptyDir`, on the node's disk or in memory.
    fn pod_volume(&self, instance: &Instance<'_>) -> Option<Json> {
        let size = instance
            .param("sizeLimit")
            .and_then(Json::as_str)
            .unwrap_or(SIZE_LIMIT);
        let mut empty_dir = json!({ "sizeLimit": size });
        if let Some(medium) = instance.param("medium").and_then(Json::as_str) {
            empty_dir["medium"] = json!(medium);
        }
        Some(json!({ "emptyDir": empty_dir }))
    }
}
