//! Integration tests: the `paved` binary on fixture monorepos in `testdata/`.

mod architecture;
mod changed;
mod check;
mod cli;
mod concurrent;
mod crash;
mod diff;
mod fuzzed;
mod graph;
mod hostile;
mod limits;
mod memo;
mod output_paths;
mod platform;
mod policies;
mod properties;
mod render;
mod repos;
mod sarif;
mod scaffold;
mod score;
mod secrets;

use std::path::{Path, PathBuf};
use std::process::Output;

pub fn testdata(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata")
        .join(path)
}

/// The date tests run at, so that waivers expire the same way every day.
pub const TODAY: &str = "2026-11-22";

/// Run paved with `args`; colour off and a fixed date so output is the same everywhere.
pub fn paved(args: &[&str]) -> Output {
    let today: &[&str] = if args.contains(&"--today") {
        &[]
    } else {
        &["--today", TODAY]
    };
    assert_cmd::Command::cargo_bin("paved")
        .expect("the paved binary is built")
        .args(args)
        .args(today)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .output()
        .expect("paved runs")
}

/// Copy the folder `from` into `to`, leaving out the entries of `from` named in `skip`.
pub fn copy_dir(from: &Path, to: &Path, skip: &[&str]) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if skip.contains(&name.as_str()) {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target, &[]);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Every file under `dir`, by relative path.
pub fn files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        for entry in std::fs::read_dir(&current).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

/// `paved <command> --repo REPO --format json` (plus `extra`): exit code and the
/// parsed report.
pub fn paved_json(command: &str, repo: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    let mut args = vec![
        command,
        "--repo",
        repo.to_str().unwrap(),
        "--format",
        "json",
    ];
    args.extend(extra);
    let output = paved(&args);
    let code = output.status.code().expect("paved exits normally");
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "paved printed no JSON ({e}); exit {code}, stderr:\n{}",
            stderr(&output)
        )
    });
    (code, report)
}

/// `paved check --format json` on a repository: exit code and parsed report.
pub fn check_json(repo: &Path) -> (i32, serde_json::Value) {
    paved_json("check", repo, &[])
}

/// The codes of a JSON report's findings, in order.
pub fn codes(report: &serde_json::Value) -> Vec<&str> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["code"].as_str().expect("a code"))
        .collect()
}

/// A compact, reviewable rendering of a JSON report's findings for snapshots.
pub fn findings_text(code: i32, report: &serde_json::Value) -> String {
    let mut out = format!("exit: {code}\n");
    for f in report["findings"].as_array().expect("findings") {
        out.push_str(&format!(
            "{} {} {}:{}:{}\n  {}\n  help: {}\n",
            f["severity"].as_str().unwrap(),
            f["code"].as_str().unwrap(),
            f["file"].as_str().unwrap(),
            f["line"],
            f["column"],
            f["message"].as_str().unwrap(),
            f["help"].as_str().unwrap(),
        ));
        for r in f["related"].as_array().unwrap() {
            out.push_str(&format!(
                "  related {}:{}:{}: {}\n",
                r["file"].as_str().unwrap(),
                r["line"],
                r["column"],
                r["message"].as_str().unwrap()
            ));
        }
    }
    out
}
