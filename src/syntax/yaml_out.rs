//! Canonical YAML: how every generated YAML file is written.
//!
//! Block style, two-space indentation, keys in a fixed order (the Kubernetes envelope
//! first, then alphabetical), and a string written plain only when every YAML reader
//! (1.1 or 1.2, Go or Python) reads it back as the same string; otherwise it is
//! double-quoted with JSON escapes, which YAML reads verbatim. Values therefore can
//! never change the document's structure.

use serde_json::Value as Json;

/// Keys that come first, in this order, wherever they appear.
const FIRST: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "namespace",
    "spec",
];

/// One document.
pub fn to_string(value: &Json) -> String {
    let mut out = String::new();
    match value {
        Json::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Json::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        scalar => {
            out.push_str(&scalar_text(scalar));
            out.push('\n');
        }
    }
    out
}

/// Several documents in one file, separated by `---`.
pub fn documents(values: &[Json]) -> String {
    values
        .iter()
        .map(to_string)
        .collect::<Vec<_>>()
        .join("---\n")
}

fn ordered(map: &serde_json::Map<String, Json>) -> Vec<(&String, &Json)> {
    let mut entries: Vec<(&String, &Json)> = map.iter().collect();
    entries.sort_by(|(a, _), (b, _)| {
        let rank = |k: &str| FIRST.iter().position(|f| *f == k).unwrap_or(FIRST.len());
        rank(a).cmp(&rank(b)).then_with(|| a.cmp(b))
    });
    entries
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Json>, indent: usize) {
    for (key, value) in ordered(map) {
        push_indent(out, indent);
        write_key(out, key, indent);
        write_value_after_key(out, value, indent);
    }
}

/// Longest key written as an implicit key (`key: value`): YAML bounds those to 1024
/// characters, which readers enforce. Longer keys are written explicitly
/// (`? key` then `: value` on the next line).
const MAX_IMPLICIT_KEY: usize = 1000;

/// A key and its `:`, the line already indented to `indent`.
fn write_key(out: &mut String, key: &str, indent: usize) {
    let text = key_text(key);
    if text.chars().count() > MAX_IMPLICIT_KEY {
        out.push_str("? ");
        out.push_str(&text);
        out.push('\n');
        push_indent(out, indent);
    } else {
        out.push_str(&text);
    }
    out.push(':');
}

fn write_value_after_key(out: &mut String, value: &Json, indent: usize) {
    match value {
        Json::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, indent + 2);
        }
        Json::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, indent + 2);
        }
        scalar => {
            out.push(' ');
            out.push_str(&scalar_text(scalar));
            out.push('\n');
        }
    }
}

fn write_seq(out: &mut String, items: &[Json], indent: usize) {
    for item in items {
        push_indent(out, indent);
        out.push('-');
        match item {
            Json::Object(map) if !map.is_empty() => {
                // The first entry shares the dash's line; the rest align with it.
                let entries = ordered(map);
                for (i, (key, value)) in entries.into_iter().enumerate() {
                    if i == 0 {
                        out.push(' ');
                    } else {
                        push_indent(out, indent + 2);
                    }
                    write_key(out, key, indent + 2);
                    write_value_after_key(out, value, indent + 2);
                }
            }
            Json::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_seq(out, inner, indent + 2);
            }
            scalar => {
                out.push(' ');
                out.push_str(&scalar_text(scalar));
                out.push('\n');
            }
        }
    }
}

fn push_indent(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn key_text(key: &str) -> String {
    if is_plain_safe(key) {
        key.to_string()
    } else {
        quoted(key)
    }
}

fn scalar_text(value: &Json) -> String {
    match value {
        Json::Null => String::from("null"),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::String(s) if is_plain_safe(s) => s.clone(),
        Json::String(s) => quoted(s),
        Json::Object(_) => String::from("{}"),
        Json::Array(_) => String::from("[]"),
    }
}

/// A double-quoted YAML scalar: JSON's escapes are YAML's. Beyond what JSON escapes,
/// the characters YAML does not allow as they are (DEL, C1 controls, U+FFFE, U+FFFF)
/// and those YAML 1.1 readers take for line breaks (NEL, LS, PS) or drop (a byte-order
/// mark) are written as `\uXXXX`.
pub fn quoted(s: &str) -> String {
    let json = serde_json::to_string(s).expect("strings always serialize");
    if json.chars().all(verbatim) {
        return json;
    }
    let mut out = String::with_capacity(json.len() + 8);
    for c in json.chars() {
        if verbatim(c) {
            out.push(c);
        } else {
            // JSON's output holds no character below U+0020, and these are all in the
            // Basic Multilingual Plane: four hex digits suffice.
            out.push_str(&format!("\\u{:04X}", u32::from(c)));
        }
    }
    out
}

/// Whether every YAML reader takes `c` as itself inside a double-quoted scalar.
fn verbatim(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{7E}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}')
}

/// Whether `s` reads back as the same string when written without quotes, under both
/// YAML 1.1 and 1.2 resolution rules.
fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if !(first.is_alphanumeric() || first == '/' || first == '_' || first == '.') {
        return false;
    }
    // `...` at the start of a line ends the document, wherever the scalar sits.
    if s.starts_with("...")
        || s.ends_with(' ')
        || s.ends_with(':')
        || s.contains(": ")
        || s.contains(" #")
    {
        return false;
    }
    let allowed = |c: char| c.is_alphanumeric() || " _-./:@+=,()".contains(c);
    if !s.chars().all(allowed) {
        return false;
    }
    !looks_typed(s)
}

