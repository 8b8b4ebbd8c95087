//! Every built-in policy rule against its fixtures in `testdata/policies/<code>/`:
//! `fail/` must raise the rule (its findings, with line and column, are snapshotted),
//! `pass/` must not. Rules over rendered objects are exercised through `render`.

use std::collections::BTreeSet;
use std::path::Path;

use super::*;

fn findings_of(repo: &Path, code: &str) -> (i32, serde_json::Value) {
    let output = paved(&[
        "render",
        "--check",
        "--repo",
        repo.to_str().unwrap(),
        "--format",
        "json",
    ]);
    let status = output.status.code().unwrap();
    let mut report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{}: no JSON ({e}): {}", repo.display(), stderr(&output)));
    if let Some(findings) = report["findings"].as_array_mut() {
        findings.retain(|f| f["code"] == code);
    }
    (status, report)
}

#[test]
fn every_built_in_rule_has_fixtures() {
    let root = testdata("policies");
    let rules: Vec<String> = paved::validate::policy::BUILT_IN
        .iter()
        .filter(|(path, _)| !path.ends_with("_test.rego"))
        .map(|(path, _)| {
            path.trim_start_matches("policies/")
                .trim_end_matches(".rego")
                .replace('_', "-")
        })
        .collect();
    assert!(rules.len() >= 15);
    for code in rules {
        let (status, failing) = findings_of(&root.join(&code).join("fail"), &code);
        let found = failing["findings"].as_array().unwrap();
        assert!(!found.is_empty(), "{code}/fail raises no `{code}`");
        let severity = found[0]["severity"].as_str().unwrap();
        if severity == "error" {
            assert_eq!(status, 1, "{code}/fail");
        }
        insta::assert_snapshot!(format!("policy__{code}"), findings_text(status, &failing));
        let (_, passing) = findings_of(&root.join(&code).join("pass"), &code);
        assert!(
            passing["findings"].as_array().unwrap().is_empty(),
            "{code}/pass raises `{code}`: {passing:#}"
        );
    }
}

fn example_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&testdata("example"), dir.path(), &["generated"]);
    dir
}

