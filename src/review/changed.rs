//! `--changed-since REF`: the intents a change touches, and everything whose results
//! depend on them, so that `check` and `render` work on those alone and give, for the
//! files they touch, what a full run gives.
//!
//! A service's generated files depend on its own intent, on the services that depend on
//! it (its network policy admits them), and on the other users of a shared resource
//! (the first one declares the shared module). Its findings depend also on its owner
//! team, on what it depends on (cycles, and the summaries policies see) and on what
//! shares its file. The selection is closed under all of these, over both the base's
//! and the work tree's versions of the changed files, so that removed links count too.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use rayon::prelude::*;

use crate::diag::codes::Code;
use crate::diag::finding::Finding;
use crate::load::discover::Candidate;
use crate::load::intent::Loaded;
use crate::load::schema::Schemas;
use crate::model::config::Config;
use crate::model::intent::{Intent, Kind};
use crate::model::waiver::WaiverEntry;
use crate::review::git::Revision;
use crate::syntax::source::SourceFile;
use crate::validate::resolve::Catalog;

/// What changed between a revision and the work tree.
#[derive(Debug, Default)]
pub struct Changes {
    /// The revision, as given.
    pub base: String,
    /// A file every intent depends on changed (paved.yaml, a platform file, an ignore
    /// file): nothing can be left out.
    pub global: Option<String>,
    /// YAML files added, changed or removed, relative to the root.
    pub files: BTreeSet<String>,
    /// What the base's versions of those files declared.
    old: Declared,
}

/// Names and links of intents, as a version of some files declares them.
#[derive(Debug, Default)]
struct Declared {
    services: BTreeMap<String, Links>,
    teams: BTreeMap<String, Option<String>>,
}

#[derive(Debug, Default, Clone)]
struct Links {
    owner: String,
    dependencies: Vec<String>,
    /// Ids of the shared resources it uses, in any environment.
    shared: BTreeSet<String>,
}

/// Compare the work tree's `candidates` (and paved.yaml, the platform folder, ignore
/// files) with `revision`, and read what the base's versions of changed files declared.
pub fn since(
    root: &Path,
    revision: &str,
    config: &Config,
    candidates: &[Candidate],
    schemas: &Schemas,
) -> Result<Changes, String> {
    let base = Revision::open(root, revision, &config.output)?;
    let mut changes = Changes {
        base: revision.to_string(),
        ..Changes::default()
    };
    let platform = format!("{}/", crate::load::platform::DIR);
    let is_ignore_file = |path: &str| {
        path.rsplit('/')
            .next()
            .is_some_and(|name| crate::load::discover::IGNORE_FILES.contains(&name))
    };
    let blobs = &base.blobs;
    let differs = |path: &str| match std::fs::read(root.join(path)) {
        Ok(bytes) => !blobs.holds(path, &bytes),
        Err(_) => blobs.ids.contains_key(path),
    };
    // Files every intent depends on: at the base (whose listing leaves out the output
    // folder), and new in the work tree.
    let mut global: Vec<String> = blobs
        .ids
        .keys()
        .filter(|p| {
            p.as_str() == crate::load::config::FILE_NAME
                || p.starts_with(&platform)
                || is_ignore_file(p)
        })
        .cloned()
        .collect();
    global.push(crate::load::config::FILE_NAME.to_string());
    global.extend(crate::load::discover::IGNORE_FILES.map(str::to_string));
    global.extend(
        crate::load::repo::Repo::work_tree(root)
            .list(crate::load::platform::DIR)
            .into_iter()
            .map(|listed| listed.relative),
    );
    global.sort();
    global.dedup();
    changes.global = global.into_iter().find(|path| differs(path));
    if changes.global.is_some() {
        return Ok(changes);
    }
    let current: BTreeSet<&str> = candidates.iter().map(Candidate::relative).collect();
    let mut changed: BTreeSet<String> = candidates
        .par_iter()
        .filter(|candidate| match candidate {
            Candidate::File { relative } => differs(relative),
            Candidate::LinkOutside { .. } => true,
        })
        .map(|candidate| candidate.relative().to_string())
        .collect();
    // YAML files of the base that are no longer candidates: removed, or now ignored.
    changed.extend(
        blobs
            .ids
            .keys()
            .filter(|p| p.ends_with(".yaml") || p.ends_with(".yml"))
            .filter(|p| !p.starts_with(&platform))
            .filter(|p| p.as_str() != crate::load::config::FILE_NAME)
            .filter(|p| !p.split('/').any(|part| part.starts_with('.')))
            .filter(|p| !current.contains(p.as_str()))
            .cloned(),
    );
    for path in &changed {
        let Some(bytes) = base.read(path) else {
            continue;
        };
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        if !crate::load::intent::may_hold_intents(text.as_bytes()) {
            continue;
        }
        let file = Arc::new(SourceFile::new(path.clone(), text));
        let loaded = crate::load::intent::load_file(
            &file,
            config.limits.yaml,
            schemas,
            config.default_owner.as_deref(),
            &mut Vec::new(),
        );
        changes.old.add(&loaded);
    }
    changes.files = changed;
    Ok(changes)
}

