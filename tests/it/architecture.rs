//! The shape of the code that ARCHITECTURE.md describes: the folders of `src/` are the
//! pipeline's stages in order, a folder imports only from lower ones, the crates that
//! do one job are used where that job is done, and no file grows past a size a reader
//! can hold.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The folders of `src/`, lowest first: each may import from those before it.
const STAGES: &[&str] = &[
    "syntax", "diag", "model", "types", "load", "validate", "render", "write", "review", "report",
    "pipeline", "commands", "cli",
];

/// Folders held to fewer imports than their place allows.
const NARROWER: &[(&str, &[&str])] = &[
    // The output formats know findings, not how they were found.
    ("report", &["syntax", "diag"]),
];

/// Crates that do one job, and the only places that use them.
const CONFINED: &[(&str, &[&str])] = &[
    ("gix", &["src/review/git.rs"]),
    ("clap", &["src/cli/args.rs", "src/main.rs"]),
    ("regorus", &["src/validate/policy/"]),
    ("saphyr", &["src/syntax/yaml.rs"]),
    ("saphyr_parser", &["src/syntax/yaml.rs"]),
    ("miette", &["src/report/"]),
    ("serde_sarif", &["src/report/"]),
    (
        "minijinja",
        &["src/load/templates/", "src/commands/scaffold.rs"],
    ),
];

/// The most lines a source file may have, unit tests included.
const MAX_LINES: usize = 800;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, by its path from the repository root.
fn sources(dir: &Path, out: &mut BTreeMap<String, String>) {
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let relative = path
                .strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")))
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            out.insert(relative, fs::read_to_string(&path).unwrap());
        }
    }
}

fn all_sources() -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    sources(&src(), &mut files);
    files
}

/// The code of a file without its comments' lines.
fn code(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.trim_start().starts_with("//") {
                ""
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The top-level modules a text names after `crate::`, with the line of each: the
/// first segment of every path, inside `use crate::{...}` groups too.
fn crate_paths(text: &str) -> Vec<(String, usize)> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let before = text[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue;
        }
        let line = text[..at].matches('\n').count() + 1;
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut item = String::new();
            let mut items = Vec::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    break;
                }
                if c == ',' && depth == 1 {
                    items.push(std::mem::take(&mut item));
                } else {
                    item.push(c);
                }
            }
            items.push(item);
            for item in items {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    found.push((name, line));
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            found.push((name, line));
        }
    }
    found
}

/// The stage of a file: the folder of `src/` it is in.
fn stage(path: &str) -> Option<&str> {
    let rest = path.strip_prefix("src/")?;
    let (folder, _) = rest.split_once('/')?;
    Some(folder)
}

#[test]
fn every_folder_is_a_stage_in_order() {
    let mut folders: Vec<String> = fs::read_dir(src())
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let mut stages: Vec<String> = STAGES.iter().map(|s| s.to_string()).collect();
    stages.sort();
    assert_eq!(folders, stages, "every folder of src/ is a stage of STAGES");
    // lib.rs declares them in the pipeline's order.
    let lib = fs::read_to_string(src().join("lib.rs")).unwrap();
    let declared: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.split_once("mod ").map(|(_, name)| name))
        .map(|name| name.trim_end_matches(';'))
        .collect();
    assert_eq!(declared, STAGES, "lib.rs lists the stages in order");
}

#[test]
fn no_folder_imports_a_higher_one() {
    let rank = |s: &str| STAGES.iter().position(|x| *x == s);
    let mut wrong = Vec::new();
    for (path, text) in all_sources() {
        let Some(from) = stage(&path) else {
            continue;
        };
        let Some(from_rank) = rank(from) else {
            continue;
        };
        let narrower = NARROWER.iter().find(|(s, _)| *s == from).map(|(_, a)| *a);
        for (to, line) in crate_paths(&code(&text)) {
            let Some(to_rank) = rank(&to) else {
                continue;
            };
            let allowed = to == from
                || match narrower {
                    Some(allowed) => allowed.contains(&to.as_str()),
                    None => to_rank < from_rank,
                };
            if !allowed {
                wrong.push(format!("{path}:{line}: {from} imports {to}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the stages' order (see ARCHITECTURE.md):\n{}",
        wrong.join("\n")
    );
}

/// The check above reads paths as the compiler does: a sample of each form.
#[test]
fn crate_paths_are_read_in_every_form() {
    let text =
        "use crate::a::b;\nuse crate::{c::D, e::{f, g}};\nlet x = crate::h::i();\nfoo_crate::j;";
    let names: Vec<String> = crate_paths(text).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["a", "c", "e", "h"]);
}

#[test]
fn crates_for_one_job_stay_where_it_is_done() {
    let mut wrong = Vec::new();
    for (path, text) in all_sources() {
        let code = code(&text);
        for (krate, places) in CONFINED {
            let used = [format!("{krate}::"), format!("use {krate};")]
                .iter()
                .any(|form| {
                    code.match_indices(form.as_str()).any(|(at, _)| {
                        !code[..at]
                            .chars()
                            .next_back()
                            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
                    })
                });
            if used && !places.iter().any(|p| path.starts_with(p)) {
                wrong.push(format!(
                    "{path} uses {krate} (kept to {})",
                    places.join(", ")
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_source_file_is_too_long_to_read() {
    let long: Vec<String> = all_sources()
        .into_iter()
        .filter(|(_, text)| text.lines().count() > MAX_LINES)
        .map(|(path, text)| format!("{path}: {} lines", text.lines().count()))
        .collect();
    assert!(
        long.is_empty(),
        "split these by job (at most {MAX_LINES} lines, tests included):\n{}",
        long.join("\n")
    );
}
