//! Questions on a terminal, for `paved new` run without its flags: each answer is
//! checked, and asked again until it is valid.

use std::io::{self, BufRead, Write};

use crate::cli::Console;
use crate::commands::scaffold::{self, ServiceRequest};
use crate::pipeline::check;

/// Ask `question` until `check` accepts the answer; an empty answer takes `default`.
/// The end of the input is an error: nobody is there to answer.
pub(crate) fn ask(
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
pub(crate) fn confirm(
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

/// Ask for what `paved new service` was not told: the name and owner,
/// and, when no flag was given at all, the rest too.
#[allow(clippy::too_many_arguments)]
pub(crate) fn ask_service(
    console: &mut Console,
    checked: &check::Outcome,
    name: Option<String>,
    owner: Option<String>,
    kind: Option<String>,
    with: Vec<String>,
    public: bool,
    tier: Option<u8>,
    everything: bool,
) -> io::Result<ServiceRequest> {
    let (input, output) = (&mut *console.input, &mut *console.output);
    let catalog = &checked.catalog;
    let name = match name {
        Some(name) => name,
        None => ask(input, output, "service name", None, &|a| {
            scaffold::check_name(a)?;
            match catalog.services.get(a) {
                Some(e) => Err(format!("`{a}` exists already, in {}", e.origin.file.path)),
                None => Ok(()),
            }
        })?,
    };
    let owner = match owner {
        Some(owner) => owner,
        None => {
            let teams: Vec<&str> = catalog.teams.keys().map(String::as_str).collect();
            let question = format!("owner team ({})", teams.join(", "));
            let default = (teams.len() == 1).then(|| teams[0]);
            ask(input, output, &question, default, &|a| {
                scaffold::check_owner(a, catalog)
            })?
        }
    };
    if !everything {
        return Ok(ServiceRequest {
            name,
            owner,
            kind: kind.unwrap_or_else(|| String::from("api")),
            with,
            public,
            tier: tier.unwrap_or(3),
        });
    }
    let kind = ask(
        input,
        output,
        "type (api, web, worker)",
        Some("api"),
        &|a| {
            if scaffold::SERVICE_TYPES.contains(&a) {
                Ok(())
            } else {
                Err(String::from("one of api, web, worker"))
            }
        },
    )?;
    let registry = crate::types::Registry::new(&checked.platform.provisioners);
    let types = registry.names().join(", ");
    let with = ask(
        input,
        output,
        &format!("resources, comma-separated ({types})"),
        Some(""),
        &|a| {
            for kind in a.split(',').map(str::trim).filter(|k| !k.is_empty()) {
                if registry.find(kind).is_none() {
                    return Err(format!("`{kind}` is not a resource type"));
                }
            }
            Ok(())
        },
    )?;
    let with: Vec<String> = with
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect();
    let public = kind != "worker" && confirm(input, output, "public (on the internet)?", false)?;
    let tier = ask(
        input,
        output,
        "tier, 1 (business-critical) to 4 (best effort)",
        Some("3"),
        &|a| match a.parse::<u8>() {
            Ok(1..=4) => Ok(()),
            _ => Err(String::from("a number from 1 to 4")),
        },
    )?
    .parse()
    .unwrap_or(3);
    Ok(ServiceRequest {
        name,
        owner,
        kind,
        with,
        public,
        tier,
    })
}

/// Ask for the name of a new team.
pub(crate) fn ask_team_name(console: &mut Console) -> io::Result<String> {
    ask(
        &mut *console.input,
        &mut *console.output,
        "team name",
        None,
        &scaffold::check_name,
    )
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
