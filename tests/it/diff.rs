//! `paved diff` and `paved render --commit` on real git repositories made in temporary
//! folders.

use std::path::Path;
use std::process::Command;

use super::*;

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A git repository holding a copy of the example monorepo, committed.
fn example_repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy(&testdata("example"), dir.path());
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    dir
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{} holds {from:?}", path.display());
    std::fs::write(path, text.replacen(from, to, 1)).unwrap();
}

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
