//! `paved diff` and `paved render --commit` on real git repositories made in temporary
//! folders.

use std::path::Path;

use super::repos::{edit, example_repository, git};
use super::*;

fn diff(repo: &Path, base: &str, format: &str) -> Output {
    paved(&[
        "diff",
        "--repo",
        repo.to_str().unwrap(),
        "--base",
        base,
        "--format",
        format,
        "--today",
        "2026-01-01",
    ])
}

#[test]
fn a_replica_change_and_a_new_database_show_for_that_service_only() {
    let repo = example_repository();
    let intent = repo.path().join("services/email-worker/service.yaml");
    edit(&intent, "  replicas: 1\n", "  replicas: 3\n");
    edit(
        &intent,
        "  resources:\n",
        "  resources:\n    mail-db:\n      type: postgres\n",
    );
    let output = diff(repo.path(), "HEAD", "markdown");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let markdown = stdout(&output);
    assert!(markdown.contains("| email-worker |"), "{markdown}");
    assert!(markdown.contains("replicas 1 → 3"), "{markdown}");
    assert!(markdown.contains("+ aws_db_instance.mail-db"), "{markdown}");
    for other in [
        "cart-api",
        "checkout-api",
        "notification-worker",
        "storefront-web",
    ] {
        assert!(
            !markdown.contains(other),
            "{other} is not part of the change: {markdown}"
        );
    }
    // Nothing changed: nothing to review.
    git(repo.path(), &["commit", "-q", "-am", "more mail"]);
    let unchanged = stdout(&diff(repo.path(), "HEAD", "markdown"));
    assert!(unchanged.contains("does not change"), "{unchanged}");
    // The previous commit as the base gives the same comparison.
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&diff(repo.path(), "HEAD~1", "json"))).unwrap();
    assert_eq!(json["services"].as_array().unwrap().len(), 1);
    assert_eq!(json["services"][0]["service"], "email-worker");
}

#[test]
fn deleting_a_service_with_a_database_is_flagged() {
    let repo = example_repository();
    let text =
        std::fs::read_to_string(repo.path().join("services/payments-api/service.yaml")).unwrap();
    assert!(text.contains("type: postgres"));
    std::fs::remove_file(repo.path().join("services/payments-api/service.yaml")).unwrap();
    let output = diff(repo.path(), "HEAD", "markdown");
    let markdown = stdout(&output);
    assert!(markdown.contains("deletes data stores"), "{markdown}");
    assert!(markdown.contains("aws_db_instance"), "{markdown}");
    let human = stdout(&diff(repo.path(), "HEAD", "human"));
    assert!(human.contains("!! deletes aws_db_instance"), "{human}");
    assert!(!human.contains('\x1b'), "no colour unless asked");
    let colored = paved(&[
        "diff",
        "--repo",
        repo.path().to_str().unwrap(),
        "--base",
        "HEAD",
        "--color",
        "always",
    ]);
    let colored = stdout(&colored);
    assert!(
        colored.contains("\x1b[1;31m  !! deletes aws_db_instance"),
        "{colored}"
    );
    assert!(colored.contains("\x1b[31m-"), "removed lines are red");
}

#[test]
fn a_base_missing_from_the_clone_names_the_fix() {
    let repo = example_repository();
    let output = diff(repo.path(), "origin/main", "human");
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("not in this clone") && message.contains("git fetch"),
        "{message}"
    );
}

#[test]
fn secret_values_are_masked_in_diffs() {
    let repo = example_repository();
    let intent = repo.path().join("services/email-worker/service.yaml");
    edit(
        &intent,
        "  env:\n",
        "  env:\n    SMTP_PASSWORD: correct-horse-battery\n",
    );
    let output = diff(repo.path(), "HEAD", "human");
    let all = format!("{}{}", stdout(&output), stderr(&output));
    assert!(all.contains("SMTP_PASSWORD"), "{all}");
    assert!(!all.contains("correct-horse-battery"), "{all}");
}

fn render_commit(repo: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "render",
        "--repo",
        repo.to_str().unwrap(),
        "--commit",
        "--today",
        "2026-01-01",
    ];
    args.extend_from_slice(extra);
    paved(&args)
}

