//! `paved policy test`: the `test_*` rules of the policies' `*_test.rego` files.

use regorus::{Engine, Value as Rego};

use crate::diag::finding::Finding;
use crate::load::repo::Repo;

use super::load::{error_finding, sources};

/// The outcome of `paved policy test`.
#[derive(Debug, Default)]
pub struct TestReport {
    /// (file, test rule, passed, why it failed)
    pub results: Vec<(String, String, bool, Option<String>)>,
    pub findings: Vec<Finding>,
}

/// Run the `test_*` rules of the policies' `*_test.rego` files (OPA's convention):
/// a test passes when it evaluates to true.
pub fn test(repo: &Repo, built_in: bool) -> TestReport {
    let (files, findings) = sources(
        repo,
        true,
        crate::model::config::Limits::default().max_file_bytes,
    );
    let mut report = TestReport {
        findings,
        ..TestReport::default()
    };
    let mut engine = Engine::new();
    let mut tests: Vec<(String, String)> = Vec::new();
    for file in &files {
        match engine.add_policy(file.path.clone(), file.text.to_string()) {
            Ok(package) => {
                let is_test = file.path.ends_with("_test.rego");
                let organisation = file.path.starts_with(crate::load::platform::DIR);
                if is_test && (organisation || built_in) {
                    for line in file.text.lines() {
                        if let Some(rest) = line.strip_prefix("test_") {
                            let name: String = rest
                                .chars()
                                .take_while(|c| c.is_alphanumeric() || *c == '_')
                                .collect();
                            let rule = format!("{package}.test_{name}");
                            if !tests.iter().any(|(_, r)| *r == rule) {
                                tests.push((file.path.clone(), rule));
                            }
                        }
                    }
                }
            }
            Err(e) => report.findings.push(error_finding(
                &files,
                file,
                &e.to_string(),
                "the policy does not parse",
            )),
        }
    }
    for (file, rule) in tests {
        let name = rule.rsplit('.').next().unwrap_or_default().to_string();
        match engine.eval_rule(rule) {
            Ok(Rego::Bool(true)) => report.results.push((file, name, true, None)),
            Ok(Rego::Undefined) => {
                report
                    .results
                    .push((file, name, false, Some(String::from("undefined"))))
            }
            Ok(other) => report.results.push((
                file,
                name,
                false,
                Some(other.to_json_str().unwrap_or_default()),
            )),
            Err(e) => {
                let message = e.to_string();
                let short = message
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("error: "))
                    .unwrap_or(message.trim())
                    .to_string();
                report.results.push((file, name, false, Some(short)));
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_policy_tests_pass() {
        let dir = tempfile::tempdir().unwrap();
        let report = test(&Repo::work_tree(dir.path()), true);
        assert!(report.findings.is_empty(), "{:?}", report.findings);
        let failed: Vec<_> = report.results.iter().filter(|r| !r.2).collect();
        assert!(failed.is_empty(), "{failed:?}");
        assert!(report.results.len() >= 30);
    }
}
