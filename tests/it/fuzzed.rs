//! The fuzz targets' checks (`fuzz/src/lib.rs`, shared with `cargo fuzz`) over their
//! seeds (`fuzz/seeds/<target>/`) and the regression inputs the fuzzers found
//! (`testdata/hostile/fuzz/<target>/`): what once broke paved stays fixed.

use std::path::Path;

// The fuzz crate's library: its public functions are the fuzz targets' checks.
#[path = "../../fuzz/src/lib.rs"]
#[allow(unreachable_pub)]
pub(crate) mod checks;

fn replay(target: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seeds = root.join("fuzz/seeds").join(target);
    let regressions = crate::testdata("hostile/fuzz").join(target);
    let count = checks::replay(target, &[&seeds, &regressions]);
    assert!(count > 0, "no inputs for {target}");
}

#[test]
fn yaml_load_inputs() {
    replay("yaml_load");
}

#[test]
fn intent_inputs() {
    replay("intent");
}

#[test]
fn placeholder_inputs() {
    replay("placeholder");
}

#[test]
fn escape_inputs() {
    replay("escape");
}

#[test]
fn policy_input_inputs() {
    replay("policy_input");
}

#[test]
fn config_inputs() {
    replay("config");
}

/// The checks and `fuzz/Cargo.toml` name the same targets, each with a seed folder.
#[test]
fn every_fuzz_target_has_a_check_and_seeds() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest = std::fs::read_to_string(root.join("fuzz/Cargo.toml")).unwrap();
    let mut declared: Vec<&str> = manifest
        .split("[[bin]]")
        .skip(1)
        .filter_map(|bin| bin.lines().find_map(|l| l.strip_prefix("name = ")))
        .map(|name| name.trim_matches('"'))
        .collect();
    let mut checked: Vec<&str> = checks::TARGETS.iter().map(|(name, _)| *name).collect();
    declared.sort_unstable();
    checked.sort_unstable();
    assert_eq!(declared, checked);
    for target in checked {
        assert!(root.join("fuzz/seeds").join(target).is_dir(), "{target}");
    }
}
