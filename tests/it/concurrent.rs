//! Two paved processes on one repository: renders take turns on the repository's lock,
//! commands that only read never wait for it.

use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};

use super::repos::{edit, example_repository};
use super::*;

fn spawn_render(repo: &Path) -> std::process::Child {
    Command::new(env!("CARGO_BIN_EXE_paved"))
        .args(["render", "--repo", repo.to_str().unwrap(), "--today", TODAY])
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Give the service at `path` another image: its generated files change.
fn new_image(path: &Path, version: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    let current = text
        .lines()
        .find(|l| l.trim_start().starts_with("image: "))
        .unwrap()
        .trim_start()
        .to_string();
    edit(
        path,
        &current,
        &format!("image: ghcr.io/acme/cart-api:{version}"),
    );
}

#[test]
fn two_renders_started_together_leave_the_tree_of_one() {
    let repo = example_repository();
    let out = repo.path().join("generated");
    let clean = files(&out);
    let service = repo.path().join("services/cart-api/service.yaml");
    for round in 0..4 {
        // Each round starts from a stale tree: both runs have files to write.
        new_image(&service, &format!("9.{round}.0"));
        let mut children = [spawn_render(repo.path()), spawn_render(repo.path())];
        let outputs: Vec<std::process::Output> = children
            .iter_mut()
            .map(|child| {
                let mut stderr = String::new();
                std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
                let status = child.wait().unwrap();
                std::process::Output {
                    status,
                    stdout: Vec::new(),
                    stderr: stderr.into_bytes(),
                }
            })
            .collect();
        for output in &outputs {
            assert_eq!(output.status.code(), Some(0), "{}", stderr(output));
        }
        let after = files(&out);
        let manifest: paved::write::plan::Manifest =
            serde_json::from_slice(&after[paved::write::plan::MANIFEST]).unwrap();
        assert!(manifest.pending.is_empty(), "round {round}");
        for (path, bytes) in after.iter().filter(|(p, _)| !p.starts_with(".paved/")) {
            assert_eq!(
                manifest.files.get(path),
                Some(&paved::model::names::sha256_hex(bytes)),
                "round {round}: {path}"
            );
        }
        assert_eq!(
            after.keys().filter(|p| p.starts_with(".paved/")).count(),
            1,
            "round {round}: only the manifest in .paved"
        );
        assert_ne!(after, clean);
        // Without the record the runs left, a check compares every file.
        for entry in std::fs::read_dir(repo.path().join(".git/paved")).unwrap() {
            let path = entry.unwrap().path();
            if path.to_string_lossy().contains("memo-") {
                std::fs::remove_file(path).unwrap();
            }
        }
        let check = paved(&["render", "--check", "--repo", repo.path().to_str().unwrap()]);
        assert_eq!(
            check.status.code(),
            Some(0),
            "round {round}: {}",
            stderr(&check)
        );
    }
}

#[cfg(unix)]
#[test]
fn a_render_waits_for_the_lock_and_read_only_commands_do_not() {
    let repo = example_repository();
    let root = repo.path().to_str().unwrap();
    let lock_path = repo.path().join(".git/paved/lock");
    std::fs::create_dir_all(lock_path.parent().unwrap()).unwrap();
    let lock = std::fs::File::create(&lock_path).unwrap();
    lock.lock().unwrap();
    // The committed output is up to date: reads succeed while the lock is held.
    for args in [
        &["check", "--repo", root][..],
        &["render", "--check", "--repo", root],
        &["diff", "--base", "HEAD", "--repo", root],
    ] {
        let output = paved(args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    let service = repo.path().join("services/cart-api/service.yaml");
    new_image(&service, "9.9.9");
    let mut child = spawn_render(repo.path());
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let first = lines.next().expect("paved says it waits").unwrap();
    assert!(
        first.contains("waiting") && first.contains(".git/paved/lock"),
        "{first}"
    );
    assert!(
        files(&repo.path().join("generated"))
            .keys()
            .all(|p| !p.starts_with(".paved/staging")),
        "nothing is staged before the lock is had"
    );
    drop(lock);
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    assert_eq!(child.wait().unwrap().code(), Some(0), "{rest:?}");
    let check = paved(&["render", "--check", "--repo", root]);
    assert_eq!(check.status.code(), Some(0), "{}", stderr(&check));
}
