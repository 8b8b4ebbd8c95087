//! Waivers: exceptions to policy rules, each with a reason and an expiry date, from a
//! service's intent or from the platform's waivers file.

use crate::syntax::source::Location;

/// A waiver, from an intent or from `platform/waivers.yaml`.
#[derive(Debug, Clone)]
pub struct WaiverEntry {
    pub rule: String,
    pub reason: String,
    pub expires: String,
    pub environments: Vec<String>,
    /// Services it applies to; empty with `teams` empty means none.
    pub services: Vec<String>,
    pub teams: Vec<String>,
    pub location: Location,
}

impl WaiverEntry {
    pub(crate) fn covers(
        &self,
        rule: &str,
        service: &str,
        team: &str,
        environment: Option<&str>,
    ) -> bool {
        self.rule == rule
            && (self.services.iter().any(|s| s == service) || self.teams.iter().any(|t| t == team))
            && (self.environments.is_empty()
                || environment.is_some_and(|e| self.environments.iter().any(|x| x == e)))
    }
}
