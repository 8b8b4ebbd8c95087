//! The catalog of all intents and the checks that need more than one document:
//! unique names, owners, dependencies and their cycles, shared resources, placeholders,
//! and the per-environment spec each service gets once its overrides are applied.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::Value as Json;

use crate::diag::codes::Code;
use crate::diag::finding::{Finding, did_you_mean, list, printable};
use crate::diag::origin::{Origin, escape_pointer};
use crate::load::platform::Platform;
use crate::load::schema::Schemas;
use crate::model::config::Config;
use crate::model::intent::{Intent, Kind, Service, ServiceSpec, Team};
use crate::syntax::source::Location;
use crate::types::Registry;

mod cycles;
mod environments;
mod links;
mod placeholders;
mod spec;

use cycles::check_cycles;
use links::{check_service_ports, check_shared_resources};

/// Every valid intent, by kind and name, with what the resolver derived from it.
#[derive(Debug, Default)]
pub struct Catalog {
    pub teams: BTreeMap<String, TeamEntry>,
    pub services: BTreeMap<String, ServiceEntry>,
}

#[derive(Debug)]
pub struct TeamEntry {
    pub team: Team,
    pub origin: Origin,
}

#[derive(Debug)]
pub struct ServiceEntry {
    pub service: Service,
    pub origin: Origin,
    /// The service in each environment it is deployed to, in promotion order.
    pub deployments: Vec<Deployment>,
}

impl ServiceEntry {
    /// The service in `environment`, if it is deployed there.
    pub fn deployment(&self, environment: &str) -> Option<&Deployment> {
        self.deployments
            .iter()
            .find(|d| d.environment == environment)
    }
}

/// A service's spec in one environment, overrides applied.
#[derive(Debug)]
pub struct Deployment {
    pub environment: String,
    /// Shared by the environments that override nothing.
    pub spec: Arc<ServiceSpec>,
}

/// The fields an environment may override (besides `enabled`).
/// Build the catalog from loaded intents, reporting every cross-reference problem.
pub fn resolve(
    config: &Config,
    platform: &Platform,
    loaded: Vec<crate::load::intent::Loaded>,
    schemas: &Schemas,
    findings: &mut Vec<Finding>,
) -> Catalog {
    let mut names: BTreeMap<(Kind, String), Origin> = BTreeMap::new();
    let mut missing_account: BTreeMap<String, Location> = BTreeMap::new();
    let mut catalog = Catalog::default();
    let mut services = Vec::new();
    for item in loaded {
        let Some(name) = item.name.clone() else {
            continue;
        };
        if let Some(first) = names.get(&(item.kind, name.clone())) {
            findings.push(
                item.origin
                    .finding(
                        Code::DuplicateName,
                        "/metadata/name",
                        format!(
                            "another {} is already named `{}`",
                            item.kind.as_str(),
                            printable(&name)
                        ),
                    )
                    .label("duplicate name")
                    .related(first.value("/metadata/name"), "first declared here"),
            );
            continue;
        }
        names.insert((item.kind, name.clone()), item.origin.clone());
        match item.intent {
            Some(Intent::Team(team)) => {
                catalog.teams.insert(
                    name,
                    TeamEntry {
                        team: *team,
                        origin: item.origin,
                    },
                );
            }
            Some(Intent::Service(service)) => {
                services.push((*service, item.origin, item.overridable));
            }
            None => {}
        }
    }
    let known = |kind: Kind| -> Names<'_> {
        Names(
            names
                .keys()
                .filter(|(k, _)| *k == kind)
                .map(|(_, n)| n.as_str())
                .collect(),
        )
    };
    let team_names = known(Kind::Team);
    let service_names = known(Kind::Service);

    for entry in catalog.teams.values() {
        if let Some(parent) = &entry.team.metadata.parent
            && !team_names.contains(parent)
        {
            findings.push(unknown(
                entry.origin.finding(
                    Code::UnknownParentTeam,
                    "/metadata/parent",
                    format!("parent team `{parent}` does not exist"),
                ),
                parent,
                team_names.iter(),
                "add a Team intent with that name, or fix the name",
            ));
        }
    }

    // Each service is checked on its own, in parallel; what they find is gathered in
    // their order.
    let checked: Vec<(ServiceEntry, Vec<Finding>, Vec<String>)> = services
        .into_par_iter()
        .map(|(service, origin, overridable)| {
            let mut found = Vec::new();
            let (deployments, missing) = {
                let checker = Checker {
                    config,
                    registry: Registry::new(&platform.provisioners),
                    schemas,
                    origin: &origin,
                    service: &service,
                    overridable: &overridable,
                };
                checker.references(&team_names, &service_names, &mut found);
                checker.volumes(&mut found);
                checker.spec(&service.spec, &Places::base(&origin), &mut found);
                checker.deployments(schemas, &mut found)
            };
            let entry = ServiceEntry {
                service,
                origin,
                deployments,
            };
            (entry, found, missing)
        })
        .collect();
    for (entry, found, missing) in checked {
        findings.extend(found);
        for environment in missing {
            missing_account
                .entry(environment)
                .or_insert_with(|| entry.origin.key("/spec/resources"));
        }
        catalog
            .services
            .insert(entry.service.metadata.name.clone(), entry);
    }
    // Reported once, at the first service that needs an account.
    if let Some(location) = missing_account
        .values()
        .min_by(|a, b| (&a.file.path, a.span.start).cmp(&(&b.file.path, b.span.start)))
    {
        let environments: Vec<&str> = config
            .environments
            .iter()
            .map(|e| e.name.as_str())
            .filter(|e| missing_account.contains_key(*e))
            .collect();
        findings.push(
            Finding::at(
                Code::MissingPlatformSetting,
                location.clone(),
                format!(
                    "services have cloud resources, but paved.yaml gives no cloud account for {} (this service is the first)",
                    list(&environments)
                ),
            )
            .severity(crate::diag::finding::Severity::Warning)
            .help(
                "set `cloud.account` (or `environments.<env>.cloud.account`) in paved.yaml; `paved render` needs it",
            ),
        );
    }
    check_cycles(&catalog, findings);
    check_shared_resources(config, &catalog, findings);
    check_service_ports(&catalog, findings);
    catalog
}

