//! Reporting what policies found: a violation becomes a finding at the severity
//! paved.yaml gives its rule, unless a waiver silences it; waivers that are expired,
//! name no rule or silence nothing are findings too.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::diag::codes::Code;
use crate::diag::finding::{Finding, Rule, Severity, Waived};
use crate::model::config::{Config, Level};
use crate::syntax::source::Location;

use super::eval::Violation;
use super::load::{Policies, Target};
use super::waivers::Waivers;

/// The severity a violation is reported at: paved.yaml's setting for the rule (in the
/// environment, else overall), else the entry's (`deny` or `warn`); `None` when off.
fn severity(
    config: &Config,
    rule: &Rule,
    environment: Option<&str>,
    level: Level,
) -> Option<Severity> {
    match config
        .policies
        .level(&rule.code, environment)
        .unwrap_or(level)
    {
        Level::Deny => Some(Severity::Error),
        Level::Warn => Some(Severity::Warning),
        Level::Off => None,
    }
}

/// Turns violations into findings: severity from paved.yaml, waivers applied.
pub(super) struct Reporter<'a> {
    config: &'a Config,
    policies: &'a Policies,
    waivers: &'a Waivers,
    /// Today, `YYYY-MM-DD`: waivers expiring before it no longer apply.
    today: &'a str,
    /// Which waivers silenced something.
    pub(super) used: BTreeSet<usize>,
}

impl<'a> Reporter<'a> {
    pub(super) fn new(
        config: &'a Config,
        policies: &'a Policies,
        waivers: &'a Waivers,
        today: &'a str,
    ) -> Self {
        Reporter {
            config,
            policies,
            waivers,
            today,
            used: BTreeSet::new(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn finding(
        &mut self,
        violation: &Violation,
        location: Location,
        service: Option<(&str, &str)>,
        environment: Option<&str>,
        prefix: &str,
    ) -> Option<Finding> {
        let policy = &self.policies.policies[violation.policy];
        let rule = &policy.rule;
        let severity = severity(self.config, rule, environment, violation.level)?;
        let mut finding = Finding::at(
            Code::PolicyViolation,
            location,
            format!("{prefix}{}", violation.message),
        )
        .severity(severity)
        .help(rule.fix.clone())
        .label(rule.title.clone());
        finding.rule = Some(Arc::clone(rule));
        if let Some((name, team)) = service
            && let Some((index, waiver)) =
                self.waivers
                    .covering(&rule.code, name, team, environment, self.today)
        {
            self.used.insert(index);
            finding.severity = Severity::Note;
            finding.waived = Some(Waived {
                reason: waiver.reason.clone(),
                expires: waiver.expires.clone(),
                location: waiver.location.clone(),
            });
        }
        Some(finding)
    }

    /// Findings about the waivers themselves: expired, naming no rule, or (for rules of
    /// the targets evaluated) silencing nothing.
    pub(super) fn waiver_findings(&self, targets: &[Target]) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (index, waiver) in self.waivers.iter().enumerate() {
            let Some(policy) = self.policies.find(&waiver.rule) else {
                let known: Vec<&str> = self.policies.rules().map(|r| r.code.as_str()).collect();
                let mut finding = Finding::at(
                    Code::WaiverUnknownRule,
                    waiver.location.clone(),
                    format!("no policy rule has the code `{}`", waiver.rule),
                );
                if let Some(s) =
                    crate::diag::finding::did_you_mean(&waiver.rule, known.iter().copied())
                {
                    finding = finding.help(format!("did you mean `{s}`?"));
                }
                findings.push(finding);
                continue;
            };
            if waiver.expires.as_str() < self.today {
                findings.push(
                    Finding::at(
                        Code::WaiverExpired,
                        waiver.location.clone(),
                        format!(
                            "the waiver of `{}` expired on {}",
                            waiver.rule, waiver.expires
                        ),
                    )
                    .label("expired"),
                );
            } else if targets.contains(&policy.target) && !self.used.contains(&index) {
                findings.push(Finding::at(
                    Code::WaiverUnused,
                    waiver.location.clone(),
                    format!("the waiver of `{}` silences no finding", waiver.rule),
                ));
            }
        }
        findings
    }
}
