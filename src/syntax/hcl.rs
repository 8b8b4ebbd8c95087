//! Terraform (HCL) built as a tree and written in `terraform fmt`'s canonical layout.
//!
//! Values from intents only ever enter as [`Expr::Str`], which is escaped: quotes,
//! backslashes and control characters, and the template sequences `${` and `%{`
//! (written `$${` and `%%{`), so a value can never become an expression. Raw
//! expressions ([`Expr::Raw`]) are paved's own references and function calls.
//!
//! Layout rules, as `terraform fmt` applies them: two spaces per level; the `=` of
//! consecutive single-line attributes of one body line up; a multi-line attribute, a
//! block, a comment or a blank line ends such a run.

use std::fmt::Write as _;

/// An expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A string literal; any text is safe here.
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    /// A reference or expression written by paved itself, e.g. `aws_kms_key.this.arn`.
    Raw(String),
    List(Vec<Expr>),
    /// An object constructor; keys that are not identifiers are quoted.
    Object(Vec<(String, Expr)>),
    /// A function call, e.g. `jsonencode({...})`.
    Call(String, Vec<Expr>),
}

impl Expr {
    pub fn str(s: impl Into<String>) -> Self {
        Expr::Str(s.into())
    }

    pub fn raw(s: impl Into<String>) -> Self {
        Expr::Raw(s.into())
    }

    pub fn strs<S: Into<String>>(items: impl IntoIterator<Item = S>) -> Self {
        Expr::List(items.into_iter().map(|s| Expr::Str(s.into())).collect())
    }

    pub fn object<K: Into<String>>(entries: impl IntoIterator<Item = (K, Expr)>) -> Self {
        Expr::Object(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    pub fn call(name: &str, args: Vec<Expr>) -> Self {
        Expr::Call(name.to_string(), args)
    }

    /// A JSON value as an HCL expression (for `jsonencode(...)` policies and the like).
    pub fn from_json(value: &serde_json::Value) -> Self {
        use serde_json::Value as J;
        match value {
            J::Null => Expr::Null,
            J::Bool(b) => Expr::Bool(*b),
            J::Number(n) => n
                .as_i64()
                .map(Expr::Int)
                .unwrap_or_else(|| Expr::Float(n.as_f64().unwrap_or_default())),
            J::String(s) => Expr::Str(s.clone()),
            J::Array(items) => Expr::List(items.iter().map(Expr::from_json).collect()),
            J::Object(map) => Expr::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), Expr::from_json(v)))
                    .collect(),
            ),
        }
    }

    fn is_multiline(&self) -> bool {
        match self {
            Expr::Object(entries) => !entries.is_empty(),
            Expr::List(items) => items.iter().any(|i| !i.is_simple()) || items.len() > 4,
            Expr::Call(_, args) => args.iter().any(Expr::is_multiline),
            _ => false,
        }
    }

    fn is_simple(&self) -> bool {
        matches!(
            self,
            Expr::Str(_)
                | Expr::Int(_)
                | Expr::Float(_)
                | Expr::Bool(_)
                | Expr::Null
                | Expr::Raw(_)
        )
    }
}

/// One line of a body.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Attr(String, Expr),
    Block(Block),
    /// A `#` comment line, e.g. a `checkov:skip` with its reason.
    Comment(String),
    Blank,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Body {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub kind: String,
    pub labels: Vec<String>,
    pub body: Body,
}

impl Body {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn attr(mut self, key: &str, value: Expr) -> Self {
        self.items.push(Item::Attr(key.to_string(), value));
        self
    }

    /// An attribute only when there is a value.
    pub fn attr_opt(self, key: &str, value: Option<Expr>) -> Self {
        match value {
            Some(value) => self.attr(key, value),
            None => self,
        }
    }

    pub fn block(mut self, block: Block) -> Self {
        self.items.push(Item::Block(block));
        self
    }

    pub fn comment(mut self, text: impl Into<String>) -> Self {
        self.items.push(Item::Comment(text.into()));
        self
    }

    pub fn blank(mut self) -> Self {
        self.items.push(Item::Blank);
        self
    }

    pub fn push(&mut self, item: Item) {
        self.items.push(item);
    }

    /// This body followed by the items of `other`.
    pub fn extend(mut self, other: Body) -> Self {
        self.items.extend(other.items);
        self
    }
}

