//! `paved render`: the example's committed output, idempotence, determinism, deletion
//! of what is no longer generated, hand-edit protection, overrides and injection.

use std::fs;
use std::path::Path;

use super::*;

/// A copy of the example monorepo, with or without its committed output.
fn example(with_output: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let skip: &[&str] = if with_output { &[] } else { &["generated"] };
    copy_dir(&testdata("example"), dir.path(), skip);
    dir
}

fn render(repo: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["render", "--repo", repo.to_str().unwrap()];
    args.extend_from_slice(extra);
    paved(&args)
}

/// The committed `testdata/example/generated` is the snapshot of the whole tree: it
/// must be exactly what paved renders now (`UPDATE_GENERATED=1` rewrites it).
#[test]
fn example_output_matches_the_committed_tree() {
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        let output = render(&testdata("example"), &[]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    }
    let repo = example(true);
    let output = render(repo.path(), &["--check"]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "testdata/example/generated is stale; run `UPDATE_GENERATED=1 cargo test --test it example_output`:\n{}",
        stdout(&output)
    );
    assert!(stderr(&output).contains("is up to date"));
}

#[test]
fn rendering_again_changes_nothing() {
    let repo = example(false);
    let first = render(repo.path(), &[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let before = files(&repo.path().join("generated"));
    let second = render(repo.path(), &[]);
    assert_eq!(second.status.code(), Some(0));
    assert!(
        stderr(&second).contains("0 created, 0 updated, 0 deleted"),
        "{}",
        stderr(&second)
    );
    assert_eq!(before, files(&repo.path().join("generated")));
    assert_eq!(render(repo.path(), &["--check"]).status.code(), Some(0));
}

#[test]
fn two_folders_give_identical_trees() {
    let (a, b) = (example(false), example(false));
    assert_eq!(render(a.path(), &[]).status.code(), Some(0));
    assert_eq!(render(b.path(), &[]).status.code(), Some(0));
    let (a, b) = (
        files(&a.path().join("generated")),
        files(&b.path().join("generated")),
    );
    assert!(a.len() > 300);
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (path, bytes) in &a {
        assert!(bytes == &b[path], "{path} differs");
    }
}

#[test]
fn an_intent_edit_makes_the_check_fail_with_a_diff() {
    let repo = example(true);
    let intent = repo.path().join("services/checkout-api/service.yaml");
    let text = fs::read_to_string(&intent).unwrap();
    fs::write(&intent, text.replace("max: 24", "max: 30")).unwrap();
    let output = render(repo.path(), &["--check"]);
    assert_eq!(output.status.code(), Some(1));
    let diff = stdout(&output);
    assert!(
        diff.contains(
            "+++ b/generated/kubernetes/prod/payments/checkout-api/horizontalpodautoscaler.yaml"
        ),
        "{diff}"
    );
    assert!(
        diff.contains("-  maxReplicas: 24\n+  maxReplicas: 30\n"),
        "{diff}"
    );
    assert!(stderr(&output).contains("run `paved render`"));
}

#[test]
fn removing_a_service_deletes_exactly_its_files() {
    let repo = example(false);
    assert_eq!(render(repo.path(), &[]).status.code(), Some(0));
    let before = files(&repo.path().join("generated"));
    fs::remove_dir_all(repo.path().join("services/order-worker")).unwrap();
    let output = render(repo.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let after = files(&repo.path().join("generated"));
    let deleted: Vec<&String> = before.keys().filter(|p| !after.contains_key(*p)).collect();
    let search_files: Vec<&String> = before
        .keys()
        .filter(|p| {
            p.split('/')
                .any(|s| s == "order-worker" || s.starts_with("order-worker."))
        })
        .collect();
    assert!(!search_files.is_empty());
    assert_eq!(deleted, search_files);
    assert!(
        after.keys().all(|p| before.contains_key(p)),
        "no file is created"
    );
}

#[test]
fn hand_edits_are_reported_and_kept() {
    let repo = example(false);
    assert_eq!(render(repo.path(), &[]).status.code(), Some(0));
    let edited = repo
        .path()
        .join("generated/kubernetes/dev/payments/checkout-api/service.yaml");
    fs::write(&edited, "# hand edit\n").unwrap();
    let foreign = repo.path().join("generated/kubernetes/dev/notes.yaml");
    fs::write(&foreign, "mine: true\n").unwrap();
    let output = paved(&[
        "render",
        "--repo",
        repo.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["findings"][0]["code"], "generated-file-edited");
    assert_eq!(
        report["findings"][0]["file"],
        "generated/kubernetes/dev/payments/checkout-api/service.yaml"
    );
    assert_eq!(fs::read_to_string(&edited).unwrap(), "# hand edit\n");
    let forced = render(repo.path(), &["--force"]);
    assert_eq!(forced.status.code(), Some(0));
    assert!(
        fs::read_to_string(&edited)
            .unwrap()
            .contains("kind: Service")
    );
    assert_eq!(fs::read_to_string(&foreign).unwrap(), "mine: true\n");
}

#[test]
fn overrides_reach_their_environment_only() {
    let repo = example(false);
    assert_eq!(render(repo.path(), &[]).status.code(), Some(0));
    let read = |env: &str| {
        fs::read_to_string(repo.path().join(format!(
            "generated/kubernetes/{env}/payments/checkout-api/deployment.yaml"
        )))
        .unwrap()
    };
    assert!(read("prod").contains("cpu: \"1\"\n"), "prod is large");
    assert!(read("dev").contains("cpu: 100m\n"), "dev is xsmall");
    assert!(
        read("staging").contains("cpu: 500m\n"),
        "staging keeps medium"
    );
    assert!(read("prod").contains("topologySpreadConstraints"));
    assert!(!read("dev").contains("topologySpreadConstraints"));
}

#[test]
fn env_scoped_render_leaves_other_environments_alone() {
    let repo = example(false);
    assert_eq!(render(repo.path(), &[]).status.code(), Some(0));
    let prod = repo
        .path()
        .join("generated/kubernetes/prod/payments/checkout-api/deployment.yaml");
    let intent = repo.path().join("services/checkout-api/service.yaml");
    let text = fs::read_to_string(&intent).unwrap();
    fs::write(
        &intent,
        text.replace(
            "image: ghcr.io/acme/checkout-api:3.7.0",
            "image: ghcr.io/acme/checkout-api:3.8.0",
        ),
    )
    .unwrap();
    let output = render(repo.path(), &["--env", "dev"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        fs::read_to_string(&prod)
            .unwrap()
            .contains("checkout-api:3.7.0")
    );
    assert_eq!(
        render(repo.path(), &["--check", "--env", "dev"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(render(repo.path(), &["--check"]).status.code(), Some(1));
}

/// Values that look like YAML, JSON, HCL or template syntax stay literal strings.
#[test]
fn user_values_cannot_inject_structure() {
    let dir = tempfile::tempdir().unwrap();
    let hostile =
        "x\\nkind: Secret\\n\\\": {}\\n$${metadata.name} %{if true}yes%{endif} $(HOME) {{ .x }}";
    let expected =
        "x\nkind: Secret\n\": {}\n${metadata.name} %{if true}yes%{endif} $$(HOME) {{ .x }}";
    fs::create_dir_all(dir.path().join("teams")).unwrap();
    fs::write(
        dir.path().join("teams/core.yaml"),
        "apiVersion: paved.dev/v1\nkind: Team\nmetadata:\n  name: core\n",
    )
    .unwrap();
    fs::write(
        dir.path().join("api.yaml"),
        format!(
            "apiVersion: paved.dev/v1\nkind: Service\nmetadata:\n  name: api\n  owner: core\n  description: \"{hostile}\"\nspec:\n  image: ghcr.io/x/api:1\n  ports: [{{name: http, port: 8080}}]\n  env:\n    HOSTILE: \"{hostile}\"\n    MIXED: \"{hostile} ${{resources.db.host}}\"\n  resources:\n    db: {{type: postgres}}\n"
        ),
    )
    .unwrap();
    fs::write(
        dir.path().join("paved.yaml"),
        "cloud: {account: \"123456789012\"}\nenvironments:\n  dev: {cluster: dev}\n",
    )
    .unwrap();
    let output = render(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let generated = dir.path().join("generated");
    let load = |path: &str| {
        let text = fs::read_to_string(generated.join(path)).unwrap();
        let file = paved::syntax::source::SourceFile::new(path, text);
        let loaded = paved::syntax::yaml::load(&file, paved::syntax::yaml::Limits::default());
        assert!(loaded.problems.is_empty(), "{path}: {:?}", loaded.problems);
        loaded
            .documents
            .into_iter()
            .map(|d| d.to_json())
            .collect::<Vec<_>>()
    };
    let deployment = &load("kubernetes/dev/core/api/deployment.yaml")[0];
    let env = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap();
    let hostile_env = env.iter().find(|e| e["name"] == "HOSTILE").unwrap();
    assert_eq!(hostile_env["value"], expected);
    let secret = &load("kubernetes/dev/core/api/externalsecret-resources.yaml")[0];
    let template = secret["spec"]["target"]["template"]["data"]["MIXED"]
        .as_str()
        .unwrap();
    // The literal part is one quoted Go string: its `{{ .x }}` is text, not an action.
    assert!(template.starts_with("{{ \"x\\nkind: Secret"), "{template}");
    assert!(
        template.ends_with("{{ index . \"db.host\" }}"),
        "{template}"
    );
    let component = &load("catalog/components/api.yaml")[0];
    // Descriptions are not placeholders: `$$` stays as written.
    let description =
        "x\nkind: Secret\n\": {}\n$${metadata.name} %{if true}yes%{endif} $(HOME) {{ .x }}";
    assert_eq!(component["metadata"]["description"], description);
}
