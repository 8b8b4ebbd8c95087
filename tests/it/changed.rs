//! `--changed-since REF`: check and render only what a change touches, with the same
//! results as a full run for those files. Every scenario makes the same change in two
//! git copies of the example, renders one fully and the other with `--changed-since`,
//! and compares the output folders byte for byte and the findings.

use std::collections::BTreeSet;
use std::path::Path;

use super::repos::{edit, example_repository, git};
use super::*;

type Findings = BTreeSet<(String, String, u64, String)>;

struct Runs {
    full: Findings,
    part: Findings,
    /// What `--changed-since` said about its scope.
    note: String,
}

fn render(repo: &Path, since: Option<&str>) -> (Output, Findings) {
    let mut args = vec![
        "render",
        "--repo",
        repo.to_str().unwrap(),
        "--format",
        "json",
    ];
    if let Some(since) = since {
        args.extend(["--changed-since", since]);
    }
    let output = paved(&args);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", stderr(&output)));
    let findings = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (output, findings)
}

/// Make the same change in two copies; render one fully, the other since HEAD.
fn scenario(change: impl Fn(&Path)) -> Runs {
    let (full, part) = (example_repository(), example_repository());
    change(full.path());
    change(part.path());
    let (full_output, full_findings) = render(full.path(), None);
    let (part_output, part_findings) = render(part.path(), Some("HEAD"));
    assert_eq!(
        full_output.status.code(),
        part_output.status.code(),
        "full:\n{}\nchanged since:\n{}",
        stderr(&full_output),
        stderr(&part_output)
    );
    let (full_tree, part_tree) = (
        files(&full.path().join("generated")),
        files(&part.path().join("generated")),
    );
    let differing: Vec<&String> = full_tree
        .keys()
        .chain(part_tree.keys())
        .filter(|path| full_tree.get(*path) != part_tree.get(*path))
        .collect();
    assert!(
        differing.is_empty(),
        "the output folders differ: {differing:?}"
    );
    assert!(
        part_findings.is_subset(&full_findings),
        "found only with --changed-since: {:?}",
        part_findings.difference(&full_findings).collect::<Vec<_>>()
    );
    Runs {
        full: full_findings,
        part: part_findings,
        note: stderr(&part_output)
            .lines()
            .next()
            .unwrap_or("")
            .to_string(),
    }
}

fn in_file<'a>(findings: &'a Findings, file: &str) -> Vec<&'a str> {
    findings
        .iter()
        .filter(|f| f.1 == file)
        .map(|f| f.0.as_str())
        .collect()
}

#[test]
fn a_changed_service_renders_the_same_and_hides_unrelated_findings() {
    let runs = scenario(|repo| {
        let intent = repo.join("services/email-worker/service.yaml");
        edit(&intent, "  replicas: 1\n", "  replicas: 3\n");
        edit(
            &intent,
            "  resources:\n",
            "  resources:\n    mail-db:\n      type: postgres\n",
        );
    });
    assert!(
        runs.note
            .starts_with("paved: 1 file changed since HEAD: checking "),
        "{}",
        runs.note
    );
    // search-api's image is not pinned in production: true, but not this change's.
    let unrelated = "services/search-api/service.yaml";
    assert!(!in_file(&runs.full, unrelated).is_empty());
    assert!(in_file(&runs.part, unrelated).is_empty());
}

#[test]
fn removing_a_service_deletes_its_files_and_updates_what_it_depended_on() {
    let runs = scenario(|repo| {
        std::fs::remove_file(repo.join("services/notification-worker/service.yaml")).unwrap();
    });
    assert!(runs.note.contains("1 file changed"), "{}", runs.note);
}

#[test]
fn moving_a_service_to_another_team_moves_its_namespace() {
    scenario(|repo| {
        edit(
            &repo.join("services/email-worker/service.yaml"),
            "owner: platform",
            "owner: fulfilment",
        );
    });
}

#[test]
fn a_shared_database_changed_by_one_user_reaches_the_others() {
    scenario(|repo| {
        for service in ["checkout-api", "order-worker"] {
            edit(
                &repo.join(format!("services/{service}/service.yaml")),
                "backupRetentionDays: 14",
                "backupRetentionDays: 21",
            );
        }
    });
}

#[test]
fn a_new_service_not_yet_committed_is_rendered() {
    scenario(|repo| {
        let text = std::fs::read_to_string(repo.join("services/cart-api/service.yaml")).unwrap();
        std::fs::create_dir_all(repo.join("services/wishlist-api")).unwrap();
        std::fs::write(
            repo.join("services/wishlist-api/service.yaml"),
            text.replace("name: cart-api", "name: wishlist-api"),
        )
        .unwrap();
    });
}

#[test]
fn removing_a_team_reports_every_service_it_owned() {
    let runs = scenario(|repo| {
        std::fs::remove_file(repo.join("teams/platform.yaml")).unwrap();
    });
    assert_eq!(
        in_file(&runs.part, "services/email-worker/service.yaml"),
        ["unknown-owner"]
    );
}

#[test]
fn renaming_a_service_reports_the_waiver_left_behind() {
    let runs = scenario(|repo| {
        edit(
            &repo.join("services/search-api/service.yaml"),
            "name: search-api",
            "name: find-api",
        );
    });
    assert!(
        in_file(&runs.part, "platform/waivers.yaml").contains(&"waiver-unused"),
        "{:?}",
        runs.part
    );
    // storefront-web depends on the old name.
    assert!(
        in_file(&runs.part, "services/storefront-web/service.yaml").contains(&"unknown-dependency"),
        "{:?}",
        runs.part
    );
    assert_eq!(runs.part, runs.full);
}

#[test]
fn a_change_to_paved_yaml_checks_everything() {
    let runs = scenario(|repo| {
        let config = repo.join("paved.yaml");
        let mut text = std::fs::read_to_string(&config).unwrap();
        text.push_str("# reviewed\n");
        std::fs::write(config, text).unwrap();
    });
    assert_eq!(
        runs.note,
        "paved: paved.yaml changed since HEAD: every intent is checked"
    );
    assert_eq!(runs.part, runs.full);
}

#[test]
fn check_since_a_commit_reports_the_changed_intents_only() {
    let repo = example_repository();
    edit(
        &repo.path().join("services/cart-api/service.yaml"),
        "owner: storefront",
        "owner: storefrnt",
    );
    git(repo.path(), &["commit", "-q", "-am", "typo"]);
    // HEAD~1 is the base: the change is committed, as on a pull request's branch.
    let output = paved(&[
        "check",
        "--repo",
        repo.path().to_str().unwrap(),
        "--format",
        "json",
        "--changed-since",
        "HEAD~1",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // storefront-web depends on cart-api: its (waived) findings are checked again.
    let found: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["severity"] == "error")
        .map(|f| (f["code"].as_str().unwrap(), f["file"].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        [("unknown-owner", "services/cart-api/service.yaml")],
        "{found:?}"
    );
    // Against itself, nothing changed.
    let output = paved(&[
        "check",
        "--repo",
        repo.path().to_str().unwrap(),
        "--changed-since",
        "HEAD",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).starts_with("paved: 0 files changed since HEAD: checking 0 of 10 services"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_revision_the_clone_lacks_is_a_clear_error() {
    let repo = example_repository();
    let output = paved(&[
        "check",
        "--repo",
        repo.path().to_str().unwrap(),
        "--changed-since",
        "origin/main",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("the revision `origin/main` is not in this clone"),
        "{}",
        stderr(&output)
    );
}
