//! YAML 1.2 loading into a tree that keeps a span for every node.
//!
//! Built on saphyr-parser's event stream rather than saphyr's own loader so that one
//! pass can report every duplicate key (with both places), bound nesting depth and
//! alias expansion, and keep going after a non-fatal problem. Scalars resolve with the
//! YAML 1.2 core schema: `no`, `yes`, `on` stay strings.

use std::borrow::Cow;
use std::collections::HashMap;

use saphyr::Scalar;
use saphyr_parser::{Event, Marker, Parser, ScalarStyle};

use crate::syntax::source::{SourceFile, Span};

/// Bounds that keep hostile input from exhausting time or memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_depth: usize,
    pub max_alias_nodes: usize,
    pub max_documents: usize,
    /// Longest scalar (key or value), in bytes.
    pub max_string_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_depth: 64,
            max_alias_nodes: 10_000,
            max_documents: 1_000,
            max_string_bytes: 64 * 1024,
        }
    }
}

impl Limits {
    /// The largest bounds paved.yaml may set: a file that loaded within the configured
    /// limits loads to the same tree within these.
    pub const LARGEST: Limits = Limits {
        max_depth: 256,
        max_alias_nodes: 1_000_000,
        max_documents: 100_000,
        max_string_bytes: 64 * 1024 * 1024,
    };
}

/// A YAML node and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

/// A node's content. Mapping keys are always strings, in document order.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Seq(Vec<Node>),
    Map(Vec<Entry>),
}

/// One `key: value` pair of a mapping.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

/// Something wrong with the YAML itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ProblemKind {
    Syntax,
    DuplicateKey { first: Span },
    ComplexKey,
    AliasLimit,
    TooDeep,
    TooManyDocuments,
    StringTooLong,
}

/// The documents of one file and the problems met while reading it.
#[derive(Debug, Default)]
pub struct Loaded {
    pub documents: Vec<Node>,
    pub problems: Vec<Problem>,
}