impl Declared {
    fn add(&mut self, loaded: &[Loaded]) {
        for document in loaded {
            match &document.intent {
                Some(Intent::Service(service)) => {
                    let spec = &service.spec;
                    let mut shared: BTreeSet<String> = spec
                        .resources
                        .values()
                        .filter_map(|r| r.id.clone())
                        .collect();
                    // Environment overrides may bring resources of their own.
                    for overrides in spec.environments.values() {
                        if let Some(resources) =
                            overrides.get("resources").and_then(|r| r.as_object())
                        {
                            shared.extend(resources.values().filter_map(|r| {
                                r.get("id").and_then(|id| id.as_str()).map(str::to_string)
                            }));
                        }
                    }
                    self.services.insert(
                        service.metadata.name.clone(),
                        Links {
                            owner: service.metadata.owner.clone(),
                            dependencies: spec.dependencies.to_vec(),
                            shared,
                        },
                    );
                }
                Some(Intent::Team(team)) => {
                    self.teams
                        .insert(team.metadata.name.clone(), team.metadata.parent.clone());
                }
                None => match (document.kind, &document.name) {
                    (Kind::Service, Some(name)) => {
                        self.services.entry(name.clone()).or_default();
                    }
                    (Kind::Team, Some(name)) => {
                        self.teams.entry(name.clone()).or_default();
                    }
                    _ => {}
                },
            }
        }
    }
}

/// The part of the monorepo a `--changed-since` run works on.
#[derive(Debug, Default)]
pub struct Selection {
    pub services: BTreeSet<String>,
    pub teams: BTreeSet<String>,
    /// Shared resources whose root modules are rendered.
    pub shared: BTreeSet<String>,
    /// The changed files and the intent files of the selection.
    pub files: BTreeSet<String>,
    /// Every file that holds an intent of the catalog.
    intent_files: BTreeSet<String>,
    /// Every service of the catalog.
    known: BTreeSet<String>,
    /// Waivers (by file and offset) all of whose services are selected: whether they
    /// silence anything is known.
    judged: BTreeSet<(String, usize)>,
    /// The output folder, with a trailing `/`.
    output: String,
}

