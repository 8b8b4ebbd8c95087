//! Placeholder substitution exactly as the Score specification defines it (and as its
//! reference implementation, score-go's `framework` package, performs it).
//!
//! - `${ref}` is replaced by what `ref` resolves to; the reference ends at the first `}`.
//! - `$$` is a literal `$`, and `$${...}` is the literal text `${...}`.
//! - A `$` followed by anything else, or a `${` never closed, is literal text.
//! - A reference is split on `.`; `\.` is a dot inside one part.
//! - `metadata.<key>...` walks the workload's metadata; `resources.<name>...` asks the
//!   resource's outputs; any other root, a missing key or a missing resource fails.
//! - A value that is not a string is written as compact JSON.

use std::ops::Range;

use serde_json::Value as Json;

/// A piece of a value: literal text (already unescaped) or a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Token<'a> {
    Text(String),
    Ref {
        /// What stands between `${` and `}`.
        body: &'a str,
        /// Byte range of the whole `${...}` in the value.
        range: Range<usize>,
    },
}

/// Split a value into literal text and references.
pub(crate) fn tokens(value: &str) -> Vec<Token<'_>> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = 0;
    while let Some(found) = value[rest..].find('$') {
        let start = rest + found;
        text.push_str(&value[rest..start]);
        let after = &value[start + 1..];
        // `$${...}`: the escaped form of a placeholder, kept as `${...}`.
        if let Some(body) = after.strip_prefix("${")
            && let Some(close) = body.find('}')
        {
            text.push_str(&after[..2 + close + 1]);
            rest = start + 1 + 2 + close + 1;
        } else if let Some(body) = after.strip_prefix('{')
            && let Some(close) = body.find('}')
        {
            if !text.is_empty() {
                out.push(Token::Text(std::mem::take(&mut text)));
            }
            let end = start + 2 + close + 1;
            out.push(Token::Ref {
                body: &body[..close],
                range: start..end,
            });
            rest = end;
        } else if after.starts_with('$') {
            text.push('$');
            rest = start + 2;
        } else {
            text.push('$');
            rest = start + 1;
        }
    }
    text.push_str(&value[rest..]);
    if !text.is_empty() {
        out.push(Token::Text(text));
    }
    out
}

/// The parts of a reference: split on `.`, with `\.` a dot inside a part.
fn split_ref(reference: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = reference.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                chars.next();
                parts.last_mut().expect("never empty").push('.');
            }
            '.' => parts.push(String::new()),
            c => parts.last_mut().expect("never empty").push(c),
        }
    }
    parts
}

/// A substitution that failed: where, and why (in the words of the Score tooling).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Error {
    pub(crate) range: Range<usize>,
    pub(crate) message: String,
}

/// Replace every placeholder of `value` with what `resolve` makes of its reference;
/// the first failure is returned.
pub(crate) fn substitute(
    value: &str,
    mut resolve: impl FnMut(&str) -> Result<String, String>,
) -> Result<String, Error> {
    let mut out = String::new();
    for token in tokens(value) {
        match token {
            Token::Text(text) => out.push_str(&text),
            Token::Ref { body, range } => {
                out.push_str(&resolve(body).map_err(|message| Error { range, message })?)
            }
        }
    }
    Ok(out)
}

/// Walk `keys` down from `value`, as Score looks up metadata and outputs.
fn lookup<'a>(value: &'a Json, keys: &[String]) -> Result<&'a Json, String> {
    let mut current = value;
    for key in keys {
        let Json::Object(map) = current else {
            return Err(format!("cannot lookup key '{key}', context is not a map"));
        };
        current = map
            .get(key)
            .ok_or_else(|| format!("key '{key}' not found"))?;
    }
    Ok(current)
}

/// A resolved value as placeholder text: strings as they are, the rest as JSON.
pub(crate) fn text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// What a reference resolves to, before it is written as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target<'a> {
    /// A value of the workload's metadata.
    Metadata(&'a Json),
    /// A resource's output: the resource's name and the keys after it (none for the
    /// resource itself).
    Resource { name: String, keys: Vec<String> },
}

/// Resolve a reference against the workload's `metadata` and the names of its
/// `resources`; outputs are left to the caller, which knows them.
pub(crate) fn target<'a>(
    reference: &str,
    metadata: &'a Json,
    has_resource: impl Fn(&str) -> bool,
) -> Result<Target<'a>, String> {
    let parts = split_ref(reference);
    match parts[0].as_str() {
        "metadata" => {
            if parts.len() < 2 {
                return Err(format!(
                    "invalid ref '{reference}': requires at least a metadata key to lookup"
                ));
            }
            lookup(metadata, &parts[1..])
                .map(Target::Metadata)
                .map_err(|e| format!("invalid ref '{reference}': {e}"))
        }
        "resources" => {
            let Some(name) = parts.get(1) else {
                return Err(format!(
                    "invalid ref '{reference}': requires at least a resource name to lookup"
                ));
            };
            if !has_resource(name) {
                return Err(format!(
                    "invalid ref '{reference}': no known resource '{name}'"
                ));
            }
            Ok(Target::Resource {
                name: name.clone(),
                keys: parts[2..].to_vec(),
            })
        }
        _ => Err(format!(
            "invalid ref '{reference}': unknown reference root, use $$ to escape the substitution"
        )),
    }
}

#[cfg(test)]
mod tests {
    //! The cases of the Score reference implementation's substitution tests
    //! (score-go `framework/substitution_test.go`), with the same fixture: metadata
    //! `{name: test-name, other: {key: value}, annotations: {key.com/foo-bar: thing}}`
    //! and three resources whose outputs answer as that test's lookup functions do.

    use super::*;
    use serde_json::json;