/// Names of one kind of intent.
struct Names<'a>(BTreeSet<&'a str>);

impl<'a> Names<'a> {
    fn contains(&self, name: &str) -> bool {
        self.0.contains(name)
    }

    fn iter(&self) -> impl Iterator<Item = &'a str> + '_ {
        self.0.iter().copied()
    }
}

fn unknown<'a>(
    finding: Finding,
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    otherwise: &str,
) -> Finding {
    match did_you_mean(name, candidates) {
        Some(suggestion) => finding.help(format!("did you mean `{suggestion}`?")),
        None => finding.help(otherwise),
    }
}

/// Where, in a service's document, the value at `pointer` of its effective document in
/// `environment` was written: in that environment's override when the override set it,
/// else in the base document.
pub fn document_pointer(entry: &ServiceEntry, environment: Option<&str>, pointer: &str) -> String {
    let Some(spec_pointer) = pointer.strip_prefix("/spec") else {
        return pointer.to_string();
    };
    let overlay = environment.and_then(|env| {
        entry
            .service
            .spec
            .environments
            .get(env)
            .map(|overlay| (env, overlay))
    });
    Places {
        origin: &entry.origin,
        overlay,
    }
    .pointer(spec_pointer)
}

/// Maps a pointer into a service spec to the place a user wrote it: the override of an
/// environment when it sets that value, the base spec otherwise.
struct Places<'a> {
    origin: &'a Origin,
    overlay: Option<(&'a str, &'a Json)>,
}

impl<'a> Places<'a> {
    fn base(origin: &'a Origin) -> Self {
        Self {
            origin,
            overlay: None,
        }
    }

    /// The document pointer for a spec pointer: in the override when the override
    /// wrote the value, in the base spec otherwise. Overrides merge mappings key by key,
    /// so a value comes from the override only if the override has it, or replaced a
    /// whole list or value above it.
    fn pointer(&self, spec_pointer: &str) -> String {
        if let Some((environment, overlay)) = self.overlay {
            let mut prefix = String::new();
            for token in spec_pointer.split('/').skip(1) {
                prefix.push('/');
                prefix.push_str(token);
                match overlay.pointer(&prefix) {
                    None => break,
                    Some(Json::Object(_)) if prefix.len() < spec_pointer.len() => continue,
                    Some(_) => {
                        return format!(
                            "/spec/environments/{}{spec_pointer}",
                            escape_pointer(environment)
                        );
                    }
                }
            }
        }
        format!("/spec{spec_pointer}")
    }

    fn finding(&self, code: Code, spec_pointer: &str, message: impl Into<String>) -> Finding {
        self.origin
            .finding(code, &self.pointer(spec_pointer), message)
    }
}

struct Checker<'a> {
    config: &'a Config,
    registry: Registry<'a>,
    schemas: &'a Schemas,
    origin: &'a Origin,
    service: &'a Service,
    /// The base JSON of the fields overrides change.
    overridable: &'a serde_json::Map<String, Json>,
}

impl Checker<'_> {
    pub(super) fn references(
        &self,
        teams: &Names<'_>,
        services: &Names<'_>,
        findings: &mut Vec<Finding>,
    ) {
        let metadata = &self.service.metadata;
        if !teams.contains(&metadata.owner) {
            findings.push(unknown(
                self.origin
                    .finding(
                        Code::UnknownOwner,
                        "/metadata/owner",
                        format!("owner `{}` is not a Team", metadata.owner),
                    )
                    .label("no Team has this name"),
                &metadata.owner,
                teams.iter(),
                &format!(
                    "add a Team intent named `{}` (teams: {})",
                    metadata.owner,
                    list(teams.iter().take(10))
                ),
            ));
        }
        for (i, dependency) in self.service.spec.dependencies.iter().enumerate() {
            if dependency == &metadata.name || services.contains(dependency) {
                continue;
            }
            findings.push(unknown(
                self.origin
                    .finding(
                        Code::UnknownDependency,
                        &format!("/spec/dependencies/{i}"),
                        format!("dependency `{dependency}` is not a Service"),
                    )
                    .label("no Service has this name"),
                dependency,
                services.iter(),
                "fix the name, or remove the dependency",
            ));
        }
    }
}
