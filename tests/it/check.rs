//! `paved check` on the example monorepo and on one fixture per kind of mistake.

use super::*;

#[test]
fn example_monorepo_is_clean() {
    let (code, report) = check_json(&testdata("example"));
    assert_eq!(code, 0, "{report:#}");
    let findings = report["findings"].as_array().unwrap();
    // Only notes: the two findings the example's waivers silence.
    assert!(
        findings
            .iter()
            .all(|f| f["severity"] == "note" && f["waived"].is_object()),
        "{report:#}"
    );
    assert_eq!(findings.len(), 2);
    assert!(report["summary"]["intents"].as_u64().unwrap() >= 11);
}

#[test]
fn example_monorepo_human_output() {
    let output = paved(&["check", "--repo", testdata("example").to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).is_empty());
    insta::assert_snapshot!(stderr(&output));
}

/// Every case folder's findings, with file, line and column, are snapshotted; the
/// folder's name is the code it demonstrates and must be among them.
#[test]
fn invalid_cases() {
    let root = testdata("invalid");
    let mut cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() > 30, "only {} invalid cases", cases.len());
    for case in cases {
        let name = case.file_name().unwrap().to_str().unwrap().to_string();
        let (code, report) = check_json(&case);
        let expected_exit = if name == "config-invalid" { 2 } else { 1 };
        assert_eq!(code, expected_exit, "{name}: {report:#}");
        let codes: Vec<&str> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect();
        let expected = name.trim_end_matches("-tabs");
        if paved::diag::codes::Code::from_name(expected).is_some() {
            assert!(codes.contains(&expected), "{name}: got {codes:?}");
        }
        // Policy rules have their own fixtures (testdata/policies); here they are noise.
        let mut report = report;
        if let Some(findings) = report["findings"].as_array_mut() {
            findings.retain(|f| {
                paved::diag::codes::Code::from_name(f["code"].as_str().unwrap()).is_some()
            });
        }
        insta::assert_snapshot!(format!("invalid__{name}"), findings_text(code, &report));
    }
}

#[test]
fn many_mistakes_are_all_reported_each_on_its_line() {
    let (code, report) = check_json(&testdata("invalid/many-mistakes"));
    assert_eq!(code, 1);
    let findings = report["findings"].as_array().unwrap();
    let lines: std::collections::BTreeSet<u64> = findings
        .iter()
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert!(findings.len() >= 8, "{report:#}");
    assert_eq!(
        lines.len(),
        findings.len(),
        "two findings share a line: {report:#}"
    );
}

#[test]
fn human_output_points_at_the_line() {
    let output = paved(&[
        "check",
        "--repo",
        testdata("invalid/unknown-owner").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    insta::assert_snapshot!(stderr(&output));
}

#[test]
fn github_annotations() {
    let output = paved(&[
        "check",
        "--repo",
        testdata("invalid/many-mistakes").to_str().unwrap(),
        "--format",
        "github",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    for line in text.lines() {
        assert!(
            line.starts_with("::error file=") || line.starts_with("::warning file="),
            "{line}"
        );
        assert!(line.contains(",line=") && line.contains(",col="), "{line}");
        assert!(!line[2..].contains('\n'));
    }
    insta::assert_snapshot!(text);
}

#[test]
fn output_is_deterministic() {
    let repo = testdata("invalid/many-mistakes");
    let first = paved(&[
        "check",
        "--repo",
        repo.to_str().unwrap(),
        "--format",
        "json",
    ]);
    for _ in 0..3 {
        let again = paved(&[
            "check",
            "--repo",
            repo.to_str().unwrap(),
            "--format",
            "json",
        ]);
        assert_eq!(first.stdout, again.stdout);
    }
}
