//! `paved policy test`: the unit tests of the policy rules, as a test runner shows them.

use crate::load::repo::Repo;
use crate::report::Output;

/// The outcome of the tests: each test's line on stdout, policy files that do not
/// load and the counts on stderr.
#[derive(Debug)]
pub(crate) struct Tested {
    pub output: Output,
    /// Every test passed and every policy file loaded.
    pub passed: bool,
}

/// Run the tests of the repository's policies, and of the built-in ones with `builtin`.
pub(crate) fn test(repo: &Repo, builtin: bool) -> Tested {
    let report = crate::validate::policy::test(repo, builtin);
    let mut stdout = String::new();
    for (file, test, passed, why) in &report.results {
        let status = if *passed { "PASS" } else { "FAIL" };
        stdout.push_str(&format!("{status} {file}: {test}"));
        if let Some(why) = why {
            stdout.push_str(&format!(" ({why})"));
        }
        stdout.push('\n');
    }
    let failed = report.results.iter().filter(|r| !r.2).count();
    let mut stderr = String::new();
    for finding in &report.findings {
        let location = &finding.location;
        stderr.push_str(&format!(
            "{}:{}:{}: {}\n",
            location.file.path, location.span.line, location.span.column, finding.message
        ));
    }
    stderr.push_str(&format!(
        "paved: {} passed, {failed} failed\n",
        report.results.len() - failed
    ));
    Tested {
        output: Output { stdout, stderr },
        passed: failed == 0 && report.findings.is_empty(),
    }
}
