//! Loaded files and positions inside them.
//!
//! Positions are kept as byte ranges (what miette and slicing want) together with a
//! 1-based line and a 1-based column counted in Unicode scalar values (what editors,
//! SARIF `unicodeCodePoints` and GitHub annotations show).

use std::sync::Arc;

/// A file read from the repository, with its text and a line index.
#[derive(Debug)]
pub struct SourceFile {
    /// Path relative to the repository root, with `/` separators.
    pub path: String,
    /// The file's text, shared with diagnostics.
    pub text: Arc<str>,
    /// Built into paved (a built-in policy), not read from the repository: its path
    /// names it among paved's own files.
    pub built_in: bool,
    /// Byte offset of the start of every line, computed when first needed.
    line_starts: std::sync::OnceLock<Vec<usize>>,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        Self {
            path: path.into(),
            text: text.into(),
            built_in: false,
            line_starts: std::sync::OnceLock::new(),
        }
    }

    /// A file built into paved, named by its path in paved's sources.
    pub fn built_in(path: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        Self {
            built_in: true,
            ..Self::new(path, text)
        }
    }

    /// Lines end at `\n`, `\r\n` or a lone `\r`, as YAML (and editors) have it.
    fn line_starts(&self) -> &[usize] {
        self.line_starts.get_or_init(|| {
            let bytes = self.text.as_bytes();
            std::iter::once(0)
                .chain(
                    bytes
                        .iter()
                        .enumerate()
                        .filter(|&(i, &b)| {
                            b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
                        })
                        .map(|(i, _)| i + 1),
                )
                .collect()
        })
    }

    /// The span covering `start..end` (byte offsets), with line and column computed.
    pub fn span(&self, start: usize, end: usize) -> Span {
        let start = self.floor_char_boundary(start.min(self.text.len()));
        let end = self.floor_char_boundary(end.clamp(start, self.text.len()));
        let (line, column) = self.line_column(start);
        Span {
            start,
            end,
            line,
            column,
        }
    }

    /// An empty span at the start of the file, for findings about the file as a whole.
    pub fn start(&self) -> Span {
        self.span(0, 0)
    }

    /// 1-based line and column (in characters) of a byte offset. Byte-order marks
    /// starting a line are no column: editors do not show it, nor does YAML count it.
    pub fn line_column(&self, offset: usize) -> (u32, u32) {
        let line_starts = self.line_starts();
        let line_index = line_starts.partition_point(|&s| s <= offset) - 1;
        let line_start = line_starts[line_index];
        let before = &self.text[line_start..offset];
        let column = before.trim_start_matches(BOM).chars().count() + 1;
        (to_u32(line_index + 1), to_u32(column))
    }

    /// The byte offset of a 1-based line and column (in characters), clamped to the
    /// line: the inverse of [`SourceFile::line_column`], for positions other tools report.
    pub fn offset(&self, line: usize, column: usize) -> usize {
        let line_starts = self.line_starts();
        let Some(&line_start) = line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = &self.text[line_start..];
        let start = line_start + rest.len() - rest.trim_start_matches(BOM).len();
        let end = self.text[start..]
            .find(['\n', '\r'])
            .map_or(self.text.len(), |n| start + n);
        self.text[start..end]
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(end, |(i, _)| start + i)
    }

    /// The text of a span.
    pub fn slice(&self, span: Span) -> &str {
        &self.text[span.start..span.end]
    }

    fn floor_char_boundary(&self, mut offset: usize) -> usize {
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}

const BOM: char = '\u{FEFF}';

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A byte range in a source file with the line and column of its start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    /// 1-based line of `start`.
    pub line: u32,
    /// 1-based column of `start`, in characters.
    pub column: u32,
}

impl Span {
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// A span in a particular file.
#[derive(Debug, Clone)]
pub struct Location {
    pub file: Arc<SourceFile>,
    pub span: Span,
}

impl Location {
    pub fn new(file: &Arc<SourceFile>, span: Span) -> Self {
        Self {
            file: Arc::clone(file),
            span,
        }
    }

    /// The 1-based line and column where the span ends.
    pub fn end_line_column(&self) -> (u32, u32) {
        self.file.line_column(self.span.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_the_inverse_of_line_and_column() {
        let file = SourceFile::new("a", "ab\nçd\n\nlast");
        for offset in [0, 1, 3, 5, 6, 8, 9, 12] {
            let (line, column) = file.line_column(offset);
            assert_eq!(
                file.offset(line as usize, column as usize),
                offset,
                "{offset}"
            );
        }
        assert_eq!(file.offset(2, 99), 6, "clamped to the end of the line");
        assert_eq!(file.offset(9, 1), file.text.len(), "past the last line");
    }

    #[test]
    fn lines_and_columns_count_characters() {
        let file = SourceFile::new("a.yaml", "a: 1\nname: é-x\n");
        let offset = file.text.find('x').unwrap();
        assert_eq!(file.line_column(offset), (2, 9));
        assert_eq!(file.line_column(0), (1, 1));
        assert_eq!(file.line_column(5), (2, 1));
    }

    #[test]
    fn lone_carriage_returns_end_lines_and_byte_order_marks_are_no_column() {
        let file = SourceFile::new("a", "\u{FEFF}\u{FEFF}a: 1\rb: 2\r\nc: 3\n");
        let b = file.text.find('b').unwrap();
        let c = file.text.find('c').unwrap();
        assert_eq!(file.line_column(3), (1, 1));
        assert_eq!(file.line_column(b), (2, 1));
        assert_eq!(file.line_column(c), (3, 1));
        assert_eq!(file.line_column(6), (1, 1));
        assert_eq!(file.offset(1, 1), 6);
        assert_eq!(file.offset(2, 99), b + 4, "clamped before the line break");
    }

    #[test]
    fn spans_are_clamped_to_char_boundaries() {
        let file = SourceFile::new("a.yaml", "é");
        let span = file.span(1, 10);
        assert_eq!((span.start, span.end), (0, 2));
    }
}
