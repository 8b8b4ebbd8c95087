//! `paved init` and `paved new`: a new monorepo and a new service in one command each,
//! passing `paved check` and rendering at once.

use std::path::Path;

use super::*;

fn run(repo: &Path, args: &[&str]) -> Output {
    let mut all = args.to_vec();
    all.extend(["--repo", repo.to_str().unwrap()]);
    paved(&all)
}

fn initialised() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let output = paved(&["init", dir.path().to_str().unwrap(), "--org", "acme"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    dir
}

#[test]
fn init_then_new_service_checks_and_renders_at_once() {
    let dir = initialised();
    let repo = dir.path();
    for file in [
        "paved.yaml",
        "teams/platform.yaml",
        "services/hello/service.yaml",
        ".schemas/service.schema.json",
        ".github/workflows/paved-pull-request.yml",
        ".github/workflows/paved-main.yml",
    ] {
        assert!(repo.join(file).is_file(), "{file}");
    }
    let intent = std::fs::read_to_string(repo.join("services/hello/service.yaml")).unwrap();
    assert!(
        intent.starts_with("# yaml-language-server: $schema=../../.schemas/service.schema.json\n"),
        "{intent}"
    );
    let output = run(
        repo,
        &[
            "new", "service", "--name", "demo", "--owner", "platform", "--with", "postgres",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("wrote services/demo/service.yaml"));
    let (code, report) = check_json(repo);
    assert_eq!(code, 0, "{report}");
    let output = run(repo, &["render"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let generated = repo.join("generated");
    for file in [
        "kubernetes/prod/platform/demo/deployment.yaml",
        "kubernetes/prod/platform/demo/externalsecret-resources.yaml",
        "terraform/prod/demo/db.tf",
        "dashboards/demo.json",
        "catalog/components/demo.yaml",
        "alerts/prod/demo.yaml",
    ] {
        assert!(generated.join(file).is_file(), "{file}");
    }
    // The database's connection details reach the container.
    let deployment =
        std::fs::read_to_string(generated.join("kubernetes/prod/platform/demo/deployment.yaml"))
            .unwrap();
    assert!(deployment.contains("DB_PASSWORD"), "{deployment}");
}

#[test]
fn init_lists_the_files_in_the_way_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("paved.yaml"), "mine\n").unwrap();
    let output = paved(&["init", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("these files exist already: paved.yaml;"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("teams").exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("paved.yaml")).unwrap(),
        "mine\n"
    );
    let output = paved(&["init", dir.path().to_str().unwrap(), "--force"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        std::fs::read_to_string(dir.path().join("paved.yaml"))
            .unwrap()
            .contains("kind: Platform")
    );
}

#[test]
fn every_kind_of_service_is_valid() {
    let dir = initialised();
    let repo = dir.path();
    for args in [
        &[
            "--name",
            "shop",
            "--type",
            "web",
            "--public",
            "--with",
            "redis,bucket,dns",
            "--tier",
            "2",
        ][..],
        &[
            "--name",
            "jobs",
            "--type",
            "worker",
            "--with",
            "queue,mysql",
        ][..],
        &["--name", "two-dbs", "--with", "postgres,postgres"][..],
    ] {
        let mut all = vec!["new", "service", "--owner", "platform"];
        all.extend_from_slice(args);
        let output = run(repo, &all);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    let (code, report) = check_json(repo);
    assert_eq!(code, 0, "{report}");
    let output = run(repo, &["render"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        repo.join("generated/kubernetes/prod/platform/shop/ingress.yaml")
            .is_file()
    );
}

#[test]
fn mistakes_are_refused_with_what_to_do() {
    let dir = initialised();
    let repo = dir.path();
    for (args, expected) in [
        (
            &["--name", "x", "--owner", "platfrm"][..],
            "did you mean `platform`?",
        ),
        (
            &["--name", "x", "--owner", "platform", "--with", "postgress"][..],
            "did you mean `postgres`?",
        ),
        (
            &["--name", "Bad_Name", "--owner", "platform"][..],
            "is not a valid name",
        ),
        (
            &["--name", "hello", "--owner", "platform"][..],
            "exists already, in services/hello/service.yaml",
        ),
        (
            &[
                "--name", "w", "--owner", "platform", "--type", "worker", "--public",
            ][..],
            "a worker serves no traffic",
        ),
        // No terminal to ask on: the missing flags are named.
        (
            &["--owner", "platform"][..],
            "missing --name (there is no terminal to ask on)",
        ),
    ] {
        let mut all = vec!["new", "service"];
        all.extend_from_slice(args);
        let output = run(repo, &all);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains(expected),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    assert!(!repo.join("services/x").exists());
}

#[test]
fn a_service_the_platform_cannot_run_yet_is_taken_back() {
    let dir = initialised();
    let repo = dir.path();
    // Tier 1 needs an on-call contact on the owner team, which the new team lacks.
    let output = run(
        repo,
        &[
            "new", "service", "--name", "core", "--owner", "platform", "--tier", "1",
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stderr(&output);
    assert!(text.contains("tier1-oncall"), "{text}");
    assert!(
        text.contains("services/core/service.yaml was not written"),
        "{text}"
    );
    assert!(!repo.join("services/core").exists());
}

#[test]
fn new_team_then_a_service_it_owns() {
    let dir = initialised();
    let repo = dir.path();
    let output = run(
        repo,
        &[
            "new",
            "team",
            "--name",
            "payments",
            "--parent",
            "platform",
            "--email",
            "payments@acme.example",
            "--display-name",
            "Payments & \"Checkout\"",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = std::fs::read_to_string(repo.join("teams/payments.yaml")).unwrap();
    assert!(
        text.contains("displayName: \"Payments & \\\"Checkout\\\"\""),
        "{text}"
    );
    let output = run(
        repo,
        &[
            "new",
            "service",
            "--name",
            "billing-api",
            "--owner",
            "payments",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let (code, report) = check_json(repo);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn the_platform_overrides_the_service_template() {
    let dir = initialised();
    let repo = dir.path();
    std::fs::create_dir_all(repo.join("platform/new")).unwrap();
    std::fs::write(
        repo.join("platform/new/service.yaml.j2"),
        "apiVersion: paved.dev/v1\nkind: Service\nmetadata:\n  name: {{ name }}\n  owner: {{ owner }}\n  tags: [golden-path]\nspec:\n  image: {{ image }}\n",
    )
    .unwrap();
    let output = run(
        repo,
        &["new", "service", "--name", "tagged", "--owner", "platform"],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = std::fs::read_to_string(repo.join("services/tagged/service.yaml")).unwrap();
    assert!(text.contains("tags: [golden-path]"), "{text}");
    // A template that makes an invalid intent writes nothing.
    std::fs::write(
        repo.join("platform/new/service.yaml.j2"),
        "apiVersion: paved.dev/v1\nkind: Service\nmetadata:\n  name: {{ name }}\n  owner: {{ owner }}\nspec:\n  imag: {{ image }}\n",
    )
    .unwrap();
    let output = run(
        repo,
        &["new", "service", "--name", "broken", "--owner", "platform"],
    );
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("the template made an intent that does not validate"),
        "{}",
        stderr(&output)
    );
    assert!(!repo.join("services/broken").exists());
}
