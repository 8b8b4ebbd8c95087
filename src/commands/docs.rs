//! Reference documentation generated from the sources of truth: the finding codes
//! and the JSON Schemas. `docs/` holds the output; a test keeps it in sync.

use serde_json::Value as Json;

use crate::diag::codes;
use crate::load::schema::FILES;
use crate::types;

/// `docs/codes.md`: every finding code.
pub(super) fn codes_markdown() -> String {
    let mut out = String::from(
        "# Finding codes\n\n<!-- Generated from src/codes.rs; `UPDATE_DOCS=1 cargo test docs` rewrites it. -->\n\n\
         Every finding paved reports has one of these codes. `paved explain CODE` prints the same text.\n\n",
    );
    let mut group = "";
    for info in codes::ALL {
        if info.group != group {
            group = info.group;
            out.push_str(&format!("## {}\n\n", capitalize(group)));
        }
        out.push_str(&format!(
            "### `{}`\n\n*{}.* {}\n\n{}\n\n**Fix:** {}\n\n",
            info.name,
            capitalize(info.severity.as_str()),
            info.summary,
            info.explanation,
            info.fix
        ));
    }
    out
}

/// `docs/intents.md`: the fields of every intent kind and of paved.yaml.
pub(super) fn intents_markdown() -> String {
    let docs = Documents::load();
    let mut out = String::from(
        "# Intent reference\n\n<!-- Generated from schemas/; `UPDATE_DOCS=1 cargo test docs` rewrites it. -->\n\n\
         The JSON Schemas in `schemas/` are the contract; this page lists their fields. \
         `paved schema --out DIR` exports them for editors.\n\n",
    );
    for (title, file) in [
        ("Service (`paved.dev/v1`)", "service.schema.json"),
        ("Team (`paved.dev/v1`)", "team.schema.json"),
        ("paved.yaml", "config.schema.json"),
    ] {
        let root = docs.get(file);
        out.push_str(&format!("## {title}\n\n"));
        if let Some(description) = root.get("description").and_then(Json::as_str) {
            out.push_str(description);
            out.push_str("\n\n");
        }
        out.push_str("| Field | Type | Default | Description |\n|---|---|---|---|\n");
        let mut rows = Vec::new();
        docs.fields(file, root, "", &mut rows, 0);
        for row in rows {
            out.push_str(&row);
        }
        out.push('\n');
    }
    out.push_str("## Resource types and their outputs\n\n");
    out.push_str("Placeholders read outputs as `${resources.<name>.<output>}`. Secret outputs come from the secret store and never appear in generated files. Outputs paved knows when it renders can also be read by the params of the service's other resources.\n\n");
    for kind in types::BUILT_IN {
        out.push_str(&format!(
            "### `{}`\n\n{}\n\n",
            kind.name(),
            kind.description()
        ));
        if kind.outputs().is_empty() {
            out.push_str("No outputs.\n");
        } else {
            out.push_str(
                "| Output | Secret | Known when paved renders | Description |\n|---|---|---|---|\n",
            );
        }
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        for output in kind.outputs() {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                output.name,
                yes_no(output.secret),
                yes_no(output.rendered),
                output.description
            ));
        }
        let params = kind
            .params()
            .definition
            .and_then(|(name, _)| docs.get("service.schema.json")["$defs"].get(name));
        if let Some(params) = params {
            out.push_str("\n| Param | Type | Default | Description |\n|---|---|---|---|\n");
            let mut rows = Vec::new();
            docs.fields("service.schema.json", params, "", &mut rows, 0);
            for row in rows {
                out.push_str(&row);
            }
        }
        out.push('\n');
    }
    out
}

