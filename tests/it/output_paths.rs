//! Paths outside the output folder, whatever says so (a hand-edited manifest, a platform
//! template's name, a symbolic link), are findings: nothing is written or deleted
//! outside the output folder, and nothing at all is written.

use std::path::Path;

use super::*;

const FIXTURE: &str = "hostile/paths/manifest-escape";

/// A copy of the fixture at `<tmp>/repo` (a git repository), with a canary file beside
/// the repository that the manifest's `../../canary.txt` names.
fn fixture(manifest: bool) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    copy_dir(&testdata(FIXTURE), &repo, &[]);
    super::repos::git(&repo, &["init", "-q"]);
    if !manifest {
        std::fs::remove_dir_all(repo.join("generated")).unwrap();
    }
    std::fs::write(dir.path().join("canary.txt"), "canary\n").unwrap();
    (dir, repo)
}

fn render(repo: &Path, extra: &[&str]) -> (i32, serde_json::Value) {
    paved_json("render", repo, extra)
}

/// Every file under `dir` with its bytes, but git's: to see that nothing changed.
fn snapshot(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut all = files(dir);
    all.retain(|path, _| !path.starts_with("repo/.git/"));
    all
}

#[test]
fn a_manifest_listing_paths_outside_deletes_nothing_and_is_reported() {
    let (dir, repo) = fixture(true);
    let before = snapshot(dir.path());
    let (code, report) = render(&repo, &[]);
    insta::assert_snapshot!(findings_text(code, &report));
    assert_eq!(
        snapshot(dir.path()),
        before,
        "something was written or deleted"
    );
    for extra in [&["--force"][..], &["--check"]] {
        let (code, again) = render(&repo, extra);
        assert_eq!(code, 1, "{extra:?}");
        assert_eq!(again["findings"], report["findings"], "{extra:?}");
        assert_eq!(snapshot(dir.path()), before, "{extra:?}");
    }
}

#[test]
fn an_absolute_path_in_the_manifest_is_not_deleted() {
    let (dir, repo) = fixture(true);
    let canary = dir.path().join("canary.txt");
    let manifest = serde_json::json!({
        "version": 1,
        "files": { canary.to_str().unwrap(): paved::model::names::sha256_hex(b"canary\n") },
    });
    let path = repo.join("generated").join(paved::write::plan::MANIFEST);
    std::fs::write(&path, manifest.to_string()).unwrap();
    let (code, report) = render(&repo, &["--force"]);
    assert_eq!((code, codes(&report)), (1, vec!["output-path-unsafe"]));
    assert!(
        report["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("the path is absolute")
    );
    assert_eq!(std::fs::read(&canary).unwrap(), b"canary\n");
}

#[cfg(unix)]
#[test]
fn nothing_is_written_through_a_symbolic_link_on_the_way() {
    use std::os::unix::fs::symlink;
    // Each a link to a folder (or, for the manifest, a file) outside the repository.
    let cases = [
        ("generated", "generated"),
        (".paved", "generated/.paved"),
        ("staging", "generated/.paved/staging"),
        ("manifest", "generated/.paved/manifest.json"),
        ("kubernetes", "generated/kubernetes"),
    ];
    for (case, link) in cases {
        let (dir, repo) = fixture(false);
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        // A manifest elsewhere that claims the canary, and a staged file.
        std::fs::write(elsewhere.join("0"), "staged elsewhere").unwrap();
        std::fs::create_dir_all(repo.join(link).parent().unwrap()).unwrap();
        let target = if case == "manifest" {
            let manifest = serde_json::json!({"version": 1, "files": {
                "../canary.txt": paved::model::names::sha256_hex(b"canary\n")}});
            std::fs::write(elsewhere.join("manifest.json"), manifest.to_string()).unwrap();
            elsewhere.join("manifest.json")
        } else {
            elsewhere.clone()
        };
        symlink(&target, repo.join(link)).unwrap();
        let before = snapshot(&elsewhere);
        for extra in [&[][..], &["--force"]] {
            let (code, report) = render(&repo, extra);
            assert_eq!(code, 1, "{case} {extra:?}");
            assert!(
                codes(&report).iter().all(|c| *c == "output-symlink") && !codes(&report).is_empty(),
                "{case}: {report}"
            );
            let file = report["findings"][0]["file"].as_str().unwrap();
            assert_eq!(file, link, "{case}");
            assert_eq!(
                snapshot(&elsewhere),
                before,
                "{case}: written through the link"
            );
            assert_eq!(
                std::fs::read(dir.path().join("canary.txt")).unwrap(),
                b"canary\n"
            );
        }
    }
}

#[cfg(unix)]
#[test]
fn a_template_named_to_climb_out_is_refused() {
    let (dir, repo) = fixture(false);
    let templates = repo.join("platform/templates/kubernetes");
    std::fs::create_dir_all(&templates).unwrap();
    // A backslash is a plain character on Unix and a folder separator on Windows.
    std::fs::write(
        templates.join("..\\..\\..\\..\\..\\..\\escape.yaml.j2"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  namespace: core\n",
    )
    .unwrap();
    let (code, report) = render(&repo, &[]);
    assert_eq!(code, 1, "{report}");
    assert!(codes(&report).contains(&"output-path-unsafe"), "{report}");
    assert!(!repo.join("generated/kubernetes").exists());
    assert!(
        std::fs::read_dir(dir.path()).unwrap().all(|e| !e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .contains("escape"))
    );
}
