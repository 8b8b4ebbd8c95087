//! The Service's metadata, and the `paved.dev/*` annotations that carry the platform
//! metadata Score has no field for.

use serde_json::{Map, Value as Json, json};

use crate::diag::codes::Code;
use crate::diag::finding::printable;
use crate::diag::origin::escape_pointer;
use crate::load::score::convert::Converter;

/// The annotation prefix of the platform metadata Score has no field for.
const ANNOTATION_PREFIX: &str = "paved.dev/";

/// `paved.dev/<key>` annotations and the Service field each sets (docs/score.md
/// describes them).
pub(super) const ANNOTATIONS: &[(&str, &str)] = &[
    ("owner", "/metadata/owner"),
    ("system", "/metadata/system"),
    ("lifecycle", "/metadata/lifecycle"),
    ("tier", "/metadata/tier"),
    ("description", "/metadata/description"),
    ("type", "/spec/type"),
    ("size", "/spec/size"),
    ("replicas", "/spec/replicas"),
];

fn annotation_pointer(key: &str) -> String {
    format!(
        "/metadata/annotations/{}",
        escape_pointer(&format!("{ANNOTATION_PREFIX}{key}"))
    )
}

impl Converter<'_> {
    fn annotation(&self, key: &str) -> Option<&str> {
        self.metadata
            .get("annotations")?
            .get(format!("{ANNOTATION_PREFIX}{key}"))?
            .as_str()
    }

    /// An annotation's value for its Service field: annotations are text, so numbers
    /// are parsed; one that is no number is reported and left out.
    pub(super) fn annotation_value(&mut self, key: &str) -> Option<Json> {
        let value = self.annotation(key)?.to_string();
        if !matches!(key, "tier" | "replicas") {
            return Some(json!(value));
        }
        match value.parse::<u64>() {
            Ok(number) => Some(json!(number)),
            Err(_) => {
                self.note(
                    Code::InvalidValue,
                    annotation_pointer(key),
                    format!(
                        "`{ANNOTATION_PREFIX}{key}` must be a whole number, not `{}`",
                        printable(&value)
                    ),
                    Some("write the number in quotes, for example `\"2\"`: annotations are text"),
                );
                None
            }
        }
    }

    /// The Service's metadata; none without an owner.
    pub(super) fn metadata(&mut self, default_owner: Option<&str>) -> Option<Map<String, Json>> {
        let mut out = Map::new();
        self.map.insert("/apiVersion", "/apiVersion");
        self.map.insert("/kind", "/apiVersion");
        self.map.insert("/metadata", "/metadata");
        self.map.insert("/metadata/name", "/metadata/name");
        self.map
            .insert("/metadata/annotations", "/metadata/annotations");
        if let Some(name) = self.metadata.get("name") {
            out.insert("name".into(), name.clone());
        }
        // The annotations paved reads become fields; the others stay annotations.
        let annotations: Map<String, Json> = self
            .metadata
            .get("annotations")
            .and_then(Json::as_object)
            .into_iter()
            .flatten()
            .filter(|(key, _)| {
                !ANNOTATIONS
                    .iter()
                    .any(|(read, _)| key.strip_prefix(ANNOTATION_PREFIX) == Some(read))
            })
            .map(|(key, value)| (key.clone(), value.clone()))
            .collect();
        if !annotations.is_empty() {
            out.insert("annotations".into(), Json::Object(annotations));
        }
        for (key, pointer) in ANNOTATIONS {
            if self.annotation(key).is_none() {
                continue;
            }
            self.map.insert(*pointer, annotation_pointer(key));
            if let Some(field) = pointer.strip_prefix("/metadata/")
                && let Some(value) = self.annotation_value(key)
            {
                out.insert(field.into(), value);
            }
        }
        if !out.contains_key("owner") {
            match default_owner {
                Some(owner) => {
                    out.insert("owner".into(), json!(owner));
                    self.map.insert("/metadata/owner", "/metadata/name");
                }
                None => {
                    let message = format!(
                        "Score workload `{}` has no owner: paved cannot tell which team runs it",
                        printable(self.workload())
                    );
                    self.note(
                        Code::ScoreNoOwner,
                        String::from("/metadata"),
                        message,
                        Some(
                            "add `paved.dev/owner: <team>` under `metadata.annotations`, or set `defaults: {owner: <team>}` in paved.yaml",
                        ),
                    );
                    return None;
                }
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::diag::codes::Code;
    use crate::load::score::convert::convert;
    use crate::load::score::convert::tests::{codes_at, workload};
    use serde_json::json;

    #[test]
    fn no_owner_is_reported_unless_paved_yaml_gives_one() {
        let mut score = workload();
        score["metadata"]["annotations"] = json!({});
        let conversion = convert(&score, &[String::from("main")], None);
        assert!(conversion.fatal);
        assert_eq!(conversion.notes[0].code, Code::ScoreNoOwner);
        let conversion = convert(&score, &[String::from("main")], Some("platform"));
        assert!(!conversion.fatal);
        assert_eq!(conversion.service["metadata"]["owner"], "platform");
    }

    #[test]
    fn annotations_that_must_be_numbers_are_checked() {
        let mut score = workload();
        score["metadata"]["annotations"]["paved.dev/tier"] = json!("high");
        score["metadata"]["annotations"]["paved.dev/replicas"] = json!("3");
        let conversion = convert(&score, &[String::from("main")], None);
        assert_eq!(conversion.service["metadata"].get("tier"), None);
        assert_eq!(conversion.service["spec"]["replicas"], 3);
        assert_eq!(
            codes_at(&conversion),
            vec![(Code::InvalidValue, "/metadata/annotations/paved.dev~1tier")]
        );
    }
}