#[test]
fn render_commit_commits_the_output_once_and_leaves_the_tree_clean() {
    let repo = example_repository();
    let dir = repo.path();
    edit(
        &dir.join("services/email-worker/service.yaml"),
        "  replicas: 1\n",
        "  replicas: 3\n",
    );
    // A change of the developer's that paved must leave alone.
    std::fs::write(dir.join("tools/lint-config.yaml"), "rules: {}\n").unwrap();
    git(
        dir,
        &[
            "commit",
            "-q",
            "-m",
            "more replicas",
            "services/email-worker/service.yaml",
        ],
    );
    let source = git(dir, &["rev-parse", "--short=12", "HEAD"]);
    let output = render_commit(dir, &["--author", "Paved Bot <bot@example.com>"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("paved: committed generated as"));
    let log = git(dir, &["log", "-1", "--format=%an <%ae>%n%s"]);
    assert_eq!(
        log,
        format!("Paved Bot <bot@example.com>\n[paved] render generated for {source}")
    );
    let changed = git(dir, &["show", "--name-only", "--format=", "HEAD"]);
    assert!(
        changed.lines().all(|l| l.starts_with("generated/")),
        "{changed}"
    );
    assert!(changed.contains("generated/kubernetes/staging/platform/email-worker/deployment.yaml"));
    assert_eq!(
        git(dir, &["status", "--porcelain"]),
        " M tools/lint-config.yaml\n",
        "only the developer's change remains"
    );
    git(dir, &["fsck", "--strict"]);
    // Nothing changed since: no commit.
    let again = render_commit(dir, &[]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(stderr(&again).contains("no commit made"));
    assert_eq!(git(dir, &["rev-list", "--count", "HEAD"]), "3\n");
}

#[test]
fn render_commit_refuses_a_detached_head() {
    let repo = example_repository();
    let dir = repo.path();
    git(dir, &["checkout", "-q", "--detach"]);
    edit(
        &dir.join("services/email-worker/service.yaml"),
        "  replicas: 1\n",
        "  replicas: 3\n",
    );
    let output = render_commit(dir, &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("HEAD is detached"),
        "{}",
        stderr(&output)
    );
    assert_eq!(git(dir, &["rev-list", "--count", "HEAD"]), "1\n");
}

#[test]
fn a_shallow_clone_without_the_base_says_how_to_fetch_it() {
    let origin = example_repository();
    edit(
        &origin.path().join("services/email-worker/service.yaml"),
        "  replicas: 1\n",
        "  replicas: 3\n",
    );
    git(origin.path(), &["commit", "-q", "-am", "more replicas"]);
    let clones = tempfile::tempdir().unwrap();
    let url = format!("file://{}", origin.path().display());
    git(
        clones.path(),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    );
    let shallow = clones.path().join("shallow");
    let output = diff(&shallow, "HEAD~1", "human");
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("shallow") && message.contains("fetch-depth: 0"),
        "{message}"
    );
    // With the history fetched, the same comparison works.
    git(&shallow, &["fetch", "-q", "--unshallow"]);
    let output = diff(&shallow, "HEAD~1", "human");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stdout(&output).contains("replicas 1 → 3"));
}

#[test]
fn findings_are_told_for_the_service_they_are_about() {
    let repo = example_repository();
    let worker = repo.path().join("services/email-worker/service.yaml");
    let pinned = "email-worker:0.9.2@sha256:1e26b44192e0cc78100c3d363f185b731e6df240874c734ec8d31ea85344bca2";
    edit(&worker, pinned, "email-worker:0.9.3");
    // search-api's unpinned image is waived in platform/waivers.yaml: pinning it leaves
    // the waiver silencing nothing, a finding of no single service.
    edit(
        &repo.path().join("services/search-api/service.yaml"),
        "search-api:0.12.0\n",
        "search-api:0.12.0@sha256:3b762108e2c9ce7596478a800cc295a0591ff73961bfca47911e994c5007cffa\n",
    );
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&diff(repo.path(), "HEAD", "json"))).unwrap();
    let findings = |json: &serde_json::Value, name: Option<&str>, which: &str| -> Vec<String> {
        let service = json["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["service"].as_str() == name)
            .unwrap_or_else(|| panic!("{name:?} in {json}"));
        service["findings"][which]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap().to_string())
            .collect()
    };
    let introduced = findings(&json, Some("email-worker"), "introduced");
    assert_eq!(introduced.len(), 1, "{introduced:?}");
    assert!(
        introduced[0].starts_with("prod-image-digest services/email-worker/service.yaml: "),
        "{introduced:?}"
    );
    assert_eq!(
        findings(&json, Some("search-api"), "introduced"),
        Vec::<String>::new()
    );
    let shared = findings(&json, None, "introduced");
    assert!(
        shared.len() == 1 && shared[0].starts_with("waiver-unused platform/waivers.yaml: "),
        "{shared:?}"
    );
    let markdown = stdout(&diff(repo.path(), "HEAD", "markdown"));
    let row = markdown
        .lines()
        .find(|l| l.starts_with("| email-worker |"))
        .unwrap();
    assert!(row.contains("| 1 new |"), "{row}");
    // Pinned again on top of the unpinned commit: fixed, for that service.
    git(repo.path(), &["commit", "-q", "-am", "unpin"]);
    edit(&worker, "email-worker:0.9.3", pinned);
    let markdown = stdout(&diff(repo.path(), "HEAD", "markdown"));
    assert!(
        markdown.contains("**Findings fixed**\n\n- email-worker: prod-image-digest"),
        "{markdown}"
    );
}
