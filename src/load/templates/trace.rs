//! Tracing a template's output back to the template: markers before the line breaks of
//! its text, and the alignment of a template line with the output line it made.

use std::ops::Range;

/// Opens a marker: a character of Unicode's private use area, which no template is
/// expected to print. A template that does print one gets no trace (the output
/// without the markers would not be its output).
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// `source` with a marker before each line break of its text (not inside a tag, a
/// comment or an expression): the byte offset of that break in `source`. `raw` blocks
/// are kept as they are, and so are breaks that whitespace control (`-%}`, `{%-`)
/// removes, which a marker would keep.
pub(super) fn mark(source: &str) -> String {
    let mut out = String::with_capacity(source.len() * 2);
    let mut rest = source;
    let mut at = 0;
    // Only whitespace since a tag that trims the whitespace after it.
    let mut trimmed = false;
    while let Some(c) = rest.chars().next() {
        if let Some(end) = tag_end(rest) {
            trimmed = rest[..end].ends_with("-}}")
                || rest[..end].ends_with("-%}")
                || rest[..end].ends_with("-#}");
            out.push_str(&rest[..end]);
            at += end;
            rest = &rest[end..];
            continue;
        }
        if c == '\n' && !trimmed && !trims_before(&rest[1..]) {
            out.push(OPEN);
            out.push_str(&at.to_string());
            out.push(CLOSE);
        }
        trimmed &= c.is_whitespace();
        out.push(c);
        at += c.len_utf8();
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// Whether `text` is whitespace up to a tag that trims the whitespace before it.
fn trims_before(text: &str) -> bool {
    let next = text.trim_start();
    ["{{-", "{%-", "{#-"]
        .iter()
        .any(|open| next.starts_with(open))
}

/// The length of the tag, comment or expression (with a whole `raw` block) that `text`
/// starts with; none when it starts with text.
fn tag_end(text: &str) -> Option<usize> {
    let close = match text.get(..2)? {
        "{{" => "}}",
        "{%" => "%}",
        "{#" => "#}",
        _ => return None,
    };
    let end = text[2..].find(close).map_or(text.len(), |i| i + 4);
    let inner =
        text[2..end.saturating_sub(2).max(2)].trim_matches(['-', '+', ' ', '\t', '\n', '\r']);
    if close == "%}" && inner == "raw" {
        let endraw = text[end..]
            .match_indices("{%")
            .find(|(i, _)| {
                let tag = &text[end + i + 2..];
                tag.trim_start_matches(['-', '+', ' ', '\t'])
                    .starts_with("endraw")
            })
            .and_then(|(i, _)| text[end + i..].find("%}").map(|j| end + i + j + 2));
        return Some(endraw.unwrap_or(text.len()));
    }
    Some(end)
}

/// The output without its markers, and each marker's place in it (the byte offset of
/// the line break it stands before) with the template offset it names.
pub(super) fn unmark(marked: &str) -> Option<(String, Vec<(usize, usize)>)> {
    let mut text = String::with_capacity(marked.len());
    let mut breaks = Vec::new();
    let mut rest = marked;
    while let Some(open) = rest.find(OPEN) {
        text.push_str(&rest[..open]);
        let after = &rest[open + OPEN.len_utf8()..];
        let close = after.find(CLOSE)?;
        breaks.push((text.len(), after[..close].parse().ok()?));
        rest = &after[close + CLOSE.len_utf8()..];
    }
    text.push_str(rest);
    if text.contains(CLOSE) {
        return None;
    }
    Some((text, breaks))
}

/// The span of the template `source` that made byte `offset` of `output`, given the
/// template line ending at `line_end`: where the output line's text shows the template
/// line's literal text, the same place there; where it shows what an expression
/// printed, that expression; else the line from its first character.
pub(super) fn place(source: &str, line_end: usize, output: &str, offset: usize) -> Range<usize> {
    let line_start = source[..line_end].rfind('\n').map_or(0, |i| i + 1);
    let line = &source[line_start..line_end];
    let out_start = output[..offset.min(output.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let out_end = output[out_start..]
        .find('\n')
        .map_or(output.len(), |i| out_start + i);
    let out_line = &output[out_start..out_end];
    let target = offset.clamp(out_start, out_end) - out_start;
    let whole = {
        let first = line.len() - line.trim_start().len();
        line_start + first..line_end.max(line_start + first)
    };
    let mut cursor = 0;
    let mut previous_tag: Option<Range<usize>> = None;
    let mut rest = line;
    let mut at = 0;
    while !rest.is_empty() {
        if let Some(end) = tag_end(rest) {
            // Only expressions print; statements and comments print nothing here.
            if rest.starts_with("{{") {
                previous_tag = Some(line_start + at..line_start + at + end);
            }
            at += end;
            rest = &rest[end..];
            continue;
        }
        let text_len = rest
            .char_indices()
            .find(|(i, _)| tag_end(&rest[*i..]).is_some())
            .map_or(rest.len(), |(i, _)| i);
        let text = &rest[..text_len];
        let Some(found) = out_line[cursor..].find(text).map(|i| cursor + i) else {
            return whole;
        };
        if target < found {
            return previous_tag.unwrap_or(whole);
        }
        if target < found + text.len() {
            let start = line_start + at + (target - found);
            let width = source[start..].chars().next().map_or(0, char::len_utf8);
            return start..(start + width).min(line_end.max(start));
        }
        cursor = found + text.len();
        previous_tag = None;
        at += text_len;
        rest = &rest[text_len..];
    }
    match previous_tag {
        Some(tag) if target >= cursor => tag,
        _ => whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_go_before_line_breaks_of_text_only() {
        let source = "a: {{ x }}\n{% if y %}\nb: 1\n{% endif %}\n{# a\ncomment #}\n";
        let marked = mark(source);
        let (text, breaks) = unmark(&marked).unwrap();
        assert_eq!(text, source);
        let offsets: Vec<usize> = breaks.iter().map(|b| b.1).collect();
        let expected: Vec<usize> = source
            .match_indices('\n')
            .map(|(i, _)| i)
            .filter(|&i| i != source.find("{# a\n").unwrap() + 4)
            .collect();
        assert_eq!(offsets, expected);
    }

    #[test]
    fn breaks_that_whitespace_control_removes_get_no_marker() {
        let source = "{#- a -#}\napi: 1\n{%- if x %}\nb: 1\n  {%- endif %}\n";
        let (text, breaks) = unmark(&mark(source)).unwrap();
        assert_eq!(text, source);
        let offsets: Vec<usize> = breaks.iter().map(|b| b.1).collect();
        let after = |tag: &str| source.find(tag).unwrap() + tag.len();
        assert_eq!(offsets, [after("{%- if x %}"), after("{%- endif %}")]);
    }

    #[test]
    fn raw_blocks_keep_their_text() {
        let source = "{% raw %}{{ a\n}}{% endraw %}\nb\n";
        let (text, breaks) = unmark(&mark(source)).unwrap();
        assert_eq!(text, source);
        // The break inside the raw block is text the template prints as it is.
        assert_eq!(breaks.len(), 2);
        assert_eq!(breaks[0].1, source.find("%}\nb").unwrap() + 2);
    }

    #[test]
    fn a_printed_marker_is_no_trace() {
        assert!(unmark("a\u{E001}b").is_none());
        assert!(unmark("a\u{E000}x\u{E001}").is_none());
    }

    #[test]
    fn places_are_literal_text_or_the_expression_that_printed() {
        let source = "kind: Deployment\nimage: {{ image }}:{{ tag }} # x\n";
        let line_end = source.rfind('\n').unwrap();
        let output = "kind: Deployment\nimage: \"a\":\"b\" # x\n";
        let line_start = output.find("image").unwrap();
        let at = |column: usize| place(source, line_end, output, line_start + column);
        let text = |r: Range<usize>| &source[r];
        assert_eq!(text(at(0)), "i");
        assert_eq!(text(at(8)), "{{ image }}");
        assert_eq!(text(at(10)), ":");
        assert_eq!(text(at(11)), "{{ tag }}");
        assert_eq!(text(at(15)), "#");
    }

    #[test]
    fn an_unaligned_line_is_placed_whole() {
        let source = "  a: {{ x }}\n";
        let output = "something else\n";
        let range = place(source, source.len() - 1, output, 3);
        assert_eq!(&source[range], "a: {{ x }}");
    }
}
