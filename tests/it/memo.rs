//! The record of the last render: a run with the same inputs and an untouched output
//! folder answers from it, with exactly the output of a full run; anything else runs
//! in full.

use std::path::Path;

use super::repos::{edit, example_repository};
use super::*;

fn render(repo: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["render", "--repo", repo.to_str().unwrap(), "--timings"];
    args.extend_from_slice(extra);
    paved(&args)
}

/// Whether the run answered from the record: no stage ran but the lookup.
fn answered_from_record(output: &Output) -> bool {
    let text = stderr(output);
    text.contains("answer from the record of the last render")
        && !text.contains("read, parse and validate intents")
}

/// The output without the timing table, whose numbers differ from run to run.
fn without_timings(output: &Output) -> (String, String, Option<i32>) {
    let text = stderr(output);
    let cut = text.find("stage ").unwrap_or(text.len());
    (
        stdout(output),
        text[..cut].to_string(),
        output.status.code(),
    )
}

#[test]
fn a_second_run_answers_from_the_record_with_the_same_output() {
    let repo = example_repository();
    for extra in [
        &["--format", "human"][..],
        &["--format", "json"],
        &["--format", "sarif"],
        &["--format", "github"],
        &["--check"],
        &["--env", "prod"],
    ] {
        std::fs::remove_dir_all(repo.path().join(".git/paved")).ok();
        let full = render(repo.path(), extra);
        assert!(!answered_from_record(&full), "{extra:?}");
        let again = render(repo.path(), extra);
        assert!(
            answered_from_record(&again),
            "{extra:?}: {}",
            stderr(&again)
        );
        assert_eq!(without_timings(&full), without_timings(&again), "{extra:?}");
    }
}

#[test]
fn any_change_to_inputs_or_output_runs_in_full() {
    let repo = example_repository();
    let first = render(repo.path(), &[]);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(answered_from_record(&render(repo.path(), &[])));
    // A generated file edited by hand: the full run sees it.
    let deployment = repo
        .path()
        .join("generated/kubernetes/prod/payments/checkout-api/deployment.yaml");
    edit(
        &deployment,
        "kind: Deployment",
        "kind: Deployment\n# edited",
    );
    let check = render(repo.path(), &["--check"]);
    assert!(!answered_from_record(&check));
    assert_eq!(check.status.code(), Some(1), "{}", stderr(&check));
    let forced = render(repo.path(), &["--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    assert!(answered_from_record(&render(repo.path(), &[])));
    // An intent changed, even in a comment.
    let intent = repo.path().join("services/cart-api/service.yaml");
    let mut text = std::fs::read_to_string(&intent).unwrap();
    text.push_str("# reviewed\n");
    std::fs::write(&intent, text).unwrap();
    assert!(!answered_from_record(&render(repo.path(), &[])));
    assert!(answered_from_record(&render(repo.path(), &[])));
    // A platform file added.
    std::fs::write(repo.path().join("platform/notes.txt"), "hello\n").unwrap();
    assert!(!answered_from_record(&render(repo.path(), &[])));
    // The day a waiver expires, the findings change: full run.
    let expired = render(repo.path(), &["--today", "2029-07-01"]);
    assert!(!answered_from_record(&expired));
    assert!(
        stderr(&expired).contains("waiver-expired"),
        "{}",
        stderr(&expired)
    );
}