    fn metadata() -> Json {
        json!({
            "name": "test-name",
            "other": {"key": "value"},
            "annotations": {"key.com/foo-bar": "thing"},
        })
    }

    /// The outputs of the test's resources `env`, `db` and `static`.
    fn output(name: &str, keys: &[String]) -> Result<Json, String> {
        match (name, keys) {
            ("env", []) => Ok(json!("env")),
            ("env", [key]) => Ok(json!(format!("${{{key}}}"))),
            ("env", _) => Err(String::from("fail")),
            ("db", []) => Ok(json!("db")),
            ("db", keys) => Ok(json!(format!(
                "${{DB_{}?required}}",
                keys.join("_").to_uppercase()
            ))),
            ("static", []) => Ok(json!("static")),
            ("static", keys) => lookup(&json!({"x": "a"}), keys).cloned(),
            _ => unreachable!("only declared resources are asked"),
        }
    }

    fn resolve(reference: &str) -> Result<String, String> {
        let metadata = metadata();
        let has = |name: &str| ["env", "db", "static"].contains(&name);
        match target(reference, &metadata, has)? {
            Target::Metadata(value) => Ok(text(value)),
            Target::Resource { name, keys } => output(&name, &keys)
                .map(|value| text(&value))
                .map_err(|e| format!("invalid ref '{reference}': {e}")),
        }
    }

    #[test]
    fn references_resolve_as_the_spec_says() {
        let cases: &[(&str, Result<&str, &str>)] = &[
            (
                "missing",
                Err(
                    "invalid ref 'missing': unknown reference root, use $$ to escape the substitution",
                ),
            ),
            ("metadata.name", Ok("test-name")),
            (
                "metadata",
                Err("invalid ref 'metadata': requires at least a metadata key to lookup"),
            ),
            ("metadata.other", Ok(r#"{"key":"value"}"#)),
            ("metadata.other.key", Ok("value")),
            (
                "metadata.missing",
                Err("invalid ref 'metadata.missing': key 'missing' not found"),
            ),
            (
                "metadata.name.foo",
                Err(
                    "invalid ref 'metadata.name.foo': cannot lookup key 'foo', context is not a map",
                ),
            ),
            (r"metadata.annotations.key\.com/foo-bar", Ok("thing")),
            ("resources.env", Ok("env")),
            ("resources.env.DEBUG", Ok("${DEBUG}")),
            (
                "resources.missing",
                Err("invalid ref 'resources.missing': no known resource 'missing'"),
            ),
            ("resources.db", Ok("db")),
            ("resources.db.host", Ok("${DB_HOST?required}")),
            ("resources.db.port", Ok("${DB_PORT?required}")),
            ("resources.db.name", Ok("${DB_NAME?required}")),
            ("resources.db.name.user", Ok("${DB_NAME_USER?required}")),
            ("resources.static", Ok("static")),
            ("resources.static.x", Ok("a")),
            (
                "resources.static.y",
                Err("invalid ref 'resources.static.y': key 'y' not found"),
            ),
        ];
        for (reference, expected) in cases {
            let got = resolve(reference);
            assert_eq!(
                got.as_deref(),
                expected.map_err(str::to_string).as_deref(),
                "{reference}"
            );
        }
    }

    #[test]
    fn strings_substitute_as_the_spec_says() {
        let unknown_abc =
            "invalid ref 'abc': unknown reference root, use $$ to escape the substitution";
        let cases: &[(&str, Result<&str, &str>)] = &[
            ("", Ok("")),
            ("abc", Ok("abc")),
            ("$abc", Ok("$abc")),
            ("abc $$ abc", Ok("abc $ abc")),
            ("$${abc}", Ok("${abc}")),
            ("$$${abc}", Err(unknown_abc)),
            ("$$$${abc}", Ok("$${abc}")),
            ("$$$$${abc}", Err(unknown_abc)),
            ("$${abc .4t3298y *(^&(*}", Ok("${abc .4t3298y *(^&(*}")),
            ("my name is ${metadata.name}", Ok("my name is test-name")),
            (
                r"my name is ${metadata.thing\.two}",
                Err(r"invalid ref 'metadata.thing\.two': key 'thing.two' not found"),
            ),
            (
                "my name is ${}",
                Err("invalid ref '': unknown reference root, use $$ to escape the substitution"),
            ),
            (
                "postgresql://${resources.db.user}:${resources.db.password}@${resources.db.host}:${resources.db.port}/${resources.db.name}",
                Ok(
                    "postgresql://${DB_USER?required}:${DB_PASSWORD?required}@${DB_HOST?required}:${DB_PORT?required}/${DB_NAME?required}",
                ),
            ),
        ];
        for (input, expected) in cases {
            let got = substitute(input, resolve).map_err(|e| e.message);
            assert_eq!(
                got.as_deref(),
                expected.map_err(str::to_string).as_deref(),
                "{input}"
            );
        }
    }

    #[test]
    fn errors_point_at_the_placeholder() {
        let error = substitute("a $$ ${metadata.nope} b", resolve).unwrap_err();
        assert_eq!(error.range, 5..21);
    }

    #[test]
    fn unclosed_placeholders_are_text() {
        assert_eq!(
            tokens("x ${metadata.name"),
            vec![Token::Text("x ${metadata.name".into())]
        );
        assert_eq!(
            tokens("$$${a}"),
            vec![
                Token::Text("$".into()),
                Token::Ref {
                    body: "a",
                    range: 2..6
                }
            ]
        );
    }

    #[test]
    fn backslashes_other_than_before_a_dot_stay() {
        assert_eq!(split_ref(r"a\.b.c\d"), vec!["a.b", r"c\d"]);
        assert_eq!(split_ref(""), vec![""]);
    }
}