impl Block {
    /// The block as JSON for policies: `{type, name, values}`, attribute values as
    /// JSON (expressions as their text), nested blocks as lists under their name.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "type": self.labels.first(),
            "name": self.labels.get(1),
            "block": self.kind,
            "values": body_json(&self.body),
        })
    }

    pub fn new(kind: &str, labels: &[&str], body: Body) -> Self {
        Self {
            kind: kind.to_string(),
            labels: labels.iter().map(|l| l.to_string()).collect(),
            body,
        }
    }
}

fn body_json(body: &Body) -> serde_json::Value {
    let mut map = serde_json::Map::new();
    for item in &body.items {
        match item {
            Item::Attr(key, value) => {
                map.insert(key.clone(), expr_json(value));
            }
            Item::Block(block) => {
                let entry = map
                    .entry(block.kind.clone())
                    .or_insert_with(|| serde_json::Value::Array(Vec::new()));
                if let serde_json::Value::Array(items) = entry {
                    items.push(body_json(&block.body));
                }
            }
            Item::Comment(_) | Item::Blank => {}
        }
    }
    serde_json::Value::Object(map)
}

fn expr_json(value: &Expr) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        Expr::Str(s) => J::String(s.clone()),
        Expr::Int(n) => J::from(*n),
        Expr::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
        Expr::Bool(b) => J::Bool(*b),
        Expr::Null => J::Null,
        Expr::List(items) => J::Array(items.iter().map(expr_json).collect()),
        Expr::Object(entries) => J::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), expr_json(v)))
                .collect(),
        ),
        other => J::String(format!("${{{}}}", expression(other))),
    }
}

/// A file: top-level blocks separated by blank lines.
pub fn file(blocks: &[Block]) -> String {
    let mut out = String::new();
    for (i, block) in blocks.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        write_block(&mut out, block, 0);
    }
    out
}

fn write_block(out: &mut String, block: &Block, indent: usize) {
    push_indent(out, indent);
    out.push_str(&block.kind);
    for label in &block.labels {
        out.push(' ');
        out.push_str(&string_literal(label));
    }
    if block.body.items.is_empty() {
        out.push_str(" {\n");
        push_indent(out, indent);
        out.push_str("}\n");
        return;
    }
    out.push_str(" {\n");
    write_body(out, &block.body.items, indent + 2, Keys::Attributes);
    push_indent(out, indent);
    out.push_str("}\n");
}

/// Where a body's keys are: the attributes of a block, or an object constructor's keys.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Keys {
    Attributes,
    Object,
}

fn write_body(out: &mut String, items: &[Item], indent: usize, keys: Keys) {
    let mut i = 0;
    while i < items.len() {
        match &items[i] {
            Item::Attr(_, value) if !value.is_multiline() => {
                // A run of single-line attributes shares one `=` column.
                let end = items[i..]
                    .iter()
                    .position(|item| !matches!(item, Item::Attr(_, v) if !v.is_multiline()))
                    .map_or(items.len(), |n| i + n);
                let width = items[i..end]
                    .iter()
                    .map(|item| match item {
                        Item::Attr(key, _) => key_text(key, keys).chars().count(),
                        _ => 0,
                    })
                    .max()
                    .unwrap_or(0);
                for item in &items[i..end] {
                    if let Item::Attr(key, value) = item {
                        push_indent(out, indent);
                        let key = key_text(key, keys);
                        let pad = width - key.chars().count();
                        let _ = writeln!(out, "{key}{} = {}", " ".repeat(pad), expr(value, indent));
                    }
                }
                i = end;
            }
            Item::Attr(key, value) => {
                push_indent(out, indent);
                let _ = writeln!(out, "{} = {}", key_text(key, keys), expr(value, indent));
                i += 1;
            }
            Item::Block(block) => {
                write_block(out, block, indent);
                i += 1;
            }
            Item::Comment(text) => {
                push_indent(out, indent);
                let text = text.replace(['\n', '\r'], " ");
                let _ = writeln!(out, "#{text}");
                i += 1;
            }
            Item::Blank => {
                out.push('\n');
                i += 1;
            }
        }
    }
}

/// An expression on its own, as it would follow `key = ` at the top level.
pub fn expression(value: &Expr) -> String {
    expr(value, 0)
}