struct Documents(Vec<(&'static str, Json)>);

impl Documents {
    fn load() -> Self {
        Self(
            FILES
                .iter()
                .map(|(name, text)| {
                    (
                        *name,
                        serde_json::from_str(text).expect("embedded schemas are JSON"),
                    )
                })
                .collect(),
        )
    }

    fn get(&self, file: &str) -> &Json {
        &self
            .0
            .iter()
            .find(|(name, _)| *name == file)
            .expect("a known schema file")
            .1
    }

    /// The schema a `$ref` points to, and the file it lives in.
    fn resolve<'a>(&'a self, file: &'a str, schema: &'a Json) -> (&'a str, &'a Json) {
        let Some(reference) = schema.get("$ref").and_then(Json::as_str) else {
            return (file, schema);
        };
        let (target, pointer) = reference.split_once('#').unwrap_or((reference, ""));
        let target = if target.is_empty() {
            file
        } else {
            self.0
                .iter()
                .find(|(name, _)| *name == target)
                .map_or(file, |(name, _)| *name)
        };
        match self.get(target).pointer(pointer) {
            Some(resolved) if !std::ptr::eq(resolved, schema) => self.resolve(target, resolved),
            _ => (target, schema),
        }
    }

    fn fields(&self, file: &str, schema: &Json, path: &str, rows: &mut Vec<String>, depth: usize) {
        const MAX_DEPTH: usize = 8;
        let (file, schema) = self.resolve(file, schema);
        if depth > MAX_DEPTH {
            return;
        }
        let mut properties: Vec<(&String, &Json)> = Vec::new();
        if let Some(map) = schema.get("properties").and_then(Json::as_object) {
            properties.extend(map.iter());
        }
        for part in schema
            .get("allOf")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let (_, part) = self.resolve(file, part);
            if let Some(map) = part.get("properties").and_then(Json::as_object) {
                properties.extend(map.iter());
            }
        }
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Json::as_array)
            .map(|r| r.iter().filter_map(Json::as_str).collect())
            .unwrap_or_default();
        let mut seen = std::collections::HashSet::new();
        for (name, property) in properties {
            // `name: true` in an `allOf` branch only re-admits a field described elsewhere.
            if property.is_boolean() || !seen.insert(name.as_str()) {
                continue;
            }
            let field = if path.is_empty() {
                name.clone()
            } else {
                format!("{path}.{name}")
            };
            let (property_file, resolved) = self.resolve(file, property);
            let description = property
                .get("description")
                .or_else(|| resolved.get("description"))
                .and_then(Json::as_str)
                .unwrap_or_default();
            let default = property
                .get("default")
                .or_else(|| resolved.get("default"))
                .map(|d| format!("`{d}`"))
                .unwrap_or_default();
            let marker = if required.contains(&name.as_str()) {
                " *(required)*"
            } else {
                ""
            };
            rows.push(format!(
                "| `{field}`{marker} | {} | {default} | {} |\n",
                type_of(self, property_file, resolved),
                description.replace('|', "\\|").replace('\n', " ")
            ));
            if let Some(items) = resolved.get("items") {
                let (items_file, items) = self.resolve(property_file, items);
                self.fields(items_file, items, &format!("{field}[]"), rows, depth + 1);
            } else if let Some(values) = resolved
                .get("additionalProperties")
                .filter(|v| v.is_object())
            {
                if name != "params" {
                    let (values_file, values) = self.resolve(property_file, values);
                    self.fields(
                        values_file,
                        values,
                        &format!("{field}.<name>"),
                        rows,
                        depth + 1,
                    );
                }
            } else if name != "params" {
                self.fields(property_file, resolved, &field, rows, depth + 1);
            }
        }
    }
}

fn type_of(docs: &Documents, file: &str, schema: &Json) -> String {
    if let Some(value) = schema.get("const") {
        return format!("`{value}`");
    }
    if let Some(options) = schema.get("enum").and_then(Json::as_array) {
        return options
            .iter()
            .map(|o| {
                format!(
                    "`{}`",
                    o.as_str().map_or_else(|| o.to_string(), str::to_string)
                )
            })
            .collect::<Vec<_>>()
            .join(" \\| ");
    }
    let kind = match schema.get("type") {
        Some(Json::String(t)) => t.clone(),
        Some(Json::Array(types)) => types
            .iter()
            .filter_map(Json::as_str)
            .collect::<Vec<_>>()
            .join(" \\| "),
        _ => String::from("object"),
    };
    match kind.as_str() {
        "array" => {
            let items = schema.get("items").map(|i| docs.resolve(file, i));
            match items {
                Some((file, items)) => format!("list of {}", type_of(docs, file, items)),
                None => String::from("list"),
            }
        }
        "object"
            if schema
                .get("additionalProperties")
                .is_some_and(Json::is_object) =>
        {
            String::from("map")
        }
        _ => kind,
    }
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// The checked-in docs match what the code and schemas say; `UPDATE_DOCS=1`
    /// rewrites them.
    #[test]
    fn docs_are_in_sync() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
        for (file, text) in [
            ("codes.md", codes_markdown()),
            ("intents.md", intents_markdown()),
        ] {
            let path = root.join(file);
            if std::env::var_os("UPDATE_DOCS").is_some() {
                std::fs::write(&path, &text).unwrap();
            }
            let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                checked_in == text,
                "docs/{file} is out of date: run `UPDATE_DOCS=1 cargo test docs`"
            );
        }
    }

    #[test]
    fn every_schema_field_is_documented() {
        let text = intents_markdown();
        for field in [
            "spec.resources.<name>.type",
            "spec.ports[].port",
            "metadata.owner",
            "environments.<name>.cloud.account",
        ] {
            assert!(text.contains(&format!("`{field}`")), "{field} missing");
        }
    }
}