impl Changes {
    /// The selection over `catalog`; `declared` holds the work tree's intents in changed
    /// files, valid or not. `None` when everything must be checked.
    pub fn select(
        &self,
        config: &Config,
        catalog: &Catalog,
        declared: &[Loaded],
    ) -> Option<Selection> {
        if self.global.is_some() {
            return None;
        }
        let mut new = Declared::default();
        new.add(declared);
        let head: BTreeMap<&str, Links> = catalog
            .services
            .iter()
            .map(|(name, entry)| {
                let service = &entry.service;
                let links = Links {
                    owner: service.metadata.owner.clone(),
                    dependencies: service.spec.dependencies.to_vec(),
                    shared: entry
                        .deployments
                        .iter()
                        .flat_map(|d| d.spec.resources.values())
                        .filter_map(|r| r.id.clone())
                        .collect(),
                };
                (name.as_str(), links)
            })
            .collect();
        let changed_services: BTreeSet<String> = self
            .old
            .services
            .keys()
            .chain(new.services.keys())
            .cloned()
            .collect();
        let changed_teams: BTreeSet<String> = self
            .old
            .teams
            .keys()
            .chain(new.teams.keys())
            .cloned()
            .collect();
        let mut services = changed_services.clone();
        // What they depend on, transitively: its network policy admits them, and a
        // cycle through them shows on every service of the cycle.
        let mut stack: Vec<String> = changed_services.iter().cloned().collect();
        while let Some(name) = stack.pop() {
            let old = self.old.services.get(&name).map(|l| &l.dependencies);
            let current = head.get(name.as_str()).map(|l| &l.dependencies);
            for dependency in old.into_iter().chain(current).flatten() {
                if services.insert(dependency.clone()) {
                    stack.push(dependency.clone());
                }
            }
        }
        for (name, links) in &head {
            let depends_on_changed = links
                .dependencies
                .iter()
                .any(|d| changed_services.contains(d));
            if depends_on_changed || changed_teams.contains(&links.owner) {
                services.insert((*name).to_string());
            }
        }
        let mut teams = changed_teams.clone();
        let parent = |name: &str| {
            let current = catalog
                .teams
                .get(name)
                .and_then(|t| t.team.metadata.parent.clone());
            let old = self.old.teams.get(name).cloned().flatten();
            current.into_iter().chain(old)
        };
        let mut stack: Vec<String> = changed_teams.iter().cloned().collect();
        while let Some(name) = stack.pop() {
            for up in parent(&name) {
                if teams.insert(up.clone()) {
                    stack.push(up);
                }
            }
        }
        for (name, entry) in &catalog.teams {
            if entry
                .team
                .metadata
                .parent
                .as_ref()
                .is_some_and(|p| changed_teams.contains(p))
            {
                teams.insert(name.clone());
            }
        }
        // Users of the same shared resources, and whatever shares a file with the
        // selection, until nothing more joins.
        let mut shared = BTreeSet::new();
        loop {
            let size = (services.len(), teams.len());
            for name in &services {
                let old = self.old.services.get(name).map(|l| &l.shared);
                let current = head.get(name.as_str()).map(|l| &l.shared);
                shared.extend(old.into_iter().chain(current).flatten().cloned());
            }
            for (name, links) in &head {
                if !links.shared.is_disjoint(&shared) {
                    services.insert((*name).to_string());
                }
            }
            let files = files_of(catalog, &services, &teams);
            for (name, entry) in &catalog.services {
                if files.contains(entry.origin.file.path.as_str()) {
                    services.insert(name.clone());
                }
            }
            for (name, entry) in &catalog.teams {
                if files.contains(entry.origin.file.path.as_str()) {
                    teams.insert(name.clone());
                }
            }
            if size == (services.len(), teams.len()) {
                break;
            }
        }
        let intent_files: BTreeSet<String> = catalog
            .services
            .values()
            .map(|e| e.origin.file.path.clone())
            .chain(catalog.teams.values().map(|e| e.origin.file.path.clone()))
            .collect();
        let mut files = self.files.clone();
        files.extend(
            files_of(catalog, &services, &teams)
                .into_iter()
                .map(str::to_string),
        );
        Some(Selection {
            services,
            teams,
            shared,
            files,
            intent_files,
            known: catalog.services.keys().cloned().collect(),
            judged: BTreeSet::new(),
            output: format!("{}/", config.output.trim_end_matches('/')),
        })
    }
}