/// An expression's text; multi-line expressions continue at `indent`.
fn expr(value: &Expr, indent: usize) -> String {
    match value {
        Expr::Str(s) => string_literal(s),
        Expr::Int(n) => n.to_string(),
        Expr::Float(f) => {
            let text = f.to_string();
            if text.contains(['.', 'e', 'E']) || !f.is_finite() {
                text
            } else {
                format!("{text}.0")
            }
        }
        Expr::Bool(b) => b.to_string(),
        Expr::Null => String::from("null"),
        Expr::Raw(text) => text.clone(),
        Expr::List(items) if items.is_empty() => String::from("[]"),
        Expr::List(items) if !value.is_multiline() => {
            let inner: Vec<String> = items.iter().map(|i| expr(i, indent)).collect();
            format!("[{}]", inner.join(", "))
        }
        Expr::List(items) => {
            let mut out = String::from("[\n");
            for item in items {
                push_indent(&mut out, indent + 2);
                out.push_str(&expr(item, indent + 2));
                out.push_str(",\n");
            }
            push_indent(&mut out, indent);
            out.push(']');
            out
        }
        Expr::Object(entries) if entries.is_empty() => String::from("{}"),
        Expr::Object(entries) => {
            let items: Vec<Item> = entries
                .iter()
                .map(|(k, v)| Item::Attr(k.clone(), v.clone()))
                .collect();
            let mut out = String::from("{\n");
            write_body(&mut out, &items, indent + 2, Keys::Object);
            push_indent(&mut out, indent);
            out.push('}');
            out
        }
        Expr::Call(name, args) => {
            let inner: Vec<String> = args.iter().map(|a| expr(a, indent)).collect();
            format!("{name}({})", inner.join(", "))
        }
    }
}

