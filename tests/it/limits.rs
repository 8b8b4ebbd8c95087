//! Every limit of docs/limits.md, hit: a finding that names the limit and the paved.yaml
//! key that raises it, never a hang, an out-of-memory or a partial write. The small
//! hostile repositories are in `testdata/hostile/limits/`; big input is made here.

use std::fs;
use std::path::Path;

use super::*;

/// A copy of a repository of `testdata/hostile/limits/`, free to change and render into.
fn fixture(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(
        &testdata(&format!("hostile/limits/{name}")),
        dir.path(),
        &[],
    );
    dir
}

/// Set `limits.<key>` in the repository's paved.yaml.
fn set_limit(repo: &Path, key: &str, value: u64) {
    let path = repo.join("paved.yaml");
    let text = fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text
        .lines()
        .filter(|line| !line.trim_start().starts_with(&format!("{key}:")))
        .map(str::to_string)
        .collect();
    if !lines.iter().any(|line| line == "limits:") {
        lines.push(String::from("limits:"));
    }
    let at = lines.iter().position(|line| line == "limits:").unwrap();
    lines.insert(at + 1, format!("  {key}: {value}"));
    fs::write(&path, lines.join("\n") + "\n").unwrap();
}

fn findings(report: &serde_json::Value) -> &Vec<serde_json::Value> {
    report["findings"].as_array().expect("findings")
}

/// The report holds exactly one finding, of `code`, whose message names `key`; it is
/// returned.
fn only<'a>(report: &'a serde_json::Value, code: &str, key: &str) -> &'a serde_json::Value {
    let all = findings(report);
    assert_eq!(all.len(), 1, "{report:#}");
    let finding = &all[0];
    assert_eq!(finding["code"], code, "{report:#}");
    assert_eq!(finding["severity"], "error");
    let message = finding["message"].as_str().unwrap();
    assert!(message.contains(&format!("`{key}`")), "{message}");
    assert!(finding["line"].as_u64().unwrap() >= 1);
    finding
}

#[test]
fn each_input_limit_is_a_finding_naming_its_key_and_stops_the_render() {
    for (name, code, key, file, line) in [
        (
            "depth",
            "yaml-too-deep",
            "limits.maxDepth",
            "services/api/service.yaml",
            26,
        ),
        (
            "aliases",
            "yaml-alias-limit",
            "limits.maxAliasNodes",
            "services/api/service.yaml",
            14,
        ),
        (
            "documents",
            "yaml-too-many-documents",
            "limits.maxDocuments",
            "teams/shop.yaml",
            16,
        ),
        (
            "string",
            "yaml-string-too-long",
            "limits.maxStringBytes",
            "services/api/service.yaml",
            6,
        ),
    ] {
        let repo = fixture(name);
        let (code_check, report) = check_json(repo.path());
        assert_eq!(code_check, 1, "{name}");
        let finding = only(&report, code, key);
        assert_eq!(finding["file"], file, "{name}");
        assert_eq!(finding["line"], line, "{name}");
        let (code_render, report) = paved_json("render", repo.path(), &[]);
        assert_eq!(code_render, 1, "{name}");
        only(&report, code, key);
        assert!(
            !repo.path().join("generated").exists(),
            "{name} wrote files"
        );
    }
}

#[test]
fn raising_an_input_limit_in_paved_yaml_lets_the_file_through() {
    for (name, key, value) in [
        ("depth", "maxDepth", 32),
        ("documents", "maxDocuments", 10),
        ("string", "maxStringBytes", 1024),
    ] {
        let repo = fixture(name);
        set_limit(repo.path(), key, value);
        let (code, report) = check_json(repo.path());
        assert_eq!(code, 0, "{name}: {report:#}");
        assert!(findings(&report).is_empty(), "{name}: {report:#}");
    }
}

#[test]
fn a_billion_laughs_stops_even_at_the_largest_alias_limit() {
    let repo = fixture("aliases");
    set_limit(repo.path(), "maxAliasNodes", 1_000_000);
    let (code, report) = check_json(repo.path());
    assert_eq!(code, 1);
    let finding = only(&report, "yaml-alias-limit", "limits.maxAliasNodes");
    assert!(
        finding["message"].as_str().unwrap().contains("1000000"),
        "{finding}"
    );
}

