//! Where a finding points: a JSON pointer into an intent turned into a place in its
//! YAML document.

use std::sync::{Arc, OnceLock};

use crate::diag::codes::Code;
use crate::diag::finding::{Finding, printable};
use crate::syntax::source::{Location, SourceFile, Span};
use crate::syntax::yaml::{self, Node};

/// Where a JSON pointer lands in the source: the span to label (the key leading to the
/// value, or the mapping that lacks a key) and the value's own span.
#[derive(Debug, Clone, Copy)]
pub struct Located {
    pub label: Span,
    pub node: Span,
}

/// Where an intent came from: its file and document, to place findings.
///
/// The YAML tree is kept while a file is being checked, then dropped: holding every
/// tree of a big monorepo would dominate memory, and the few that a later finding
/// needs are parsed again (loading is deterministic, so the spans are the same).
#[derive(Debug, Clone)]
pub struct Origin {
    pub file: Arc<SourceFile>,
    /// Index of the document in its file.
    pub document: usize,
    tree: Arc<OnceLock<Node>>,
    /// For a document read as another kind (a Score workload read as a Service): where
    /// each part of the intent came from in the document.
    map: Option<Arc<PointerMap>>,
}

/// JSON pointer prefixes of an intent and the places of the document they came from.
#[derive(Debug, Default)]
pub struct PointerMap(Vec<(String, String)>);

impl PointerMap {
    pub fn insert(&mut self, intent: impl Into<String>, document: impl Into<String>) {
        self.0.push((intent.into(), document.into()));
    }

    /// The document pointer for an intent pointer: its longest mapped prefix replaced;
    /// the whole document when nothing maps it.
    pub fn translate(&self, pointer: &str) -> String {
        self.0
            .iter()
            .filter(|(from, _)| {
                pointer
                    .strip_prefix(from.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .max_by_key(|(from, _)| from.len())
            .map(|(from, to)| format!("{to}{}", &pointer[from.len()..]))
            .unwrap_or_default()
    }
}

impl Origin {
    pub fn new(file: &Arc<SourceFile>, document: usize, root: Node) -> Self {
        Self {
            file: Arc::clone(file),
            document,
            tree: Arc::new(OnceLock::from(root)),
            map: None,
        }
    }

    /// The same place, with intent pointers mapped to the document's by `map`.
    pub fn mapped(self, map: PointerMap) -> Self {
        Self {
            map: Some(Arc::new(map)),
            ..self
        }
    }

    fn document_pointer<'p>(&self, pointer: &'p str) -> std::borrow::Cow<'p, str> {
        match &self.map {
            Some(map) => std::borrow::Cow::Owned(map.translate(pointer)),
            None => std::borrow::Cow::Borrowed(pointer),
        }
    }

    /// A document of a file whose tree is parsed when first needed.
    pub fn lazy(file: &Arc<SourceFile>, document: usize) -> Self {
        Self {
            file: Arc::clone(file),
            document,
            tree: Arc::new(OnceLock::new()),
            map: None,
        }
    }

    /// The same place, without the tree: it is parsed again if it is needed.
    pub fn detached(&self) -> Self {
        Self {
            file: Arc::clone(&self.file),
            document: self.document,
            tree: Arc::new(OnceLock::new()),
            map: self.map.clone(),
        }
    }

    /// The document's YAML tree.
    pub fn root(&self) -> &Node {
        self.tree.get_or_init(|| {
            // The file loaded within the configured limits before, so the largest
            // limits give the same tree.
            let start = self.file.start();
            yaml::load(&self.file, yaml::Limits::LARGEST)
                .documents
                .into_iter()
                .nth(self.document)
                .unwrap_or(Node {
                    span: start,
                    value: yaml::Value::Null,
                })
        })
    }

    /// The spans of the deepest existing node on the way to `pointer`.
    pub fn locate(&self, pointer: &str) -> Located {
        let pointer = self.document_pointer(pointer);
        let mut prefix = pointer.as_ref();
        loop {
            if let Some((label, node)) = self.root().pointer(prefix) {
                let label = if prefix.is_empty() {
                    first_key_span(self.root())
                } else {
                    label
                };
                return Located {
                    label,
                    node: node.span,
                };
            }
            match prefix.rsplit_once('/') {
                Some((parent, _)) => prefix = parent,
                None => {
                    let start = first_key_span(self.root());
                    return Located {
                        label: start,
                        node: start,
                    };
                }
            }
        }
    }

    /// A location for the value at `pointer`.
    pub fn value(&self, pointer: &str) -> Location {
        Location::new(&self.file, self.locate(pointer).node)
    }

    /// A location for what `pointer` names: the key of a mapping or list (the line
    /// that introduces it), the value itself otherwise.
    pub fn place(&self, pointer: &str) -> Location {
        let located = self.locate(pointer);
        let collection = self
            .root()
            .pointer(&self.document_pointer(pointer))
            .is_some_and(|(_, node)| {
                matches!(node.value, yaml::Value::Map(_) | yaml::Value::Seq(_))
            });
        let span = if collection {
            located.label
        } else {
            located.node
        };
        Location::new(&self.file, span)
    }

    /// A location for the key leading to `pointer`.
    pub fn key(&self, pointer: &str) -> Location {
        Location::new(&self.file, self.locate(pointer).label)
    }

    /// A location for the bytes `range` of the string value at `pointer`: exact when the
    /// source spells the value as is (plain or simply quoted), else the whole scalar.
    pub fn within(&self, pointer: &str, value: &str, range: std::ops::Range<usize>) -> Location {
        let span = self.locate(pointer).node;
        let source = self.file.slice(span);
        let offset = if source == value {
            Some(0)
        } else if source.len() == value.len() + 2 && source.get(1..source.len() - 1) == Some(value)
        {
            Some(1)
        } else {
            None
        };
        let span = match offset {
            Some(offset) => self.file.span(
                span.start + offset + range.start,
                span.start + offset + range.end,
            ),
            None => span,
        };
        Location::new(&self.file, span)
    }

    pub fn finding(&self, code: Code, pointer: &str, message: impl Into<String>) -> Finding {
        Finding::new(code, &self.file, self.locate(pointer).node, message)
    }
}

/// The span of a document's first key: a document's "name tag" for findings about
/// the document as a whole. Avoids labelling a whole multi-line mapping.
fn first_key_span(root: &Node) -> Span {
    match &root.value {
        yaml::Value::Map(entries) if !entries.is_empty() => entries[0].key_span,
        _ => Span {
            end: root.span.start,
            ..root.span
        },
    }
}

/// `spec.ports[0].name` from `/spec/ports/0/name`.
pub fn field_name(pointer: &str) -> String {
    let mut out = String::new();
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        if token.bytes().all(|b| b.is_ascii_digit()) && !token.is_empty() {
            out.push_str(&format!("[{token}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&printable(&token));
        }
    }
    out
}

pub fn escape_pointer(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}