fn push_indent(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

/// An attribute or object key: bare when it is an identifier, else a string. In an
/// object, the words HCL reads as something else there are quoted too: `for` would
/// start a `for` expression, and `null`, `true` and `false` are values, not names.
fn key_text(key: &str, keys: Keys) -> String {
    let mut chars = key.chars();
    let identifier = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let keyword = keys == Keys::Object && matches!(key, "for" | "null" | "true" | "false");
    if identifier && !keyword {
        key.to_string()
    } else {
        string_literal(key)
    }
}

/// A quoted HCL string whose content is exactly `s`: nothing in it is interpolated.
pub fn string_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Parse Terraform text (a platform template's output) into blocks, so that it is
/// written in the canonical layout like the rest. Comments are not kept.
pub fn from_hcl(text: &str) -> Result<Vec<Block>, ParseError> {
    let body = ::hcl::parse(text).map_err(|e| match e {
        // The parser's own text quotes the line, which holds rendered values: the
        // position and the reason are enough.
        ::hcl::Error::Parse(e) => ParseError {
            message: e.message().to_string(),
            position: Some((e.location().line(), e.location().column())),
        },
        other => ParseError {
            message: other.to_string(),
            position: None,
        },
    })?;
    body.into_inner()
        .into_iter()
        .map(|structure| match structure {
            ::hcl::Structure::Block(block) => Ok(convert_block(block)),
            ::hcl::Structure::Attribute(attribute) => Err(ParseError {
                message: format!("attribute `{}` outside a block", attribute.key.as_str()),
                position: None,
            }),
        })
        .collect()
}

/// Why a text is not the HCL paved reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    /// The 1-based line and column (in characters) where the parser stopped.
    pub position: Option<(usize, usize)>,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.position {
            Some((line, column)) => write!(f, "line {line}, column {column}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

fn convert_block(block: ::hcl::Block) -> Block {
    Block {
        kind: block.identifier.to_string(),
        labels: block
            .labels
            .into_iter()
            .map(|label| match label {
                ::hcl::BlockLabel::String(s) => s,
                ::hcl::BlockLabel::Identifier(i) => i.to_string(),
            })
            .collect(),
        body: Body {
            items: block
                .body
                .into_inner()
                .into_iter()
                .map(|structure| match structure {
                    ::hcl::Structure::Attribute(a) => {
                        Item::Attr(a.key.to_string(), convert_expression(a.expr))
                    }
                    ::hcl::Structure::Block(b) => Item::Block(convert_block(b)),
                })
                .collect(),
        },
    }
}

fn convert_expression(expression: ::hcl::Expression) -> Expr {
    use ::hcl::Expression as E;
    match expression {
        E::Null => Expr::Null,
        E::Bool(b) => Expr::Bool(b),
        E::Number(n) => n
            .as_i64()
            .map(Expr::Int)
            .unwrap_or_else(|| Expr::Float(n.as_f64().unwrap_or_default())),
        E::String(s) => Expr::Str(s),
        E::Array(items) => Expr::List(items.into_iter().map(convert_expression).collect()),
        E::Object(entries) => Expr::Object(
            entries
                .into_iter()
                .map(|(key, value)| {
                    let key = match key {
                        ::hcl::ObjectKey::Identifier(i) => i.to_string(),
                        ::hcl::ObjectKey::Expression(E::String(s)) => s,
                        other => ::hcl::format::to_string(&other).unwrap_or_default(),
                    };
                    (key, convert_expression(value))
                })
                .collect(),
        ),
        E::FuncCall(call) if !call.expand_final && call.name.namespace.is_empty() => Expr::Call(
            call.name.name.to_string(),
            call.args.into_iter().map(convert_expression).collect(),
        ),
        other => Expr::Raw(::hcl::format::to_string(&other).unwrap_or_default()),
    }
}

/// A name usable as a Terraform resource label: letters, digits, `_` and `-`,
/// starting with a letter or `_`.
pub fn label(name: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, '_');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_terraform_fmt() {
        // Checked against `terraform fmt` 1.0: runs of single-line attributes align;
        // multi-line values, blocks and blank lines break the run.
        let body = Body::new()
            .attr("ami", Expr::str("x"))
            .attr(
                "tags",
                Expr::object([("Name", Expr::str("y")), ("LongerName", Expr::str("z"))]),
            )
            .attr("instance_type", Expr::str("t3"))
            .blank()
            .attr("a", Expr::Int(1))
            .attr("bb", Expr::strs(["x", "y"]))
            .attr("ccc", Expr::Int(3))
            .block(Block::new(
                "nested",
                &[],
                Body::new()
                    .attr("x", Expr::Int(1))
                    .attr("yyy", Expr::Int(2)),
            ))
            .attr("zz", Expr::Int(1))
            .attr(
                "policy",
                Expr::call(
                    "jsonencode",
                    vec![Expr::object([
                        ("Version", Expr::str("2012")),
                        (
                            "Statement",
                            Expr::List(vec![Expr::object([("Effect", Expr::str("Allow"))])]),
                        ),
                    ])],
                ),
            )
            .attr("q", Expr::Int(2));
        let text = file(&[Block::new("resource", &["aws_instance", "a"], body)]);
        assert_eq!(
            text,
            r#"resource "aws_instance" "a" {
  ami = "x"
  tags = {
    Name       = "y"
    LongerName = "z"
  }
  instance_type = "t3"

  a   = 1
  bb  = ["x", "y"]
  ccc = 3
  nested {
    x   = 1
    yyy = 2
  }
  zz = 1
  policy = jsonencode({
    Version = "2012"
    Statement = [
      {
        Effect = "Allow"
      },
    ]
  })
  q = 2
}
"#
        );
    }

    #[test]
    fn strings_cannot_become_expressions() {
        assert_eq!(
            string_literal("a\"b\\c\n${x} %{if} $5 %d"),
            r#""a\"b\\c\n$${x} %%{if} $5 %d""#
        );
        assert_eq!(string_literal("\u{1b}"), r#""\u001B""#);
    }

    #[test]
    fn object_keys_that_hcl_reads_as_keywords_are_quoted() {
        let object =
            Expr::object(["for", "null", "true", "false", "in"].map(|k| (k, Expr::str(k))));
        let text = file(&[Block::new(
            "locals",
            &[],
            Body::new().attr("for", object.clone()),
        )]);
        assert!(
            text.contains("  for = {\n    \"for\"   = \"for\"\n"),
            "{text}"
        );
        let blocks = from_hcl(&text).unwrap();
        assert_eq!(
            blocks,
            [Block::new("locals", &[], Body::new().attr("for", object))]
        );
    }

    proptest::proptest! {
        /// Any string written as an HCL string literal reads back as the same string.
        #[test]
        fn any_string_survives_a_literal(s in proptest::prelude::any::<String>()) {
            let body = ::hcl::parse(&format!("a = {}\n", string_literal(&s))).unwrap();
            let value = body.attributes().next().map(|a| a.expr.clone());
            proptest::prop_assert_eq!(value, Some(::hcl::Expression::String(s)));
        }
    }

    #[test]
    fn keys_that_are_not_identifiers_are_quoted() {
        let text = file(&[Block::new(
            "locals",
            &[],
            Body::new().attr(
                "tags",
                Expr::object([("paved.dev/team", Expr::str("x")), ("Team", Expr::str("y"))]),
            ),
        )]);
        assert!(
            text.contains("\"paved.dev/team\" = \"x\"\n    Team             = \"y\""),
            "{text}"
        );
    }
}