impl Node {
    /// The value under `key`, if this is a mapping that has it.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    /// The entry for `key`, if this is a mapping that has it.
    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The node at a JSON pointer, with the span of the key that leads to it (the
    /// key for a mapping entry, the item itself for a sequence element).
    pub fn pointer(&self, pointer: &str) -> Option<(Span, &Node)> {
        let mut node = self;
        let mut label = self.span;
        for token in pointer.split('/').skip(1) {
            let token = token.replace("~1", "/").replace("~0", "~");
            match &node.value {
                Value::Map(entries) => {
                    let entry = entries.iter().find(|e| e.key == token)?;
                    label = entry.key_span;
                    node = &entry.value;
                }
                Value::Seq(items) => {
                    node = items.get(token.parse::<usize>().ok()?)?;
                    label = node.span;
                }
                _ => return None,
            }
        }
        Some((label, node))
    }

    /// The node as JSON, for schema validation and typed deserialization.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                // JSON has no NaN or infinity; a string makes the schema say "not a number".
                .unwrap_or_else(|| J::String(f.to_string())),
            Value::String(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// Parse every document of a file.
pub fn load(file: &SourceFile, limits: Limits) -> Loaded {
    let mut builder = Builder::new(file, limits);
    let mut parser = Parser::new_from_str(&file.text);
    while let Some(event) = parser.next_event() {
        match event {
            Ok((event, span)) => {
                if let Err(problem) = builder.on_event(event, span.start, span.end) {
                    builder.loaded.problems.push(problem);
                    break;
                }
            }
            Err(e) => {
                // Where an error stops the parser, its line and column may disagree with
                // its offset (after a lone carriage return): the offset decides.
                let mut at = builder.span(*e.marker(), *e.marker());
                (at.line, at.column) = file.line_column(at.start);
                builder.loaded.problems.push(Problem {
                    kind: ProblemKind::Syntax,
                    span: at,
                    message: e.info().to_string(),
                });
                break;
            }
        }
    }
    builder.loaded
}

enum Frame {
    Seq {
        start: Marker,
        anchor: usize,
        items: Vec<Node>,
    },
    Map {
        start: Marker,
        anchor: usize,
        entries: Vec<Entry>,
        pending_key: Option<(String, Span)>,
        skip_value: bool,
        /// Key index, built once a mapping is big enough for a linear scan to hurt.
        index: Option<HashMap<String, usize>>,
    },
}

const INDEX_FROM: usize = 16;

struct Builder<'a> {
    file: &'a SourceFile,
    limits: Limits,
    /// Byte offset of every character, when the text is not plain ASCII.
    char_offsets: Option<Vec<usize>>,
    /// saphyr-parser counts the bytes of a directive's parameters as characters, so
    /// after a `%` directive line holding non-ASCII text its character index runs
    /// ahead. Its lines and columns do not (past that line), and then place nodes.
    index_drifts: bool,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    alias_nodes: usize,
    documents_before: usize,
    loaded: Loaded,
}

impl<'a> Builder<'a> {
    fn new(file: &'a SourceFile, limits: Limits) -> Self {
        let char_offsets = (!file.text.is_ascii()).then(|| {
            file.text
                .char_indices()
                .map(|(i, _)| i)
                .chain(std::iter::once(file.text.len()))
                .collect()
        });
        Self {
            file,
            limits,
            char_offsets,
            index_drifts: !file.text.is_ascii()
                && file.text.split(['\n', '\r']).any(|line| {
                    line.trim_start_matches('\u{FEFF}').starts_with('%') && !line.is_ascii()
                }),
            stack: Vec::new(),
            anchors: HashMap::new(),
            alias_nodes: 0,
            documents_before: 0,
            loaded: Loaded::default(),
        }
    }

    fn byte(&self, marker: Marker) -> usize {
        if self.index_drifts {
            return self.file.offset(marker.line(), marker.col() + 1);
        }
        let index = marker.index();
        match &self.char_offsets {
            None => index.min(self.file.text.len()),
            Some(offsets) => offsets.get(index).copied().unwrap_or(self.file.text.len()),
        }
    }

    fn span(&self, start: Marker, end: Marker) -> Span {
        let (start_byte, end_byte) = (self.byte(start), self.byte(end));
        let (line, column) = if start_byte == self.file.text.len() || self.index_drifts {
            // At the end of a text without a final line break the parser counts one
            // more line than there is.
            self.file.line_column(start_byte)
        } else {
            (
                u32::try_from(start.line()).unwrap_or(u32::MAX),
                u32::try_from(start.col() + 1).unwrap_or(u32::MAX),
            )
        };
        Span {
            start: start_byte,
            end: end_byte.max(start_byte),
            line,
            column,
        }
    }

    fn on_event(&mut self, event: Event<'_>, start: Marker, end: Marker) -> Result<(), Problem> {
        match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
            Event::DocumentStart(_) => {
                self.anchors.clear();
                self.documents_before = self.loaded.documents.len();
                if self.loaded.documents.len() >= self.limits.max_documents {
                    return Err(Problem {
                        kind: ProblemKind::TooManyDocuments,
                        span: self.span(start, end),
                        message: format!(
                            "more than {} YAML documents in one file (limit `limits.maxDocuments`)",
                            self.limits.max_documents
                        ),
                    });
                }
            }
            Event::DocumentEnd => {
                if self.loaded.documents.len() == self.documents_before {
                    self.loaded.documents.push(Node {
                        span: self.span(start, end),
                        value: Value::Null,
                    });
                }
            }
            Event::SequenceStart(anchor, _) => {
                self.check_depth(start, end)?;
                self.stack.push(Frame::Seq {
                    start,
                    anchor,
                    items: Vec::new(),
                });
            }
            Event::MappingStart(anchor, _) => {
                self.check_depth(start, end)?;
                self.stack.push(Frame::Map {
                    start,
                    anchor,
                    entries: Vec::new(),
                    pending_key: None,
                    skip_value: false,
                    index: None,
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq {
                        start: s,
                        anchor,
                        items,
                    }) => (
                        Node {
                            span: self.span(s, end),
                            value: Value::Seq(items),
                        },
                        anchor,
                    ),
                    Some(Frame::Map {
                        start: s,
                        anchor,
                        entries,
                        ..
                    }) => (
                        Node {
                            span: self.span(s, end),
                            value: Value::Map(entries),
                        },
                        anchor,
                    ),
                    None => return Ok(()),
                };
                self.complete(node, anchor);
            }
            Event::Scalar(text, style, anchor, tag) => {
                let span = self.span(start, end);
                if text.len() > self.limits.max_string_bytes {
                    // Pointed at where it starts, and never echoed: it may be a secret,
                    // and a snippet of it would flood the log.
                    return Err(Problem {
                        kind: ProblemKind::StringTooLong,
                        span: self.span(start, start),
                        message: format!(
                            "a string of {} bytes, longer than the {}-byte limit (`limits.maxStringBytes`)",
                            text.len(),
                            self.limits.max_string_bytes
                        ),
                    });
                }
                if let Some(Frame::Map {
                    pending_key: pending_key @ None,
                    ..
                }) = self.stack.last_mut()
                {
                    // A key: kept as written, since JSON keys are strings.
                    let key = text.into_owned();
                    if anchor > 0 {
                        let value = Value::String(key.clone());
                        self.anchors.insert(anchor, Node { span, value });
                    }
                    *pending_key = Some((key, span));
                    return Ok(());
                }
                let value = scalar_value(text, style, tag.as_deref());
                self.complete(Node { span, value }, anchor);
            }
            Event::Alias(id) => {
                let span = self.span(start, end);
                let Some(target) = self.anchors.get(&id) else {
                    return Err(Problem {
                        kind: ProblemKind::Syntax,
                        span,
                        message: "alias to an unknown anchor".into(),
                    });
                };
                self.alias_nodes += count_nodes(target);
                if self.alias_nodes > self.limits.max_alias_nodes {
                    return Err(Problem {
                        kind: ProblemKind::AliasLimit,
                        span,
                        message: format!(
                            "aliases expand to more than {} nodes (limit `limits.maxAliasNodes`)",
                            self.limits.max_alias_nodes
                        ),
                    });
                }
                let mut node = target.clone();
                node.span = span;
                if let Some(Frame::Map {
                    pending_key: pending_key @ None,
                    ..
                }) = self.stack.last_mut()
                {
                    match node.value {
                        Value::String(s) => *pending_key = Some((s, span)),
                        Value::Seq(_) | Value::Map(_) => {
                            self.complex_key(span);
                        }
                        other => *pending_key = Some((scalar_key(&other), span)),
                    }
                    return Ok(());
                }
                self.complete(node, 0);
            }
        }
        Ok(())
    }

    fn check_depth(&self, start: Marker, end: Marker) -> Result<(), Problem> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(Problem {
                kind: ProblemKind::TooDeep,
                span: self.span(start, end),
                message: format!(
                    "nesting deeper than {} levels (limit `limits.maxDepth`)",
                    self.limits.max_depth
                ),
            });
        }
        Ok(())
    }

    fn complex_key(&mut self, span: Span) {
        if let Some(Frame::Map {
            pending_key,
            skip_value,
            ..
        }) = self.stack.last_mut()
        {
            *pending_key = Some((String::new(), span));
            *skip_value = true;
        }
        self.loaded.problems.push(Problem {
            kind: ProblemKind::ComplexKey,
            span,
            message: "mapping keys must be plain values, not mappings or sequences".into(),
        });
    }

    /// Attach a finished node to its parent, or make it a document.
    fn complete(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.loaded.documents.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                entries,
                pending_key,
                skip_value,
                index,
                ..
            }) => match pending_key.take() {
                None => {
                    // A mapping or sequence used as a key.
                    let span = node.span;
                    self.complex_key(span);
                }
                Some(_) if std::mem::take(skip_value) => {}
                Some((key, key_span)) => {
                    let existing = match index {
                        Some(index) => index.get(&key).copied(),
                        None => entries.iter().position(|e| e.key == key),
                    };
                    if let Some(first) = existing {
                        let first = entries[first].key_span;
                        self.loaded.problems.push(Problem {
                            kind: ProblemKind::DuplicateKey { first },
                            span: key_span,
                            message: format!("duplicate key `{key}` in mapping"),
                        });
                        return;
                    }
                    if let Some(index) = index {
                        index.insert(key.clone(), entries.len());
                    }
                    entries.push(Entry {
                        key,
                        key_span,
                        value: node,
                    });
                    if index.is_none() && entries.len() >= INDEX_FROM {
                        *index = Some(
                            entries
                                .iter()
                                .enumerate()
                                .map(|(i, e)| (e.key.clone(), i))
                                .collect(),
                        );
                    }
                }
            },
        }
    }
}

