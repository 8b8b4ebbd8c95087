//! Secret-looking values seeded wherever a repository can hold them (plain environment
//! values, secret references, resource params, platform templates) never reach any
//! output: stdout and stderr of every command in every format, generated files, diffs,
//! SARIF. The repositories are in `testdata/hostile/secrets/`.

use std::fs;
use std::path::Path;

use super::repos::git;
use super::*;

/// What the intents of `testdata/hostile/secrets/intents` hold: paved refuses each.
const INTENT_SEEDS: &[&str] = &[
    "Plain-Env-Seed-7f3a9c",
    "ghp_EnvCredentialSeed0123456789abcd",
    "sk_live_RefCredentialSeed0123456789",
    "xoxb-KeyCredentialSeed-0123456789",
    "Builtin-Param-Seed-9c2f41",
];

/// What `testdata/hostile/secrets/templates` hands to, or writes in, its templates.
const TEMPLATE_SEEDS: &[&str] = &[
    "Param-Password-Seed-5b1e0d",
    "AKIASEEDEDACCESSKEY1",
    "804913572",
    "ghp_TemplateCommentSeed0123456789",
];

/// The templates of `testdata/hostile/secrets/templates` that fail.
const FAILING_TEMPLATES: &[&str] = &[
    "platform/provisioners/kv-store/arithmetic.tf.j2",
    "platform/provisioners/kv-store/broken.tf.j2",
    "platform/templates/kubernetes/settings.yaml.j2",
];

/// A git repository holding a copy of a fixture: its services are added on top of a
/// commit without them, so that `paved diff --base HEAD` shows them.
fn repository(fixture: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(fixture, dir.path(), &["services"]);
    git(dir.path(), &["init", "-q"]);
    git(dir.path(), &["add", "-A"]);
    git(dir.path(), &["commit", "-q", "-m", "base"]);
    copy_dir(&fixture.join("services"), &dir.path().join("services"), &[]);
    dir
}

/// Every source file of a repository, as one text (to prove the seeds are there).
fn sources(repo: &Path) -> String {
    files(repo)
        .into_iter()
        .filter(|(path, _)| !path.starts_with(".git/"))
        .map(|(_, bytes)| String::from_utf8(bytes).unwrap())
        .collect()
}

fn assert_clean(seeds: &[&str], what: &str, text: &str) {
    for seed in seeds {
        assert!(!text.contains(seed), "{what} shows {seed}:\n{text}");
    }
}

/// Run every command in every format on `repo`; returns everything they printed, each
/// already checked for the seeds.
fn run_everything(repo: &Path, seeds: &[&str]) -> String {
    let dir = repo.to_str().unwrap();
    let mut runs: Vec<Vec<&str>> = Vec::new();
    for format in ["human", "json", "sarif", "github"] {
        runs.push(vec!["check", "--format", format]);
        runs.push(vec!["render", "--check", "--format", format]);
        runs.push(vec!["render", "--format", format]);
    }
    for format in ["human", "markdown", "json"] {
        runs.push(vec!["diff", "--base", "HEAD", "--format", format]);
    }
    let mut everything = String::new();
    for args in runs {
        let mut full = vec!["--color", "never", "--repo", dir];
        full.extend(&args);
        let output = paved(&full);
        assert_ne!(
            output.status.code(),
            Some(3),
            "{args:?}: {}",
            stderr(&output)
        );
        let text = stdout(&output) + &stderr(&output);
        assert_clean(seeds, &format!("paved {}", args.join(" ")), &text);
        everything.push_str(&text);
    }
    if repo.join("generated").exists() {
        for (path, bytes) in files(&repo.join("generated")) {
            assert_clean(seeds, &path, &String::from_utf8_lossy(&bytes));
        }
    }
    everything
}