/// Strings some YAML reader would resolve to another type: booleans and nulls of YAML
/// 1.1 and 1.2, numbers in any base, infinities, and dates.
fn looks_typed(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~",
    ];
    let lower = s.to_ascii_lowercase();
    if WORDS.contains(&lower.as_str()) {
        return true;
    }
    let unsigned = lower.trim_start_matches(['+', '-']);
    if unsigned.starts_with('.') && matches!(&unsigned[1..], "inf" | "nan") {
        return true;
    }
    let first = unsigned.chars().next();
    if first.is_some_and(|c| c.is_ascii_digit() || c == '.') {
        // Anything number-like (1, 1.5, 1e3, 0x1f, 0o17, 1_000, 1:20 sexagesimal) or
        // date-like (2024-01-01) is quoted, rather than tracking every reader's grammar.
        let numeric = unsigned
            .chars()
            .all(|c| c.is_ascii_hexdigit() || "._:-+xXoObB".contains(c));
        if numeric {
            return true;
        }
        // YAML 1.1 timestamps also take a time after the date: `2001-12-14t21:59:43.10-05:00`,
        // `2001-12-14 21:59:43 -5`.
        let date = unsigned.as_bytes();
        if date.len() > 4 && date[..4].iter().all(u8::is_ascii_digit) && date[4] == b'-' {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kubernetes_envelope_first_then_alphabetical() {
        let doc = json!({
            "spec": {"replicas": 2, "containers": [{"image": "x:1", "name": "app", "ports": [{"containerPort": 8080}]}]},
            "metadata": {"namespace": "ns", "name": "app", "labels": {"app": "x"}},
            "kind": "Deployment",
            "apiVersion": "apps/v1",
        });
        assert_eq!(
            to_string(&doc),
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\n  namespace: ns\n  labels:\n    app: x\nspec:\n  containers:\n    - name: app\n      image: x:1\n      ports:\n        - containerPort: 8080\n  replicas: 2\n"
        );
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        for s in [
            "",
            "yes",
            "No",
            "on",
            "null",
            "~",
            "1",
            "1.5",
            "0x1f",
            "0o17",
            "1e3",
            "2024-01-01",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14 21:59:43 -5",
            "12:30",
            ".inf",
            "-1",
            " lead",
            "trail ",
            "a: b",
            "a #b",
            "-x",
            "*ref",
            "&a",
            "!tag",
            "{}",
            "[x]",
            "line\nbreak",
            "quote\"",
            "tab\t",
            "%x",
            "@x",
            "`x",
            "|",
            ">",
            "key:",
            "...",
            "... _-k",
        ] {
            let text = scalar_text(&Json::String(s.into()));
            assert!(text.starts_with('"'), "{s:?} written as {text}");
        }
        for s in [
            "app",
            "ghcr.io/acme/app:1.2.3",
            "http://x.example/a",
            "Hello world",
            "a-b_c.d",
            "/healthz",
            "v1",
            "a...",
        ] {
            assert_eq!(scalar_text(&Json::String(s.into())), s);
        }
    }

    #[test]
    fn injection_stays_a_string() {
        let hostile = "x\nkind: Secret\n\": {}\n${a} %{b}";
        let text = to_string(&json!({"value": hostile}));
        let file = crate::syntax::source::SourceFile::new("t.yaml", text);
        let loaded = crate::syntax::yaml::load(&file, crate::syntax::yaml::Limits::default());
        assert!(loaded.problems.is_empty());
        assert_eq!(loaded.documents[0].to_json(), json!({"value": hostile}));
    }

    #[test]
    fn long_keys_are_explicit() {
        let key = "k".repeat(1100);
        let doc = json!({ key.as_str(): 1, "list": [{ key.as_str(): { "a": 1 } }] });
        let text = to_string(&doc);
        assert!(text.starts_with(&format!("? {key}\n: 1\n")), "{text}");
        let file = crate::syntax::source::SourceFile::new("t.yaml", text);
        let loaded = crate::syntax::yaml::load(&file, crate::syntax::yaml::Limits::default());
        assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
        assert_eq!(loaded.documents[0].to_json(), doc);
    }

    #[test]
    fn characters_yaml_readers_disagree_on_are_escaped() {
        assert_eq!(
            quoted("a\u{7f}\u{85}\u{2028}\u{2029}\u{feff}\u{fffe}é🙂"),
            r#""a\u007F\u0085\u2028\u2029\uFEFF\uFFFEé🙂""#
        );
    }

    proptest::proptest! {
        /// Any string, written as a value or a key, reads back as itself.
        #[test]
        fn any_string_reads_back(s in proptest::prelude::any::<String>()) {
            let value = json!({ s.as_str(): [s.as_str()] });
            let file = crate::syntax::source::SourceFile::new("t.yaml", to_string(&value));
            let loaded = crate::syntax::yaml::load(&file, crate::syntax::yaml::Limits::default());
            proptest::prop_assert!(loaded.problems.is_empty(), "{:?}", loaded.problems);
            proptest::prop_assert_eq!(loaded.documents[0].to_json(), value);
            proptest::prop_assert!(quoted(&s).chars().all(verbatim));
        }
    }

    #[test]
    fn empty_collections_and_nested_sequences() {
        let doc = json!({"a": {}, "b": [], "c": [[1, 2], {"x": null}]});
        assert_eq!(
            to_string(&doc),
            "a: {}\nb: []\nc:\n  -\n    - 1\n    - 2\n  - x: null\n"
        );
    }
}
