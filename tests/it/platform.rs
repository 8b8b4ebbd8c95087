//! The platform team's extensions in `platform/`: a new resource type, a replaced
//! built-in one, a Kubernetes template and a patch, and their failure modes.

use std::fs;
use std::path::Path;

use super::*;

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&testdata("platform"), dir.path(), &["generated"]);
    dir
}

fn edit(repo: &Path, path: &str, from: &str, to: &str) {
    let path = repo.join(path);
    let text = fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", path.display());
    fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

fn render_json(repo: &Path) -> (i32, serde_json::Value) {
    paved_json("render", repo, &[])
}

fn first_finding(report: &serde_json::Value) -> (String, String, u64) {
    let f = &report["findings"][0];
    (
        f["code"].as_str().unwrap().to_string(),
        f["file"].as_str().unwrap().to_string(),
        f["line"].as_u64().unwrap(),
    )
}

/// Every generated file of the fixture, under a header line, as one snapshot.
#[test]
fn extended_output() {
    let repo = fixture();
    let output = paved(&["render", "--repo", repo.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let again = paved(&["render", "--repo", repo.path().to_str().unwrap()]);
    assert!(stderr(&again).contains("0 created, 0 updated, 0 deleted"));
    let mut text = String::new();
    for (relative, bytes) in files(&repo.path().join("generated")) {
        text.push_str(&format!(
            "==> {relative} <==\n{}\n",
            String::from_utf8(bytes).unwrap()
        ));
    }
    assert!(text.contains("resource \"aws_dynamodb_table\" \"table\""));
    assert!(
        text.contains("module \"archive\""),
        "the built-in bucket is replaced"
    );
    assert!(!text.contains("aws_s3_bucket_public_access_block"));
    assert!(
        text.contains("name: log-shipper"),
        "the patch adds the sidecar"
    );
    assert!(text.contains("kind: ConfigMap"), "the template adds a file");
    insta::assert_snapshot!(text);
}

#[test]
fn a_new_type_checks_its_params_with_its_schema() {
    let repo = fixture();
    edit(
        repo.path(),
        "services/orders/service.yaml",
        "params: {hashKey: orderId}",
        "params: {hashKey: 5}",
    );
    let (code, report) = check_json(repo.path());
    assert_eq!(code, 1);
    assert_eq!(
        first_finding(&report),
        (
            "wrong-type".into(),
            "services/orders/service.yaml".into(),
            21
        )
    );
    assert_eq!(
        report["findings"][0]["message"],
        "`spec.resources.table.params.hashKey` must be a string, not an integer"
    );
}

#[test]
fn a_new_type_declares_its_outputs_and_classes() {
    let repo = fixture();
    edit(
        repo.path(),
        "services/orders/service.yaml",
        "${resources.table.arn}",
        "${resources.table.url}",
    );
    edit(
        repo.path(),
        "services/orders/service.yaml",
        "class: on-demand",
        "class: huge",
    );
    let (code, report) = check_json(repo.path());
    assert_eq!(code, 1);
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "`${resources.table.url}`: a dynamodb resource has no output `url`",
            "a dynamodb resource has no class `huge`",
        ]
    );
}

#[test]
fn template_errors_point_at_the_template_line() {
    let repo = fixture();
    edit(
        repo.path(),
        "platform/provisioners/dynamodb/main.tf.j2",
        "hash_key = {{ resource.params.hashKey }}",
        "hash_key = {{ resource.params.rangeKey }}",
    );
    let (code, report) = render_json(repo.path());
    assert_eq!(code, 1);
    let (finding_code, file, line) = first_finding(&report);
    assert_eq!(finding_code, "template-error");
    assert_eq!(file, "platform/provisioners/dynamodb/main.tf.j2");
    assert_eq!(line, 4);
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("resource `table` of `orders` in `prod`"),
        "{message}"
    );
    assert!(
        !repo.path().join("generated").exists(),
        "nothing is written"
    );
}

/// A file a template renders that its parser refuses is reported where the template
/// wrote the text the parser stopped at, not at the template's first line.
#[test]
fn invalid_template_output_points_at_the_template_text() {
    let repo = fixture();
    edit(
        repo.path(),
        "platform/templates/kubernetes/configmap.yaml.j2",
        "environment: {{ environment.name }}",
        "environment: {{ environment.name }}: x",
    );
    let (code, report) = render_json(repo.path());
    assert_eq!(code, 1);
    let finding = &report["findings"][0];
    assert_eq!(finding["code"], "template-error");
    assert_eq!(
        finding["file"],
        "platform/templates/kubernetes/configmap.yaml.j2"
    );
    // `  environment: {{ environment.name }}: x`: the second colon.
    assert_eq!(
        (finding["line"].as_u64(), finding["column"].as_u64()),
        (Some(10), Some(38))
    );

    let repo = fixture();
    edit(
        repo.path(),
        "platform/provisioners/dynamodb/main.tf.j2",
        "stream_enabled = true",
        "stream_enabled = = true",
    );
    let (code, report) = render_json(repo.path());
    assert_eq!(code, 1);
    let finding = &report["findings"][0];
    assert_eq!(finding["code"], "template-error");
    assert_eq!(finding["file"], "platform/provisioners/dynamodb/main.tf.j2");
    assert_eq!(finding["line"].as_u64(), Some(5));
    let message = finding["message"].as_str().unwrap();
    assert!(message.contains("is not valid HCL"), "{message}");
}

#[test]
fn template_syntax_errors_are_found_by_check() {
    let repo = fixture();
    edit(
        repo.path(),
        "platform/templates/kubernetes/configmap.yaml.j2",
        "team: {{ service.team }}",
        "team: {{ service.team }",
    );
    let (code, report) = check_json(repo.path());
    assert_eq!(code, 1);
    assert_eq!(
        first_finding(&report),
        (
            "template-error".into(),
            "platform/templates/kubernetes/configmap.yaml.j2".into(),
            9
        )
    );
}

#[test]
fn failing_patches_name_the_object() {
    let repo = fixture();
    edit(
        repo.path(),
        "platform/patches/sidecar.yaml",
        "path: /spec/template/spec/containers/-",
        "path: /spec/template/spec/sidecars/-",
    );
    let (code, report) = render_json(repo.path());
    assert_eq!(code, 1);
    let (finding_code, file, line) = first_finding(&report);
    assert_eq!(
        (finding_code.as_str(), file.as_str()),
        ("patch-failed", "platform/patches/sidecar.yaml")
    );
    assert_eq!(line, 15);
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("kubernetes/prod/core/orders/deployment.yaml"),
        "{message}"
    );
}

#[test]
fn templates_escape_intent_values() {
    let repo = fixture();
    edit(
        repo.path(),
        "services/orders/service.yaml",
        "image: ghcr.io/acme/orders:2.0.0",
        "image: ghcr.io/acme/orders:2.0.0\n  x-note: x",
    );
    edit(
        repo.path(),
        "platform/templates/kubernetes/configmap.yaml.j2",
        "image: {{ service.image }}",
        "image: {{ service.image }}\n  description: {{ service.annotations }}\n  injected: {{ \"a\\nkind: Secret\" }}",
    );
    let output = paved(&["render", "--repo", repo.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = fs::read_to_string(
        repo.path()
            .join("generated/kubernetes/prod/core/orders/configmap.yaml"),
    )
    .unwrap();
    assert!(text.contains("injected: \"a\\nkind: Secret\"\n"), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.starts_with("kind:")).count(),
        1,
        "{text}"
    );
}
