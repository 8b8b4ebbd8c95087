//! Reporting what policies found: a violation becomes a finding at the severity
//! paved.yaml gives its rule, labelled with what decided it (the setting, or the rule
//! that fired), unless a waiver silences it; waivers that are expired, name no rule or
//! silence nothing are findings too.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::diag::codes::Code;
use crate::diag::finding::{Finding, Severity, Waived};
use crate::diag::origin::{Origin, escape_pointer};
use crate::model::config::{Config, Level};
use crate::syntax::source::Location;

use super::eval::Violation;
use super::load::{Policies, Target};
use super::waivers::Waivers;

/// Turns violations into findings: severity from paved.yaml, waivers applied.
pub(super) struct Reporter<'a> {
    config: &'a Config,
    /// paved.yaml, for the settings that change a rule's severity.
    config_origin: Option<Origin>,
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
        config_origin: Option<Origin>,
        policies: &'a Policies,
        waivers: &'a Waivers,
        today: &'a str,
    ) -> Self {
        Reporter {
            config,
            config_origin,
            policies,
            waivers,
            today,
            used: BTreeSet::new(),
        }
    }

    /// The finding of a violation, at the severity paved.yaml's setting for the rule
    /// gives (in the environment, else overall), else the entry's (`deny` or `warn`);
    /// `None` when the setting turns it off.
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
        let setting = self.config.policies.setting(&rule.code, environment);
        let severity = match setting.map_or(violation.level, |(level, _)| level) {
            Level::Deny => Severity::Error,
            Level::Warn => Severity::Warning,
            Level::Off => return None,
        };
        let mut finding = Finding::at(
            Code::PolicyViolation,
            location,
            format!("{prefix}{}", violation.message),
        )
        .severity(severity)
        .help(rule.fix.clone())
        .label(rule.title.clone());
        finding.rule = Some(Arc::clone(rule));
        for (location, message) in self.why(violation, setting) {
            finding = finding.related(location, message);
        }
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

    /// What decided a violation's finding, as labels: the paved.yaml setting that
    /// changed its severity, else the rule that fired (every definition of its set
    /// when which one is not known).
    fn why(
        &self,
        violation: &Violation,
        setting: Option<(Level, Option<&str>)>,
    ) -> Vec<(Location, String)> {
        let policy = &self.policies.policies[violation.policy];
        let code = &policy.rule.code;
        if let Some((level, environment)) = setting
            && level != violation.level
            && let Some(origin) = &self.config_origin
        {
            let (pointer, message) = match environment {
                Some(e) => (
                    format!(
                        "/policies/environments/{}/{}",
                        escape_pointer(e),
                        escape_pointer(code)
                    ),
                    format!("severity in `{e}` set here"),
                ),
                None => (
                    format!("/policies/rules/{}", escape_pointer(code)),
                    String::from("severity set here"),
                ),
            };
            return vec![(origin.value(&pointer), message)];
        }
        let Some(entry) = policy.entries.iter().find(|e| e.level == violation.level) else {
            return Vec::new();
        };
        let set = entry.rule.rsplit('.').next().unwrap_or_default();
        let definitions = &entry.definitions;
        match violation.definition.and_then(|d| definitions.get(d)) {
            Some(definition) => {
                let message = if definition.location.file.built_in {
                    format!("`{set}` rule defined here, built into paved")
                } else {
                    format!("`{set}` rule defined here")
                };
                vec![(definition.location.clone(), message)]
            }
            None => definitions
                .iter()
                .map(|d| {
                    let message = format!(
                        "one of the {} `{set}` rules that may have fired, defined here",
                        definitions.len()
                    );
                    (d.location.clone(), message)
                })
                .collect(),
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::schema::Schemas;
    use crate::syntax::source::SourceFile;
    use crate::validate::policy::load::built_in;

    #[test]
    fn a_finding_is_labelled_with_the_setting_that_changed_its_severity_else_its_rule() {
        let policies = built_in();
        let file = Arc::new(SourceFile::new(
            crate::load::config::FILE_NAME,
            "policies:\n  rules:\n    image-pinned: warn\n  environments:\n    prod:\n      image-pinned: deny\n",
        ));
        let loaded = crate::load::config::parse(&file, &Schemas::new().unwrap());
        assert!(loaded.findings.is_empty(), "{:?}", loaded.findings);
        let waivers = Waivers::default();
        let origin = Some(Origin::lazy(&file, 0));
        let mut reporter = Reporter::new(&loaded.config, origin, &policies, &waivers, "");
        let policy = (policies.policies.iter())
            .position(|p| p.rule.code == "image-pinned")
            .unwrap();
        let mut violation = Violation {
            policy,
            level: Level::Deny,
            message: String::from("image \"app:latest\" uses the `latest` tag"),
            path: None,
            definition: Some(1),
        };
        let mut labels = |violation: &Violation, environment: &str| {
            let at = Location::new(&file, file.start());
            let finding = reporter
                .finding(violation, at, None, Some(environment), "")
                .unwrap();
            let labels: Vec<(String, u32, String)> = (finding.related.iter())
                .map(|r| {
                    let at = &r.location;
                    (at.file.path.clone(), at.span.line, r.message.clone())
                })
                .collect();
            (finding.severity, labels)
        };
        let setting =
            |line, message: &str| vec![(String::from("paved.yaml"), line, message.into())];
        assert_eq!(
            labels(&violation, "staging"),
            (Severity::Warning, setting(3, "severity set here"))
        );
        // In prod, paved.yaml sets the level the rule has: the rule decided.
        let rule = |line, message: &str| {
            (
                String::from("policies/image_pinned.rego"),
                line,
                message.into(),
            )
        };
        assert_eq!(
            labels(&violation, "prod"),
            (
                Severity::Error,
                vec![rule(20, "`deny` rule defined here, built into paved")]
            )
        );
        // When which definition fired is not known, each may have.
        violation.definition = None;
        let (_, unknown) = labels(&violation, "prod");
        let each = "one of the 4 `deny` rules that may have fired, defined here";
        assert_eq!(
            unknown,
            [
                rule(14, each),
                rule(20, each),
                rule(27, each),
                rule(34, each)
            ]
        );
    }
}