/// A string over the default limit is neither quoted in the message nor shown in the
/// source snippet: it may be a secret, and it would flood the log.
#[test]
fn a_long_string_is_never_echoed() {
    let repo = fixture("string");
    let path = repo.path().join("services/api/service.yaml");
    let text = fs::read_to_string(&path).unwrap();
    let blob = "Pasted-Blob-Seed-".repeat(5_000);
    fs::write(
        &path,
        text.replace(
            "  owner: shop\n",
            &format!("  owner: shop\n  x-blob: {blob}\n"),
        ),
    )
    .unwrap();
    set_limit(repo.path(), "maxStringBytes", 65_536);
    let (code, report) = check_json(repo.path());
    assert_eq!(code, 1);
    let finding = only(&report, "yaml-string-too-long", "limits.maxStringBytes");
    assert_eq!(finding["line"], 6);
    for format in ["human", "json", "sarif", "github"] {
        let output = paved(&[
            "check",
            "--repo",
            repo.path().to_str().unwrap(),
            "--format",
            format,
            "--color",
            "never",
        ]);
        let all = stdout(&output) + &stderr(&output);
        assert!(all.contains("yaml-string-too-long"), "{format}: {all}");
        assert!(
            !all.contains("Pasted-Blob-Seed"),
            "{format} shows the string"
        );
        assert!(
            all.len() < blob.len(),
            "{format}: {} bytes of output",
            all.len()
        );
    }
}

/// Files over `limits.maxFileBytes` are not read, wherever they are: paved.yaml, the
/// platform's templates and the organisation's policies.
#[test]
fn big_files_anywhere_are_refused_without_reading_them() {
    let padding = format!("# {}\n", "x".repeat(2 * 1024 * 1024));
    let repo = fixture("depth");
    set_limit(repo.path(), "maxDepth", 32);
    let template = repo
        .path()
        .join("platform/templates/kubernetes/huge.yaml.j2");
    let policy = repo.path().join("platform/policies/huge.rego");
    for path in [&template, &policy] {
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, &padding).unwrap();
    }
    let (code, report) = check_json(repo.path());
    assert_eq!(code, 1, "{report:#}");
    let refused: Vec<&str> = findings(&report)
        .iter()
        .filter(|f| f["code"] == "file-too-large")
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        refused,
        [
            "platform/policies/huge.rego",
            "platform/templates/kubernetes/huge.yaml.j2"
        ]
    );
    for finding in findings(&report) {
        let message = finding["message"].as_str().unwrap();
        assert!(message.contains("`limits.maxFileBytes`"), "{message}");
    }
    // paved.yaml is read within the default limit, whatever it says.
    let config = repo.path().join("paved.yaml");
    let text = fs::read_to_string(&config).unwrap();
    fs::write(&config, text + &padding).unwrap();
    let (code, report) = check_json(repo.path());
    assert_eq!(code, 2, "{report:#}");
    let finding = only(&report, "file-too-large", "limits.maxFileBytes");
    assert_eq!(finding["file"], "paved.yaml");
}

#[test]
fn a_template_loop_stops_at_the_generated_file_limit() {
    let repo = fixture("output-file");
    let (code, report) = paved_json("render", repo.path(), &[]);
    assert_eq!(code, 1, "{report:#}");
    let finding = only(
        &report,
        "output-file-too-large",
        "limits.maxOutputFileBytes",
    );
    assert_eq!(
        finding["file"], "platform/templates/kubernetes/big.yaml.j2",
        "the finding points at the template"
    );
    assert!(
        !repo.path().join("generated").exists(),
        "files were written"
    );
    let (code, report) = paved_json("render", repo.path(), &["--check"]);
    assert_eq!(code, 1);
    only(
        &report,
        "output-file-too-large",
        "limits.maxOutputFileBytes",
    );
    // With room for it, the same template renders.
    set_limit(repo.path(), "maxOutputFileBytes", 1024 * 1024);
    let (code, report) = paved_json("render", repo.path(), &[]);
    assert_eq!(code, 0, "{report:#}");
    let big = repo
        .path()
        .join("generated/kubernetes/dev/shop/api/big.yaml");
    let size = fs::metadata(&big).expect("the template's file").len();
    assert!(size > 65_536, "{size}");
}

#[test]
fn a_render_over_the_output_limit_writes_nothing() {
    let repo = fixture("output-total");
    let (code, report) = paved_json("render", repo.path(), &[]);
    assert_eq!(code, 1, "{report:#}");
    let finding = only(&report, "output-too-large", "limits.maxOutputBytes");
    assert_eq!(finding["file"], "generated");
    assert!(
        !repo.path().join("generated").exists(),
        "files were written"
    );
    // The same finding every time, whichever part of the render passes the limit.
    let (_, again) = paved_json("render", repo.path(), &[]);
    assert_eq!(again, report);
    set_limit(repo.path(), "maxOutputBytes", 4 * 1024 * 1024);
    let (code, report) = paved_json("render", repo.path(), &[]);
    assert_eq!(code, 0, "{report:#}");
    let written: u64 = files(&repo.path().join("generated"))
        .values()
        .map(|bytes| bytes.len() as u64)
        .sum();
    assert!(written > 1024 * 1024, "{written}");
}