#[test]
fn secrets_in_intents_are_refused_and_never_shown() {
    let repo = repository(&testdata("hostile/secrets/intents"));
    let sources = sources(repo.path());
    for seed in INTENT_SEEDS {
        assert!(sources.contains(seed), "the fixture holds {seed}");
    }
    let everything = run_everything(repo.path(), INTENT_SEEDS);
    assert!(
        !repo.path().join("generated").exists(),
        "files were written"
    );
    // Each one is reported, by name.
    let (code, report) = check_json(repo.path());
    assert_eq!(code, 1);
    let mut reported: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_string(),
                f["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    reported.sort();
    let expected = [
        ("secret-in-env", "DB_PASS"),
        ("secret-in-env", "NOTE"),
        ("secret-in-env", "SLACK_TOKEN"),
        ("secret-in-env", "STRIPE_KEY"),
        ("unknown-field", "password"),
    ];
    assert_eq!(reported.len(), expected.len(), "{reported:#?}");
    for ((code, message), (expected_code, name)) in reported.iter().zip(expected) {
        assert_eq!(code, expected_code);
        assert!(message.contains(name), "{message}");
    }
    // The lines are shown, with the values masked; the diff too.
    let stars = |seed: &str| "*".repeat(seed.len());
    for masked in [
        format!("DB_PASS: {}", stars(INTENT_SEEDS[0])),
        format!("NOTE: {}", stars(INTENT_SEEDS[1])),
        format!("{{ref: {}}}", stars(INTENT_SEEDS[2])),
        format!(
            "params: {{password: {}, storageGb: 20}}",
            stars(INTENT_SEEDS[4])
        ),
    ] {
        assert!(everything.contains(&masked), "{masked} in:\n{everything}");
    }
    assert!(everything.contains("secret-in-env"));
}

#[test]
fn secrets_handed_to_failing_templates_are_never_shown() {
    let repo = repository(&testdata("hostile/secrets/templates"));
    let sources = sources(repo.path());
    for seed in TEMPLATE_SEEDS {
        assert!(sources.contains(seed), "the fixture holds {seed}");
    }
    let everything = run_everything(repo.path(), TEMPLATE_SEEDS);
    assert!(
        !repo.path().join("generated").exists(),
        "files were written"
    );
    // Each failing template is reported, with what failed but without the values.
    let output = paved(&[
        "render",
        "--repo",
        repo.path().to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let failed: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "template-error")
        .map(|f| f["file"].as_str().unwrap())
        .collect();
    for template in FAILING_TEMPLATES {
        assert!(failed.contains(template), "{template} in {failed:?}");
    }
    assert!(everything.contains("not valid HCL: line 2"), "{everything}");
    assert!(
        everything.contains("unable to calculate *** // 0"),
        "{everything}"
    );
    // The template's own line is shown, masked.
    let token = TEMPLATE_SEEDS[3];
    let masked = format!("deploy token: {}", "*".repeat(token.len()));
    assert!(everything.contains(&masked), "{everything}");
}

#[test]
fn secrets_in_params_stay_out_of_generated_files() {
    let repo = repository(&testdata("hostile/secrets/templates"));
    for template in FAILING_TEMPLATES {
        fs::remove_file(repo.path().join(template)).unwrap();
    }
    let dir = repo.path().to_str().unwrap();
    let output = paved(&["render", "--repo", dir]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let generated = files(&repo.path().join("generated"));
    assert!(
        generated
            .keys()
            .any(|path| path.starts_with("terraform/dev/api/")),
        "{:?}",
        generated.keys()
    );
    run_everything(repo.path(), TEMPLATE_SEEDS);
}

#[test]
fn a_literal_password_in_env_is_masked_in_every_format() {
    let repo = testdata("policies/secret-in-env/fail");
    let repo = repo.to_str().unwrap();
    let secret = "hunter2-but-longer";
    let source = fs::read_to_string(format!("{repo}/services/api/service.yaml")).unwrap();
    assert!(source.contains(secret), "the fixture holds the secret");
    for format in ["human", "json", "sarif", "github"] {
        for command in ["check", "render"] {
            let output = paved(&[
                command, "--repo", repo, "--format", format, "--color", "never",
            ]);
            let all = format!("{}{}", stdout(&output), stderr(&output));
            assert!(all.contains("secret-in-env"), "{command} {format}: {all}");
            assert!(
                !all.contains(secret),
                "{command} {format} shows the secret: {all}"
            );
        }
    }
    // The human report still shows the line, with the value masked.
    let output = paved(&["check", "--repo", repo, "--color", "never"]);
    assert!(stderr(&output).contains("DB_PASSWORD: ******************"));
}
