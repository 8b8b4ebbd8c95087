//! Questions on a terminal, for `paved new` run without its flags: each answer is
//! checked, and asked again until it is valid.

use std::io::{self, BufRead, Write};

/// Ask `question` until `check` accepts the answer; an empty answer takes `default`.
/// The end of the input is an error: nobody is there to answer.
pub fn ask(
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    question: &str,
    default: Option<&str>,
    check: &dyn Fn(&str) -> Result<(), String>,
) -> io::Result<String> {
    loop {
        match default {
            Some(default) => write!(output, "{question} [{default}]: ")?,
            None => write!(output, "{question}: ")?,
        }
        output.flush()?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "no answer (end of input)",
            ));
        }
        let answer = match (line.trim(), default) {
            ("", Some(default)) => default.to_string(),
            (answer, _) => answer.to_string(),
        };
        match check(&answer) {
            Ok(()) => return Ok(answer),
            Err(why) => writeln!(output, "  {why}")?,
        }
    }
}

/// Ask a yes-or-no question.
pub fn confirm(
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    question: &str,
    default: bool,
) -> io::Result<bool> {
    let answer = ask(
        input,
        output,
        question,
        Some(if default { "y" } else { "n" }),
        &|answer| match answer.to_ascii_lowercase().as_str() {
            "y" | "yes" | "n" | "no" => Ok(()),
            _ => Err(String::from("answer y or n")),
        },
    )?;
    Ok(answer.to_ascii_lowercase().starts_with('y'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_answers_are_asked_again_and_empty_ones_take_the_default() {
        let mut input = io::Cursor::new("Bad Name\ngood-name\n\n");
        let mut output = Vec::new();
        let check = |a: &str| crate::commands::scaffold::check_name(a);
        let name = ask(&mut input, &mut output, "name", None, &check).unwrap();
        assert_eq!(name, "good-name");
        let kind = ask(&mut input, &mut output, "type", Some("api"), &|_| Ok(())).unwrap();
        assert_eq!(kind, "api");
        let shown = String::from_utf8(output).unwrap();
        assert!(shown.contains("`Bad Name` is not a valid name"), "{shown}");
        assert!(shown.contains("type [api]: "), "{shown}");
        let error = ask(&mut input, &mut Vec::new(), "more", None, &|_| Ok(())).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn yes_or_no() {
        let mut input = io::Cursor::new("maybe\nYes\n\n");
        let mut output = Vec::new();
        assert!(confirm(&mut input, &mut output, "public?", false).unwrap());
        assert!(!confirm(&mut input, &mut output, "public?", false).unwrap());
    }
}