fn codes_at(report: &serde_json::Value) -> Vec<(String, String, u64, String)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["severity"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// An organisation policy dropped into `platform/policies/` takes effect with no other
/// change, and lands on the offending line.
#[test]
fn an_organisation_policy_takes_effect_when_dropped_in() {
    let repo = example_copy();
    std::fs::write(
        repo.path().join("platform/policies/no_redis.rego"),
        r#"package acme.no_redis

import rego.v1

meta := {"code": "no-redis", "title": "Caches use the platform's Valkey", "fix": "Use type `valkey`."}

deny contains {"msg": sprintf("resource %s is a redis cache", [name]), "path": sprintf("spec.resources.%s.type", [name])} if {
	some name, resource in input.intent.spec.resources
	resource.type == "redis"
}
"#,
    )
    .unwrap();
    let (code, report) = check_json(repo.path());
    assert_eq!(code, 1);
    let found: Vec<_> = codes_at(&report)
        .into_iter()
        .filter(|f| f.0 == "no-redis")
        .collect();
    assert_eq!(
        found,
        [
            (
                "no-redis".into(),
                "services/cart-api/service.yaml".into(),
                53,
                "error".into()
            ),
            (
                "no-redis".into(),
                "services/catalog-api/service.yaml".into(),
                56,
                "error".into()
            ),
            (
                "no-redis".into(),
                "services/search-api/service.yaml".into(),
                68,
                "error".into()
            ),
            (
                "no-redis".into(),
                "services/storefront-web/service.yaml".into(),
                83,
                "error".into()
            ),
        ]
    );
    let explained = stdout(&paved(&[
        "explain",
        "no-redis",
        "--repo",
        repo.path().to_str().unwrap(),
    ]));
    assert!(explained.contains("Caches use the platform's Valkey"));
}

/// A policy over rendered objects that names its `kinds` sees those objects only; a
/// malformed `kinds` is a finding on the policy.
#[test]
fn a_policy_sees_only_the_kinds_it_names() {
    let repo = example_copy();
    let policy = |kinds: &str| {
        format!(
            r#"package acme.every_object

import rego.v1

meta := {{"code": "every-object", "target": "kubernetes", "severity": "warn", "kinds": {kinds}}}

warn contains sprintf("%s %s", [input.object.kind, input.object.metadata.name]) if {{
	input.object.kind
}}
"#
        )
    };
    let path = repo.path().join("platform/policies/every_object.rego");
    std::fs::write(&path, policy(r#"["Service", "ServiceAccount"]"#)).unwrap();
    let (_, report) = findings_of(repo.path(), "every-object");
    let messages: BTreeSet<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect();
    let kinds: BTreeSet<&str> = messages
        .iter()
        .map(|m| m.split_once("`: ").unwrap().1.split(' ').next().unwrap())
        .collect();
    assert_eq!(
        kinds,
        BTreeSet::from(["Service", "ServiceAccount"]),
        "{messages:#?}"
    );
    std::fs::write(&path, policy(r#""Service""#)).unwrap();
    let (code, report) = findings_of(repo.path(), "policy-error");
    assert_eq!(code, 1);
    let found = codes_at(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].1, "platform/policies/every_object.rego");
}

#[test]
fn severities_come_from_paved_yaml() {
    let repo = example_copy();
    let config = repo.path().join("paved.yaml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\npolicies:\n  rules:\n    image-pinned: warn\n  environments:\n    prod:\n      image-pinned: off\n");
    std::fs::write(&config, text).unwrap();
    let intent = repo.path().join("services/email-worker/service.yaml");
    let service = std::fs::read_to_string(&intent).unwrap();
    std::fs::write(
        &intent,
        service.replace(
            "image: ghcr.io/acme/email-worker:0.9.2\n",
            "image: ghcr.io/acme/email-worker:latest\n",
        ),
    )
    .unwrap();
    let (code, report) = check_json(repo.path());
    assert_eq!(code, 0, "{report:#}");
    let pinned: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "image-pinned")
        .collect();
    assert_eq!(pinned.len(), 1);
    assert_eq!(pinned[0]["severity"], "warning");
    // email-worker is disabled in dev, and prod turns the rule off.
    assert!(
        pinned[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("in `staging`:"),
        "{:#}",
        pinned[0]
    );
}

/// A policy finding points at what decided it: the rule that fired (of several in one
/// set, the one that produced the finding), in the organisation's policy or in one built
/// into paved, or the paved.yaml setting that changed its severity.
#[test]
fn policy_findings_point_at_the_rule_that_fired_or_at_the_setting() {
    let repo = example_copy();
    let policy = r#"package acme.no_cache

import rego.v1

meta := {"code": "no-cache", "title": "Caches use the platform's Valkey"}

deny contains "memcached is not offered" if {
	some resource in input.intent.spec.resources
	resource.type == "memcached"
}

deny contains {"msg": sprintf("resource %s is a redis cache", [name]), "path": sprintf("spec.resources.%s.type", [name])} if {
	some name, resource in input.intent.spec.resources
	resource.type == "redis"
}
"#;
    std::fs::write(repo.path().join("platform/policies/no_cache.rego"), policy).unwrap();
    let config = repo.path().join("paved.yaml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("\npolicies:\n  environments:\n    prod:\n      no-cache: warn\n");
    let setting_line = text.lines().count();
    std::fs::write(&config, text).unwrap();
    let (code, report) = check_json(repo.path());
    assert_eq!(code, 1);
    let findings = report["findings"].as_array().unwrap();
    let labels = |code: &str, file: &str| -> Vec<(String, String, serde_json::Value)> {
        findings
            .iter()
            .filter(|f| f["code"] == code && f["file"] == file)
            .map(|f| {
                let related = f["related"].as_array().unwrap();
                assert_eq!(related.len(), 1, "{f:#}");
                let r = &related[0];
                let at = format!(
                    "{}:{}:{}",
                    r["file"].as_str().unwrap(),
                    r["line"],
                    r["column"]
                );
                let message = f["message"].as_str().unwrap().split(':').next().unwrap();
                (
                    format!("{} {message}", f["severity"].as_str().unwrap()),
                    format!("{at} {}", r["message"].as_str().unwrap()),
                    r["builtIn"].clone(),
                )
            })
            .collect()
    };
    let null = serde_json::Value::Null;
    assert_eq!(
        labels("no-cache", "services/cart-api/service.yaml"),
        [
            (
                String::from("error in `dev` and `staging`"),
                String::from("platform/policies/no_cache.rego:12:1 `deny` rule defined here"),
                null.clone()
            ),
            (
                String::from("warning in `prod`"),
                format!("paved.yaml:{setting_line}:17 severity in `prod` set here"),
                null
            ),
        ]
    );
    assert_eq!(
        labels("prod-image-digest", "services/search-api/service.yaml"),
        [(
            String::from("note in `prod`"),
            String::from(
                "policies/prod_image_digest.rego:14:1 `warn` rule defined here, built into paved"
            ),
            serde_json::Value::Bool(true)
        )]
    );
    // Code scanning does not look for a built-in policy in the repository.
    let sarif: serde_json::Value = serde_json::from_slice(
        &paved(&[
            "check",
            "--repo",
            repo.path().to_str().unwrap(),
            "--format",
            "sarif",
        ])
        .stdout,
    )
    .unwrap();
    let run = &sarif["runs"][0];
    let base = |rule: &str| {
        let result = run["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["ruleId"] == rule)
            .unwrap();
        result["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"].clone()
    };
    assert_eq!(base("prod-image-digest"), "%PAVED%");
    assert_eq!(base("no-cache"), "%SRCROOT%");
    assert!(run["originalUriBaseIds"]["%PAVED%"]["description"]["text"].is_string());
}

#[test]
fn expired_waivers_fail_and_stop_waiving() {
    let repo = example_copy();
    let output = paved(&[
        "check",
        "--repo",
        repo.path().to_str().unwrap(),
        "--format",
        "json",
        "--today",
        "2029-07-01",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let findings = codes_at(&report);
    assert!(
        findings.contains(&(
            "waiver-expired".into(),
            "platform/waivers.yaml".into(),
            5,
            "error".into()
        )),
        "{findings:?}"
    );
    assert!(findings.contains(&(
        "waiver-expired".into(),
        "services/storefront-web/service.yaml".into(),
        24,
        "error".into()
    )));
    assert!(findings.contains(&(
        "prod-image-digest".into(),
        "services/search-api/service.yaml".into(),
        20,
        "warning".into()
    )));
}

#[test]
fn unknown_and_unused_waivers_are_reported() {
    let repo = example_copy();
    let waivers = repo.path().join("platform/waivers.yaml");
    let mut text = std::fs::read_to_string(&waivers).unwrap();
    text.push_str("  - rule: prod-image-digst\n    services: [cart-api]\n    reason: a typo in the rule's code\n    expires: \"2029-06-30\"\n");
    text.push_str("  - rule: public-tls\n    teams: [payments]\n    reason: nothing of payments is public without TLS\n    expires: \"2029-06-30\"\n");
    std::fs::write(&waivers, text).unwrap();
    let (code, report) = check_json(repo.path());
    assert_eq!(code, 1);
    let findings = codes_at(&report);
    assert!(
        findings.contains(&(
            "waiver-unknown-rule".into(),
            "platform/waivers.yaml".into(),
            10,
            "error".into()
        )),
        "{findings:?}"
    );
    assert!(
        findings.contains(&(
            "waiver-unused".into(),
            "platform/waivers.yaml".into(),
            14,
            "warning".into()
        )),
        "{findings:?}"
    );
    let unknown = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "waiver-unknown-rule")
        .unwrap();
    assert_eq!(unknown["help"], "did you mean `prod-image-digest`?");
}

#[test]
fn broken_policies_are_findings_at_their_line() {
    let repo = example_copy();
    std::fs::write(
        repo.path().join("platform/policies/broken.rego"),
        "package acme.broken\n\nimport rego.v1\n\nmeta := {\"code\": \"broken\"}\n\ndeny contains x if {\n  x := input.intent +\n}\n",
    )
    .unwrap();
    let (code, report) = check_json(repo.path());
    assert_eq!(code, 1);
    assert!(
        codes_at(&report).contains(&(
            "policy-error".into(),
            "platform/policies/broken.rego".into(),
            8,
            "error".into()
        )),
        "{report:#}"
    );
}

#[test]
fn policy_tests_run_and_report() {
    let repo = example_copy();
    let output = paved(&["policy", "test", "--repo", repo.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stdout(&output)
            .contains("PASS platform/policies/stack_tag_test.rego: test_untagged_service_warns")
    );
    std::fs::write(
        repo.path().join("platform/policies/stack_tag_more_test.rego"),
        "package paved.org.stack_tag_more_test\n\nimport data.paved.org.stack_tag\nimport rego.v1\n\ntest_wrong_expectation if {\n\tcount(stack_tag.warn) == 5 with input as {\"intent\": {\"metadata\": {\"tags\": []}}}\n}\n",
    )
    .unwrap();
    let output = paved(&["policy", "test", "--repo", repo.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stdout(&output)
            .contains("FAIL platform/policies/stack_tag_more_test.rego: test_wrong_expectation")
    );
    let builtin = paved(&[
        "policy",
        "test",
        "--builtin",
        "--repo",
        repo.path().to_str().unwrap(),
    ]);
    assert!(
        stdout(&builtin).contains("PASS policies/image_pinned_test.rego: test_latest_is_denied")
    );
}
