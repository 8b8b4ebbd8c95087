//! The workload's resources as the Service's: paved's type names, classes and params,
//! with what each built-in type adds, and the services a resource reaches as
//! dependencies.

use serde_json::{Map, Value as Json, json};

use crate::diag::finding::printable;
use crate::diag::origin::escape_pointer;
use crate::load::score::convert::Converter;
use crate::types;

impl Converter<'_> {
    pub(super) fn resources(&mut self) -> Map<String, Json> {
        let resources = self.resources.clone();
        let mut out = Map::new();
        self.map.insert("/spec/resources", "/resources");
        for (name, resource) in &resources {
            let at = format!("/resources/{}", escape_pointer(name));
            self.map.insert(
                format!("/spec/resources/{}", escape_pointer(name)),
                at.clone(),
            );
            let score_type = resource
                .get("type")
                .and_then(Json::as_str)
                .unwrap_or_default();
            let kind = types::from_score(score_type);
            let mut converted = json!({ "type": kind });
            // Score's implicit class is `default`; paved's is no class at all.
            if let Some(class) = resource.get("class").and_then(Json::as_str)
                && class != "default"
            {
                converted["class"] = json!(class);
            }
            if let Some(id) = resource.get("id") {
                converted["id"] = id.clone();
            }
            if let Some(params) = resource.get("params") {
                converted["params"] = self.params(params, &format!("{at}/params"));
            }
            let built_in = types::find(kind);
            if let Some(built_in) = built_in {
                let ports = self
                    .score
                    .pointer("/service/ports")
                    .and_then(Json::as_object);
                built_in.score_params(&mut converted, ports);
            }
            // A resource that reaches another service makes the workload depend on it.
            if let Some(Some(workload)) =
                built_in.and_then(|t| converted.get("params").and_then(|params| t.peer(params)))
            {
                self.dependencies
                    .entry(workload.to_string())
                    .or_insert_with(|| format!("{at}/params/workload"));
            }
            if resource.get("metadata").is_some() {
                self.unsupported(
                    format!("{at}/metadata"),
                    format!("the metadata of resource `{}` is not used", printable(name)),
                    "remove it; resource `params` configure what paved provisions",
                );
            }
            out.insert(name.clone(), converted);
        }
        out
    }

    /// Resource params as paved's: metadata substituted, other resources' outputs as
    /// paved placeholders, which paved resolves when it renders.
    fn params(&mut self, params: &Json, pointer: &str) -> Json {
        match params {
            Json::String(value) => Json::String(self.placeholders(value, pointer)),
            Json::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| self.params(item, &format!("{pointer}/{i}")))
                .collect(),
            Json::Object(map) => Json::Object(
                map.iter()
                    .map(|(key, item)| {
                        let at = format!("{pointer}/{}", escape_pointer(key));
                        (key.clone(), self.params(item, &at))
                    })
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diag::codes::Code;
    use crate::load::score::convert::convert;
    use crate::load::score::convert::tests::workload;
    use serde_json::json;

    #[test]
    fn routes_name_the_port_the_service_offers() {
        let mut score = workload();
        score["resources"]["public"] =
            json!({"type": "route", "params": {"host": "orders.example", "port": 80}});
        let conversion = convert(&score, &[String::from("main")], None);
        assert_eq!(
            conversion.service["spec"]["resources"]["public"]["params"],
            json!({"host": "orders.example", "port": "web"})
        );
    }

    #[test]
    fn a_service_port_is_a_dependency() {
        let mut score = workload();
        score["resources"]["api"] =
            json!({"type": "service-port", "params": {"workload": "billing", "port": "http"}});
        let conversion = convert(&score, &[String::from("main")], None);
        assert_eq!(
            conversion.service["spec"]["dependencies"],
            json!(["billing"])
        );
        assert_eq!(
            conversion.map.translate("/spec/dependencies/0"),
            "/resources/api/params/workload"
        );
    }

    #[test]
    fn params_take_metadata_and_outputs_throughout() {
        let mut score = workload();
        score["resources"]["cache"] = json!({"type": "redis", "params": {
            "name": "${metadata.name}-cache",
            "list": ["1", "${metadata.name}", {"d": "${metadata.name} $$5"}],
        }});
        score["resources"]["bucket"] = json!({"type": "s3", "params": {"peer": "${resources.db.host}", "id": "${resources.db}"}});
        score["resources"]["broken"] =
            json!({"type": "s3", "params": {"a": [{"b": "${metadata.unknown}"}]}});
        let conversion = convert(&score, &[String::from("main")], None);
        let resources = &conversion.service["spec"]["resources"];
        assert_eq!(
            resources["cache"]["params"],
            json!({"name": "orders-cache", "list": ["1", "orders", {"d": "orders $$5"}]})
        );
        assert_eq!(resources["bucket"]["type"], "bucket");
        assert_eq!(
            resources["bucket"]["params"],
            json!({"peer": "${resources.db.host}", "id": "postgres.default#orders-db"})
        );
        let notes: Vec<(Code, &str, &str)> = conversion
            .notes
            .iter()
            .map(|n| (n.code, n.pointer.as_str(), n.message.as_str()))
            .collect();
        assert_eq!(
            notes,
            [(
                Code::UnknownPlaceholder,
                "/resources/broken/params/a/0/b",
                "invalid ref 'metadata.unknown': key 'unknown' not found"
            )]
        );
    }
}
