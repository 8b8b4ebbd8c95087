//! The command line itself: help texts, explain, schema export.

use super::*;

#[test]
fn help_texts() {
    for args in [
        &["--help"][..],
        &["check", "--help"],
        &["explain", "--help"],
        &["schema", "--help"],
        &["diff", "--help"],
        &["new", "service", "--help"],
        &["graph", "--help"],
        &["convert", "score", "--help"],
    ] {
        let output = paved(args);
        assert_eq!(output.status.code(), Some(0));
        insta::assert_snapshot!(
            format!("help__{}", args.join("_").trim_start_matches("--")),
            stdout(&output)
        );
    }
}

#[test]
fn every_code_is_explained() {
    for info in paved::diag::codes::ALL {
        let output = paved(&["explain", info.name]);
        assert_eq!(output.status.code(), Some(0), "{}", info.name);
        let text = stdout(&output);
        assert!(text.starts_with(info.name));
        assert!(text.contains(info.explanation) && text.contains(info.fix));
    }
    let dir = tempfile::tempdir().unwrap();
    let list = stdout(&paved(&[
        "explain",
        "--list",
        "--repo",
        dir.path().to_str().unwrap(),
    ]));
    let built_in_rules = paved::validate::policy::BUILT_IN
        .iter()
        .filter(|(p, _)| !p.ends_with("_test.rego"))
        .count();
    assert_eq!(
        list.lines().count(),
        paved::diag::codes::ALL.len() + built_in_rules
    );
    for (path, _) in paved::validate::policy::BUILT_IN
        .iter()
        .filter(|(p, _)| !p.ends_with("_test.rego"))
    {
        let code = path
            .trim_start_matches("policies/")
            .trim_end_matches(".rego")
            .replace('_', "-");
        let text = stdout(&paved(&[
            "explain",
            &code,
            "--repo",
            dir.path().to_str().unwrap(),
        ]));
        assert!(
            text.starts_with(&format!("{code} (policy rule")),
            "{code}: {text}"
        );
    }
}

#[test]
fn unknown_code_suggests_the_closest() {
    let output = paved(&["explain", "unknown-ownr"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("did you mean `unknown-owner`?"));
}

#[test]
fn schemas_are_exported_as_shipped() {
    let dir = tempfile::tempdir().unwrap();
    let output = paved(&["schema", "--out", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0));
    for (name, _) in paved::load::schema::FILES {
        let exported = std::fs::read(dir.path().join(name)).unwrap();
        let shipped = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("schemas")
                .join(name),
        )
        .unwrap();
        assert_eq!(exported, shipped, "{name}");
    }
    let service = stdout(&paved(&["schema", "service"]));
    assert!(service.contains("\"title\": \"paved Service\""));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(paved(&["check", "--format", "xml"]).status.code(), Some(2));
    assert_eq!(paved(&["frobnicate"]).status.code(), Some(2));
}
