//! Waivers: exceptions to policy rules, from intents and from `platform/waivers.yaml`,
//! each with a reason and an expiry date.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::diag::codes::Code;
use crate::diag::finding::Finding;
use crate::diag::origin::Origin;
use crate::load::repo::Repo;
use crate::load::schema::{self, Schemas};
use crate::syntax::source::Location;
use crate::syntax::yaml;
use crate::validate::resolve::Catalog;

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

impl WaiverEntry {
    fn covers(&self, rule: &str, service: &str, team: &str, environment: Option<&str>) -> bool {
        self.rule == rule
            && (self.services.iter().any(|s| s == service) || self.teams.iter().any(|t| t == team))
            && (self.environments.is_empty()
                || environment.is_some_and(|e| self.environments.iter().any(|x| x == e)))
    }
}

/// Every waiver of the repository, with problems in the waivers file as findings.
pub fn waivers(
    repo: &Repo,
    catalog: &Catalog,
    schemas: &Schemas,
    limits: &crate::model::config::Limits,
    findings: &mut Vec<Finding>,
) -> Waivers {
    Waivers::new(waiver_entries(repo, catalog, schemas, limits, findings))
}

fn waiver_entries(
    repo: &Repo,
    catalog: &Catalog,
    schemas: &Schemas,
    limits: &crate::model::config::Limits,
    findings: &mut Vec<Finding>,
) -> Vec<WaiverEntry> {
    let mut out = Vec::new();
    for (name, entry) in &catalog.services {
        for (i, waiver) in entry.service.metadata.waivers.iter().enumerate() {
            out.push(WaiverEntry {
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
    let path = format!("{}/waivers.yaml", crate::load::platform::DIR);
    let file = match repo.read_text(&path, limits.max_file_bytes) {
        Ok(file) => file,
        Err(finding) => {
            if finding.code != Code::FileUnreadable {
                findings.push(*finding);
            }
            return out;
        }
    };
    let loaded = yaml::load(&file, limits.yaml);
    findings.extend(
        loaded
            .problems
            .iter()
            .map(|p| crate::diag::finding::yaml_finding(&file, p)),
    );
    let Some(root_node) = loaded.documents.into_iter().next() else {
        return out;
    };
    let origin = Origin::new(&file, 0, root_node);
    let json = origin.root().to_json();
    let errors = schemas.check(schema::Kind::Waivers, &json, &origin, &|p| p.to_string());
    if !errors.is_empty() {
        findings.extend(errors);
        return out;
    }
    let strings = |value: &Json| -> Vec<String> {
        value
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Json::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    for (i, waiver) in json["waivers"].as_array().into_iter().flatten().enumerate() {
        out.push(WaiverEntry {
            rule: waiver["rule"].as_str().unwrap_or_default().to_string(),
            reason: waiver["reason"].as_str().unwrap_or_default().to_string(),
            expires: waiver["expires"].as_str().unwrap_or_default().to_string(),
            environments: strings(&waiver["environments"]),
            services: strings(&waiver["services"]),
            teams: strings(&waiver["teams"]),
            location: origin.value(&format!("/waivers/{i}/rule")),
        });
    }
    out
}

/// Today's date in UTC, `YYYY-MM-DD` (days since the epoch to the civil calendar).
pub fn today() -> String {
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0);
    civil(i64::try_from(days).unwrap_or(0))
}

/// The date `days` after 1970-01-01 (Howard Hinnant's algorithm).
fn civil(days: i64) -> String {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::source::SourceFile;
    use std::sync::Arc;

    #[test]
    fn dates() {
        assert_eq!(civil(0), "1970-01-01");
        assert_eq!(civil(20_775), "2026-11-18");
        assert_eq!(civil(11_016), "2000-02-29");
    }

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
