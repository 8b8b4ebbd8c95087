//! `paved explain`: what a finding code or a policy rule means and how to fix it, and
//! the list of them all.

use crate::diag::codes;
use crate::diag::error::Error;
use crate::load::repo::Repo;
use crate::validate::policy::{self, Policies};

/// Every code and every policy rule of the repository, one a line with its severity
/// and summary.
pub(crate) fn list(repo: &Repo) -> String {
    let policies = policies(repo);
    let width = codes::ALL
        .iter()
        .map(|i| i.name.len())
        .chain(policies.rules().map(|r| r.code.len()))
        .max()
        .unwrap_or(0);
    let mut text: String = codes::ALL
        .iter()
        .map(|info| {
            format!(
                "{:width$}  {:7}  {}\n",
                info.name,
                info.severity.as_str(),
                info.summary
            )
        })
        .collect();
    for rule in policies.rules() {
        let severity = if rule.severity == "warn" {
            "warning"
        } else {
            "error"
        };
        text.push_str(&format!(
            "{:width$}  {severity:7}  {} (policy)\n",
            rule.code, rule.title
        ));
    }
    text
}

/// What `code`, a finding code or a policy rule of the repository, means and how to
/// fix it.
pub(crate) fn explain(repo: &Repo, code: &str) -> Result<String, Error> {
    let policies = policies(repo);
    if let Some(rule) = policies.rules().find(|r| r.code == code) {
        return Ok(format!(
            "{} (policy rule, {}, {})\n\n{}\n\n{}\n\nHow to fix it: {}\n\nA waiver names the rule, a reason and an expiry date; paved.yaml `policies` sets its severity (deny, warn or off).\n",
            rule.code, rule.severity, rule.file, rule.title, rule.description, rule.fix
        ));
    }
    let Some(info) = codes::ALL.iter().find(|i| i.name == code) else {
        let names = codes::ALL
            .iter()
            .map(|i| i.name)
            .chain(policies.rules().map(|r| r.code.as_str()));
        let suggestion = crate::diag::finding::did_you_mean(code, names)
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        return Err(Error::Usage(format!(
            "unknown code `{code}`{suggestion} (`paved explain --list` shows them all)"
        )));
    };
    Ok(format!(
        "{} ({}, {})\n\n{}\n\n{}\n\nHow to fix it: {}\n",
        info.name,
        info.severity.as_str(),
        info.group,
        info.summary,
        info.explanation,
        info.fix
    ))
}

/// The repository's policies; those that do not load are `paved check`'s to report.
fn policies(repo: &Repo) -> Policies {
    let (policies, _) = policy::load(repo, crate::model::config::Limits::default().max_file_bytes);
    policies
}
