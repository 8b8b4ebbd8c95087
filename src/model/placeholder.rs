//! `${...}` placeholders in intent values, as Score defines them: `${metadata.name}`,
//! `${resources.db.host}`; `$$` is a literal `$`; `\.` is a dot inside one path segment.

use std::ops::Range;

use serde_json::Value as Json;

use crate::diag::origin::escape_pointer;

/// A piece of a value: literal text or a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Ref {
        path: Vec<String>,
        /// Byte range of the whole `${...}` in the value.
        range: Range<usize>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub range: Range<usize>,
    pub message: String,
}

/// Split a value into text and references.
pub fn parse(value: &str) -> Result<Vec<Part>, ParseError> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut rest = value;
    let mut offset = 0;
    while let Some(dollar) = rest.find('$') {
        text.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        let start = offset + dollar;
        if let Some(tail) = after.strip_prefix('$') {
            text.push('$');
            offset = start + 2;
            rest = tail;
        } else if let Some(body) = after.strip_prefix('{') {
            let Some(close) = body.find('}') else {
                return Err(ParseError {
                    range: start..value.len(),
                    message: String::from("`${` is not closed by `}`"),
                });
            };
            let end = start + 2 + close + 1;
            let path = split_path(&body[..close]).map_err(|message| ParseError {
                range: start..end,
                message,
            })?;
            if !text.is_empty() {
                parts.push(Part::Text(std::mem::take(&mut text)));
            }
            parts.push(Part::Ref {
                path,
                range: start..end,
            });
            offset = end;
            rest = &body[close + 1..];
        } else {
            text.push('$');
            offset = start + 1;
            rest = after;
        }
    }
    text.push_str(rest);
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    Ok(parts)
}

fn split_path(body: &str) -> Result<Vec<String>, String> {
    let mut segments = vec![String::new()];
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('.') => segments.last_mut().expect("never empty").push('.'),
                Some(other) => {
                    let last = segments.last_mut().expect("never empty");
                    last.push('\\');
                    last.push(other);
                }
                None => segments.last_mut().expect("never empty").push('\\'),
            },
            '.' => segments.push(String::new()),
            c => segments.last_mut().expect("never empty").push(c),
        }
    }
    if segments.iter().any(String::is_empty) {
        return Err(if body.is_empty() {
            String::from("empty placeholder `${}`")
        } else {
            format!("placeholder `${{{body}}}` has an empty path segment")
        });
    }
    Ok(segments)
}

/// Whether a value holds any placeholder, cheaply.
pub fn has_placeholder(value: &str) -> bool {
    value.contains("${")
}

/// Whether any string in a JSON value has a `$`: most values have none, and are then
/// walked no further.
pub fn json_has_dollar(value: &Json) -> bool {
    match value {
        Json::String(s) => s.contains('$'),
        Json::Array(items) => items.iter().any(json_has_dollar),
        Json::Object(map) => map.values().any(json_has_dollar),
        _ => false,
    }
}

/// Every string in a JSON value, with its JSON pointer (`prefix` followed by the path
/// below `value`), in document order.
pub fn json_strings<'j>(value: &'j Json, prefix: &str, out: &mut Vec<(String, &'j str)>) {
    match value {
        Json::String(s) => out.push((prefix.to_string(), s)),
        Json::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                json_strings(item, &format!("{prefix}/{i}"), out);
            }
        }
        Json::Object(map) => {
            for (key, item) in map {
                json_strings(item, &format!("{prefix}/{}", escape_pointer(key)), out);
            }
        }
        _ => {}
    }
}

/// A JSON value with the placeholders of its strings replaced by what `resolve` gives,
/// `$$` unescaped. A reference `resolve` does not know, or a malformed string, stays as
/// written: checks have reported it.
pub fn substitute_json(value: &Json, resolve: &mut dyn FnMut(&[String]) -> Option<String>) -> Json {
    if json_has_dollar(value) {
        substitute_strings(value, resolve)
    } else {
        value.clone()
    }
}

fn substitute_strings(value: &Json, resolve: &mut dyn FnMut(&[String]) -> Option<String>) -> Json {
    match value {
        Json::String(s) if s.contains('$') => {
            let Ok(parts) = parse(s) else {
                return value.clone();
            };
            let mut out = String::new();
            for part in parts {
                match part {
                    Part::Text(text) => out.push_str(&text),
                    Part::Ref { path, range } => match resolve(&path) {
                        Some(resolved) => out.push_str(&resolved),
                        None => out.push_str(&s[range]),
                    },
                }
            }
            Json::String(out)
        }
        Json::Array(items) => Json::Array(
            items
                .iter()
                .map(|i| substitute_strings(i, resolve))
                .collect(),
        ),
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), substitute_strings(v, resolve)))
                .collect(),
        ),
        _ => value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(value: &str) -> Vec<Vec<String>> {
        parse(value)
            .unwrap()
            .into_iter()
            .filter_map(|p| match p {
                Part::Ref { path, .. } => Some(path),
                Part::Text(_) => None,
            })
            .collect()
    }

    #[test]
    fn text_and_references() {
        let parts = parse("postgres://${resources.db.host}:${resources.db.port}/x").unwrap();
        assert_eq!(parts.len(), 5);
        assert_eq!(parts[0], Part::Text("postgres://".into()));
        assert_eq!(
            parts[1],
            Part::Ref {
                path: vec!["resources".into(), "db".into(), "host".into()],
                range: 11..31
            }
        );
    }

    #[test]
    fn escapes() {
        assert_eq!(
            parse("$${metadata.name}").unwrap(),
            vec![Part::Text("${metadata.name}".into())]
        );
        assert_eq!(parse("a$b$").unwrap(), vec![Part::Text("a$b$".into())]);
        assert_eq!(
            refs(r"${metadata.annotations.example\.com/x}"),
            vec![vec![
                "metadata".to_string(),
                "annotations".into(),
                "example.com/x".into()
            ]]
        );
    }

    #[test]
    fn errors() {
        assert_eq!(parse("x ${metadata.name").unwrap_err().range, 2..17);
        assert!(parse("${}").is_err());
        assert!(parse("${a..b}").is_err());
        assert!(parse("${a.}").is_err());
    }

    #[test]
    fn json_values_are_walked_and_substituted() {
        let value = serde_json::json!({
            "host": "${resources.dns.host}",
            "a/b": ["$$x", 1, {"k": "${resources.x.y}"}],
            "broken": "${unclosed",
        });
        let mut strings = Vec::new();
        json_strings(&value, "/params", &mut strings);
        let pointers: Vec<&str> = strings.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/params/a~1b/0",
                "/params/a~1b/2/k",
                "/params/broken",
                "/params/host"
            ]
        );
        let substituted = substitute_json(&value, &mut |path| {
            (path == ["resources", "dns", "host"]).then(|| String::from("web.example.com"))
        });
        assert_eq!(
            substituted,
            serde_json::json!({
                "host": "web.example.com",
                "a/b": ["$x", 1, {"k": "${resources.x.y}"}],
                "broken": "${unclosed",
            })
        );
    }
}
