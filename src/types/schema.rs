//! The parts of `schemas/service.schema.json` that the built-in types own: the names in
//! `resourceType`, one `if type then params` rule per type in `resource`, and the params
//! definitions. The schema file is what editors and `paved schema` read, so it stays a
//! file; a test keeps it in sync with the types, and `UPDATE_SCHEMAS=1 cargo test
//! schema` rewrites it after a type changes.

use super::{BUILT_IN, ResourceType};

/// `file` (the service schema) with its type-owned parts made from [`BUILT_IN`]; an
/// error names the part the file lacks.
pub(super) fn service_schema(file: &str) -> Result<String, String> {
    let lines: Vec<&str> = file.lines().collect();
    let find = |from: usize, wanted: &dyn Fn(&str) -> bool, what: &str| {
        (from..lines.len())
            .find(|&i| wanted(lines[i]))
            .ok_or_else(|| format!("the service schema has no {what}"))
    };
    let resource_type = find(0, &|l| l == "    \"resourceType\": {", "`resourceType`")?;
    let description = find(
        resource_type,
        &|l| l.starts_with("      \"description\": "),
        "description of `resourceType`",
    )?;
    let resource = find(0, &|l| l == "    \"resource\": {", "`resource`")?;
    let rules = find(
        resource,
        &|l| l == "      \"allOf\": [",
        "rules of `resource`",
    )?;
    let rules_end = find(rules, &|l| l == "      ]", "end of the rules of `resource`")?;
    let params = find(rules_end, &|l| l == "    },", "end of `resource`")? + 1;
    let params_end = find(params, &|l| l == "    \"override\": {", "`override`")?;
    if !(description < resource && resource < rules) {
        return Err(String::from(
            "the service schema's `resourceType` comes after `resource`",
        ));
    }
    let mut out: Vec<String> = Vec::new();
    out.extend(lines[..description].iter().map(|l| l.to_string()));
    out.push(format!(
        "      \"description\": \"A resource type: {}.\",",
        names()
    ));
    out.extend(lines[description + 1..=rules].iter().map(|l| l.to_string()));
    let with_params: Vec<&dyn ResourceType> = BUILT_IN
        .iter()
        .copied()
        .filter(|t| t.params().definition.is_some())
        .collect();
    for (i, kind) in with_params.iter().enumerate() {
        let comma = if i + 1 < with_params.len() { "," } else { "" };
        out.push(format!("        {}{comma}", rule(*kind)));
    }
    out.extend(lines[rules_end..params].iter().map(|l| l.to_string()));
    let mut written: Vec<&str> = Vec::new();
    for kind in BUILT_IN {
        let params = kind.params();
        for (name, text) in params.shared.iter().chain(params.definition.iter()) {
            if written.contains(name) {
                continue;
            }
            written.push(name);
            out.extend(definition(name, text));
        }
    }
    out.extend(lines[params_end..].iter().map(|l| l.to_string()));
    let mut text = out.join("\n");
    if file.ends_with('\n') {
        text.push('\n');
    }
    Ok(text)
}

/// `postgres, mysql, ... or volume`.
fn names() -> String {
    let names: Vec<&str> = BUILT_IN.iter().map(|t| t.name()).collect();
    match names.split_last() {
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The rule that checks a resource's params against its type's definition.
fn rule(kind: &dyn ResourceType) -> String {
    let params = kind.params();
    let name = params.definition.map_or("", |(name, _)| name);
    let required = if params.required {
        "\"required\": [\"params\"], "
    } else {
        ""
    };
    format!(
        "{{ \"if\": {{ \"properties\": {{ \"type\": {{ \"const\": \"{}\" }} }} }}, \"then\": {{ {required}\"properties\": {{ \"params\": {{ \"$ref\": \"#/$defs/{name}\" }} }} }} }}",
        kind.name()
    )
}

/// A definition's lines under `$defs`, its text indented to sit there.
fn definition(name: &str, text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, line)| match i {
            0 => format!("    \"{name}\": {line}"),
            _ => format!("    {line}"),
        })
        .collect();
    if let Some(last) = lines.last_mut() {
        last.push(',');
    }
    lines
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// The checked-in service schema holds what the types say; `UPDATE_SCHEMAS=1`
    /// rewrites it.
    #[test]
    fn the_service_schema_is_in_sync_with_the_types() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/service.schema.json");
        let file = std::fs::read_to_string(&path).unwrap();
        let expected = service_schema(&file).unwrap();
        if std::env::var_os("UPDATE_SCHEMAS").is_some() {
            std::fs::write(&path, &expected).unwrap();
            return;
        }
        assert!(
            file == expected,
            "schemas/service.schema.json is out of date: run `UPDATE_SCHEMAS=1 cargo test schema`"
        );
    }

    #[test]
    fn every_params_definition_is_json_with_a_description() {
        for kind in BUILT_IN {
            let params = kind.params();
            for (name, text) in params.shared.iter().chain(params.definition.iter()) {
                let value: serde_json::Value = serde_json::from_str(text)
                    .unwrap_or_else(|e| panic!("{}: {name}: {e}", kind.name()));
                assert!(value.is_object(), "{name}");
            }
            if let Some((name, text)) = params.definition {
                let value: serde_json::Value = serde_json::from_str(text).unwrap();
                assert!(value.get("description").is_some(), "{name}");
            }
        }
    }

    /// A type missing from the file is written in: its name, its rule and its params.
    #[test]
    fn a_type_missing_from_the_file_is_written_in() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/service.schema.json");
        let file = std::fs::read_to_string(path).unwrap();
        let start = file.find("    \"dnsParams\": {").unwrap();
        let end = start + file[start..].find("\n    },\n").unwrap() + "\n    },\n".len();
        let without: String = file[..start]
            .to_string()
            .replace(", dns, route", ", route")
            .lines()
            .filter(|l| !l.contains("\"const\": \"dns\""))
            .map(|l| format!("{l}\n"))
            .collect::<String>()
            + &file[end..];
        assert_ne!(without, file);
        assert_eq!(service_schema(&without).unwrap(), file);
        assert!(service_schema("{}").is_err());
    }
}