fn scalar_value(text: Cow<'_, str>, style: ScalarStyle, tag: Option<&saphyr_parser::Tag>) -> Value {
    let tag = tag.map(Cow::Borrowed);
    match Scalar::parse_from_cow_and_metadata(text.clone(), style, tag.as_ref()) {
        Some(Scalar::Null) => Value::Null,
        Some(Scalar::Boolean(b)) => Value::Bool(b),
        Some(Scalar::Integer(i)) => Value::Int(i),
        Some(Scalar::FloatingPoint(f)) => Value::Float(f.into_inner()),
        Some(Scalar::String(s)) => Value::String(s.into_owned()),
        // A core-schema tag the text does not fit (`!!int abc`): keep the text.
        None => Value::String(text.into_owned()),
    }
}

fn scalar_key(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::String(s) => s.clone(),
        Value::Seq(_) | Value::Map(_) => String::new(),
    }
}

fn count_nodes(node: &Node) -> usize {
    1 + match &node.value {
        Value::Seq(items) => items.iter().map(count_nodes).sum(),
        Value::Map(entries) => entries.iter().map(|e| 1 + count_nodes(&e.value)).sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Loaded {
        load(&SourceFile::new("t.yaml", text), Limits::default())
    }

    #[test]
    fn yaml_1_2_booleans_and_octals() {
        let loaded = parse("a: no\nb: yes\nc: true\nd: 0755\ne: 0o10\nf: ~\ng: '1'\n");
        assert!(loaded.problems.is_empty());
        let doc = &loaded.documents[0];
        assert_eq!(doc.get("a").unwrap().value, Value::String("no".into()));
        assert_eq!(doc.get("b").unwrap().value, Value::String("yes".into()));
        assert_eq!(doc.get("c").unwrap().value, Value::Bool(true));
        assert_eq!(doc.get("d").unwrap().value, Value::Int(755));
        assert_eq!(doc.get("e").unwrap().value, Value::Int(8));
        assert_eq!(doc.get("f").unwrap().value, Value::Null);
        assert_eq!(doc.get("g").unwrap().value, Value::String("1".into()));
    }

    #[test]
    fn every_duplicate_key_is_reported_with_both_places() {
        let loaded = parse("a: 1\nb: 2\na: 3\nb: 4\n");
        assert_eq!(loaded.problems.len(), 2);
        let p = &loaded.problems[0];
        assert_eq!((p.span.line, p.span.column), (3, 1));
        assert!(matches!(p.kind, ProblemKind::DuplicateKey { first } if first.line == 1));
        // The first value wins and loading goes on.
        assert_eq!(loaded.documents[0].get("a").unwrap().value, Value::Int(1));
    }

    #[test]
    fn duplicate_keys_in_big_mappings_use_the_index() {
        let mut text: String = (0..40).map(|i| format!("k{i}: {i}\n")).collect();
        text.push_str("k7: again\n");
        let loaded = parse(&text);
        assert_eq!(loaded.problems.len(), 1);
        assert_eq!(loaded.problems[0].span.line, 41);
    }

    #[test]
    fn spans_are_bytes_with_character_columns() {
        let loaded = parse("# é\nname: \"héllo\"\nport: 8080\n");
        let doc = &loaded.documents[0];
        let (key, port) = doc.pointer("/port").unwrap();
        assert_eq!((key.line, key.column), (3, 1));
        assert_eq!(
            &"# é\nname: \"héllo\"\nport: 8080\n"[port.span.start..port.span.end],
            "8080"
        );
        let name = doc.get("name").unwrap();
        assert_eq!((name.span.line, name.span.column), (2, 7));
    }

    #[test]
    fn several_documents() {
        let loaded = parse("a: 1\n---\nb: 2\n---\n");
        assert!(loaded.problems.is_empty());
        assert_eq!(loaded.documents.len(), 3);
        assert_eq!(loaded.documents[2].value, Value::Null);
    }

    #[test]
    fn billion_laughs_is_bounded() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut prev = 'a';
        for name in 'b'..='j' {
            text.push_str(&format!(
                "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
            prev = name;
        }
        let loaded = parse(&text);
        assert!(
            loaded
                .problems
                .iter()
                .any(|p| p.kind == ProblemKind::AliasLimit)
        );
    }

    #[test]
    fn depth_is_bounded() {
        let block: String = (0..100).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
        let flow = format!("{}{}", "[".repeat(100), "]".repeat(100));
        for text in [block, flow] {
            let loaded = parse(&text);
            assert_eq!(loaded.problems[0].kind, ProblemKind::TooDeep);
        }
        // The parser's own bound holds for absurd depths.
        assert_eq!(parse(&"[".repeat(100_000)).problems.len(), 1);
    }

    #[test]
    fn strings_are_bounded_keys_included() {
        let limits = Limits {
            max_string_bytes: 8,
            ..Limits::default()
        };
        for (text, column) in [
            ("a: 12345678\nb: 123456789\n", 4),
            ("a: 1\n123456789: b\n", 1),
        ] {
            let loaded = load(&SourceFile::new("t.yaml", text), limits);
            assert_eq!(loaded.problems.len(), 1, "{text:?}");
            let problem = &loaded.problems[0];
            assert_eq!(problem.kind, ProblemKind::StringTooLong);
            assert_eq!((problem.span.line, problem.span.column), (2, column));
            assert!(
                !problem.message.contains("123456789"),
                "{}",
                problem.message
            );
            assert!(problem.message.contains("`limits.maxStringBytes`"));
        }
    }

    #[test]
    fn errors_at_the_end_of_the_text_are_on_its_last_line() {
        let loaded = parse("a: 1\nb: [c");
        let span = loaded.problems[0].span;
        assert_eq!((span.start, span.line, span.column), (10, 2, 6));
    }

    #[test]
    fn spans_after_a_directive_with_non_ascii_text_are_in_place() {
        let text = "%FOO é\n---\nname: x\n";
        let loaded = parse(text);
        let name = loaded.documents[0].get("name").unwrap();
        assert_eq!(&text[name.span.start..name.span.end], "x");
        assert_eq!((name.span.line, name.span.column), (3, 7));
    }

    #[test]
    fn tabs_and_truncation_are_syntax_errors() {
        for text in ["a:\n\t- b\n", "a: [1, 2\n", "a: \"open\n", "a: b: c\n"] {
            let loaded = parse(text);
            assert_eq!(loaded.problems.len(), 1, "{text:?}");
            assert_eq!(loaded.problems[0].kind, ProblemKind::Syntax, "{text:?}");
        }
    }

    #[test]
    fn complex_keys_are_reported() {
        let loaded = parse("? [a, b]\n: c\nd: e\n");
        assert_eq!(loaded.problems[0].kind, ProblemKind::ComplexKey);
        assert_eq!(loaded.documents[0].get("d").unwrap().as_str(), Some("e"));
    }

    #[test]
    fn aliases_resolve() {
        let loaded = parse("base: &b {x: 1}\nother: *b\n");
        assert!(loaded.problems.is_empty());
        let other = loaded.documents[0].get("other").unwrap();
        assert_eq!(other.get("x").unwrap().value, Value::Int(1));
        assert_eq!(other.span.line, 2);
    }
}