/// The intent files of these services and teams.
fn files_of<'c>(
    catalog: &'c Catalog,
    services: &BTreeSet<String>,
    teams: &BTreeSet<String>,
) -> BTreeSet<&'c str> {
    let services = services.iter().filter_map(|s| catalog.services.get(s));
    let teams = teams.iter().filter_map(|t| catalog.teams.get(t));
    services
        .map(|e| e.origin.file.path.as_str())
        .chain(teams.map(|e| e.origin.file.path.as_str()))
        .collect()
}

impl Selection {
    /// Note the waivers that cover only selected services (or services that no longer
    /// exist): whether they silence anything is known from the selection alone.
    pub fn judge_waivers(&mut self, waivers: &[WaiverEntry], catalog: &Catalog) {
        // Services by owner team, looked up per waiver team instead of scanning every
        // service for every waiver: services may each carry waivers of their own.
        let mut owned: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (name, entry) in &catalog.services {
            owned
                .entry(entry.service.metadata.owner.as_str())
                .or_default()
                .push(name.as_str());
        }
        for waiver in waivers {
            let services = waiver
                .services
                .iter()
                .all(|s| self.services.contains(s) || !self.known.contains(s));
            let teams = waiver.teams.iter().all(|team| {
                owned
                    .get(team.as_str())
                    .is_none_or(|names| names.iter().all(|n| self.services.contains(*n)))
            });
            if services && teams {
                let location = &waiver.location;
                self.judged
                    .insert((location.file.path.clone(), location.span.start));
            }
        }
    }

    /// Whether the generated file at `path` (relative to the output folder) is
    /// rendered: files of selected services and shared resources, and the files made
    /// from the whole catalog (namespaces, catalog entities, CODEOWNERS).
    pub fn renders(&self, path: &str) -> bool {
        let place = crate::render::layout::place(path);
        if let Some(id) = place.shared {
            return self.shared.contains(id);
        }
        match place.service {
            // A name no service has (an Argo CD namespace Application, or the files of
            // a service removed long ago) is the whole catalog's.
            Some(service) => self.services.contains(service) || !self.known.contains(service),
            None => true,
        }
    }

    /// Whether a finding is about the selection. Findings in intent files outside it
    /// and in generated files not rendered are left out, as are waivers silencing
    /// nothing outside it (only the selection's findings were looked for).
    pub fn keeps(&self, finding: &Finding) -> bool {
        let path = finding.location.file.path.as_str();
        if let Some(generated) = path.strip_prefix(&self.output) {
            return self.renders(generated);
        }
        if finding.code == Code::WaiverUnused {
            let location = &finding.location;
            return self.files.contains(path)
                || self
                    .judged
                    .contains(&(location.file.path.clone(), location.span.start));
        }
        !self.intent_files.contains(path) || self.files.contains(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_files_follow_their_service_or_shared_resource() {
        let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
        let selection = Selection {
            services: names(&["cart"]),
            shared: names(&["orders-db"]),
            known: names(&["cart", "search"]),
            output: String::from("generated/"),
            ..Selection::default()
        };
        for (path, rendered) in [
            ("kubernetes/prod/shop/cart/deployment.yaml", true),
            ("kubernetes/prod/shop/search/deployment.yaml", false),
            ("terraform/dev/_shared/orders-db/main.tf", true),
            ("terraform/dev/_shared/images/main.tf", false),
            ("dashboards/search.json", false),
            // Made from the whole catalog.
            ("kubernetes/prod/shop/namespace.yaml", true),
            ("argocd/prod/namespace-shop.yaml", true),
            ("catalog/groups/shop.yaml", true),
            ("CODEOWNERS", true),
            // A service no longer in the catalog: deleted as by a full run.
            ("alerts/prod/gone.yaml", true),
        ] {
            assert_eq!(selection.renders(path), rendered, "{path}");
        }
    }
}
