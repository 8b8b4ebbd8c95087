//! Hostile and broken input generated at run time: every one gives findings, never a
//! panic, a hang or exit code 3.

use std::fs;
use std::path::Path;

use super::*;

const TEAM: &str = "apiVersion: paved.dev/v1\nkind: Team\nmetadata:\n  name: core\n";

fn repo_with(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, bytes) in files {
        let path = dir.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }
    dir
}

#[test]
fn a_50_mb_intent_file_is_refused_without_reading_it() {
    let mut big =
        b"apiVersion: paved.dev/v1\nkind: Service\nmetadata:\n  name: big\n  description: \""
            .to_vec();
    big.resize(50 * 1024 * 1024, b'a');
    let dir = repo_with(&[("services/big.yaml", &big)]);
    let (code, report) = check_json(dir.path());
    assert_eq!(code, 1);
    assert_eq!(codes(&report), ["file-too-large"]);
    assert_eq!(report["findings"][0]["severity"], "error");
}

#[test]
fn a_big_yaml_file_of_another_tool_is_only_a_warning() {
    let big = "key: value\n".repeat(200_000);
    let dir = repo_with(&[("docs/openapi.yaml", big.as_bytes())]);
    let (code, report) = check_json(dir.path());
    assert_eq!(code, 0);
    assert_eq!(codes(&report), ["file-too-large"]);
    assert_eq!(report["findings"][0]["severity"], "warning");
}

#[cfg(unix)]
#[test]
fn links_to_outside_the_repository_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("team.yaml"), TEAM).unwrap();
    let dir = repo_with(&[]);
    std::os::unix::fs::symlink(
        outside.path().join("team.yaml"),
        dir.path().join("team.yaml"),
    )
    .unwrap();
    let (code, report) = check_json(dir.path());
    assert_eq!(code, 1);
    assert_eq!(codes(&report), ["symlink-outside-repo"]);
}

#[test]
fn random_bytes_in_a_yaml_file() {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let dir = repo_with(&[("teams/core.yaml", TEAM.as_bytes()), ("noise.yaml", &bytes)]);
    let (code, report) = check_json(dir.path());
    assert_eq!(code, 1);
    assert_eq!(codes(&report), ["file-binary"]);
}

/// Every prefix of a real intent file, and the file with each line dropped, loads
/// without a panic and with located findings (in process: thousands of cases).
#[test]
fn truncated_and_mangled_intents_never_panic() {
    let text = fs::read_to_string(testdata("example/services/checkout-api/service.yaml"))
        .expect("the example has a checkout-api service");
    let schemas = paved::load::schema::Schemas::new().unwrap();
    let mut cases: Vec<String> = text
        .char_indices()
        .map(|(i, _)| text[..i].to_string())
        .collect();
    let lines: Vec<&str> = text.lines().collect();
    for skip in 0..lines.len() {
        let mut mangled: Vec<&str> = lines.clone();
        mangled.remove(skip);
        cases.push(mangled.join("\n"));
        let mut tabbed = lines.clone();
        let replaced = lines[skip].replacen("  ", "\t", 1);
        tabbed[skip] = &replaced;
        cases.push(tabbed.join("\n"));
    }
    for case in cases {
        let file = std::sync::Arc::new(paved::syntax::source::SourceFile::new(
            "s.yaml",
            case.clone(),
        ));
        let loaded = paved::syntax::yaml::load(&file, paved::syntax::yaml::Limits::default());
        let mut findings: Vec<paved::diag::finding::Finding> = loaded
            .problems
            .iter()
            .map(|p| paved::diag::finding::yaml_finding(&file, p))
            .collect();
        paved::load::intent::load_documents(&file, loaded.documents, &schemas, None, &mut findings);
        for finding in findings {
            let span = finding.location.span;
            assert!(span.line >= 1 && span.column >= 1, "{case:?}");
            assert!(span.end <= case.len(), "{case:?}");
            assert!(!finding.help.is_empty());
        }
    }
}

#[test]
fn missing_repository_is_a_usage_error() {
    let output = paved(&["check", "--repo", "/nonexistent/paved/repo"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("not a folder"));
}

#[test]
fn empty_repository_is_clean() {
    let dir = repo_with(&[]);
    let (code, report) = check_json(dir.path());
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["intents"], 0);
    let _ = Path::new("");
}
