//! Waivers: exceptions to policy rules, from intents and from `platform/waivers.yaml`,
//! each with a reason and an expiry date.

use std::collections::BTreeMap;

use crate::model::waiver::WaiverEntry;
use crate::validate::resolve::Catalog;

/// Every waiver of a run, with an index from the services and teams they name, so
/// that finding the waiver of a finding does not scan them all: each service may
/// carry waivers of its own.
#[derive(Debug, Default)]
pub struct Waivers {
    entries: Vec<WaiverEntry>,
    /// `(rule, service)` and `(rule, team)` to the waivers naming them, in order.
    by_service: BTreeMap<(String, String), Vec<usize>>,
    by_team: BTreeMap<(String, String), Vec<usize>>,
}

impl Waivers {
    fn new(entries: Vec<WaiverEntry>) -> Self {
        let mut by_service: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
        let mut by_team: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
        for (index, waiver) in entries.iter().enumerate() {
            for service in &waiver.services {
                let key = (waiver.rule.clone(), service.clone());
                by_service.entry(key).or_default().push(index);
            }
            for team in &waiver.teams {
                let key = (waiver.rule.clone(), team.clone());
                by_team.entry(key).or_default().push(index);
            }
        }
        Waivers {
            entries,
            by_service,
            by_team,
        }
    }

    /// The first waiver still valid on `today` that covers `rule` for `service` of
    /// `team` in `environment`, with its index.
    pub(super) fn covering(
        &self,
        rule: &str,
        service: &str,
        team: &str,
        environment: Option<&str>,
        today: &str,
    ) -> Option<(usize, &WaiverEntry)> {
        let key = |name: &str| (rule.to_string(), name.to_string());
        let service_key = key(service);
        let team_key = key(team);
        let named = self.by_service.get(&service_key).into_iter().flatten();
        named
            .chain(self.by_team.get(&team_key).into_iter().flatten())
            .copied()
            .filter(|&index| {
                let waiver = &self.entries[index];
                waiver.expires.as_str() >= today && waiver.covers(rule, service, team, environment)
            })
            .min()
            .map(|index| (index, &self.entries[index]))
    }
}

impl std::ops::Deref for Waivers {
    type Target = [WaiverEntry];

    fn deref(&self) -> &[WaiverEntry] {
        &self.entries
    }
}

/// Every waiver of the repository: those the services' intents declare, then those of
/// the platform's waivers file (read by [`crate::load::waivers`]).
pub fn waivers(catalog: &Catalog, file: Vec<WaiverEntry>) -> Waivers {
    let mut entries = Vec::new();
    for (name, entry) in &catalog.services {
        for (i, waiver) in entry.service.metadata.waivers.iter().enumerate() {
            entries.push(WaiverEntry {
                rule: waiver.rule.clone(),
                reason: waiver.reason.clone(),
                expires: waiver.expires.clone(),
                environments: waiver.environments.clone(),
                services: vec![name.clone()],
                teams: Vec::new(),
                location: entry.origin.value(&format!("/metadata/waivers/{i}/rule")),
            });
        }
    }
    entries.extend(file);
    Waivers::new(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::source::{Location, SourceFile};
    use std::sync::Arc;

    #[test]
    fn a_finding_takes_the_first_valid_waiver_covering_it() {
        let file = Arc::new(SourceFile::new("platform/waivers.yaml", ""));
        let waiver =
            |rule: &str, services: &[&str], teams: &[&str], expires: &str, envs: &[&str]| {
                let strings = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
                WaiverEntry {
                    rule: rule.into(),
                    reason: String::from("because"),
                    expires: expires.into(),
                    environments: strings(envs),
                    services: strings(services),
                    teams: strings(teams),
                    location: Location::new(&file, file.start()),
                }
            };
        let waivers = Waivers::new(vec![
            waiver("image-pinned", &["cart"], &[], "2026-01-01", &[]),
            waiver("image-pinned", &[], &["shop"], "2027-01-01", &["prod"]),
            waiver("image-pinned", &["cart"], &[], "2027-01-01", &[]),
            waiver("tier1-slo", &["cart"], &[], "2027-01-01", &[]),
        ]);
        let today = "2026-06-01";
        let first = |rule, service, team, env| {
            waivers
                .covering(rule, service, team, env, today)
                .map(|(index, _)| index)
        };
        // The first one expired; the team's covers prod only.
        assert_eq!(first("image-pinned", "cart", "shop", Some("prod")), Some(1));
        assert_eq!(first("image-pinned", "cart", "shop", Some("dev")), Some(2));
        assert_eq!(first("image-pinned", "basket", "shop", Some("dev")), None);
        assert_eq!(
            first("image-pinned", "basket", "shop", Some("prod")),
            Some(1)
        );
        assert_eq!(first("tier1-slo", "cart", "other", None), Some(3));
        assert_eq!(first("prod-min-replicas", "cart", "shop", None), None);
    }
}
