//! SARIF output: valid against the SARIF 2.1.0 schema, and placing every result where
//! the JSON report does, so code scanning shows it on its line.

use super::*;

fn sarif_for(repo: &str) -> (serde_json::Value, serde_json::Value) {
    let repo = testdata(repo);
    let output = paved(&[
        "check",
        "--repo",
        repo.to_str().unwrap(),
        "--format",
        "sarif",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let sarif: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let (_, report) = check_json(&repo);
    (sarif, report)
}

#[test]
fn sarif_validates_against_the_2_1_0_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(testdata("sarif/sarif-schema-2.1.0.json")).unwrap(),
    )
    .unwrap();
    let validator = jsonschema::options()
        .offline()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    for repo in [
        "invalid/many-mistakes",
        "invalid/duplicate-name",
        "invalid/dependency-cycle",
    ] {
        let (sarif, _) = sarif_for(repo);
        let errors: Vec<String> = validator
            .iter_errors(&sarif)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{repo}: {errors:#?}");
        assert_eq!(sarif["version"], "2.1.0");
    }
}

#[test]
fn sarif_results_sit_on_the_findings_lines() {
    let (sarif, report) = sarif_for("invalid/many-mistakes");
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(results.len(), findings.len());
    for (result, finding) in results.iter().zip(findings) {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert_eq!(result["ruleId"], finding["code"]);
        let physical = &result["locations"][0]["physicalLocation"];
        assert_eq!(physical["artifactLocation"]["uri"], finding["file"]);
        assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(physical["region"]["startLine"], finding["line"]);
        assert_eq!(physical["region"]["startColumn"], finding["column"]);
    }
}
