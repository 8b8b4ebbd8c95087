//! The catalog of all intents and the checks that need more than one document:
//! unique names, owners, dependencies and their cycles, shared resources, placeholders,
//! and the per-environment spec each service gets once its overrides are applied.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use rayon::prelude::*;
use serde_json::Value as Json;

use crate::diag::codes::Code;
use crate::diag::finding::printable;
use crate::diag::finding::{Finding, did_you_mean, list, list_or};
use crate::diag::origin::Origin;
use crate::diag::origin::escape_pointer;
use crate::load::platform::Platform;
use crate::load::schema::{self, Schemas};
use crate::model::config::{Config, Environment};
use crate::model::intent::{self, Intent, Kind, OVERRIDABLE, PortRef, Service, ServiceSpec, Team};
use crate::model::placeholder::{self, Part};
use crate::syntax::source::Location;
use crate::types::{self, Registry, TypeRef};

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

/// Every resource that reaches another service (a `service-port`) names a service and
/// one of its ports.
fn check_service_ports(catalog: &Catalog, findings: &mut Vec<Finding>) {
    for entry in catalog.services.values() {
        for (name, resource) in entry.service.spec.resources.iter() {
            // The built-in type's part, also where a platform provisioner replaces it.
            let Some(reaching) = types::find(&resource.kind) else {
                continue;
            };
            let Some(workload) = reaching.peer(&resource.params) else {
                continue;
            };
            let kind = reaching.name();
            let at = format!("/spec/resources/{}/params", escape_pointer(name));
            let Some(target) = workload.and_then(|w| catalog.services.get(w)) else {
                // A dependency on the same name is reported already.
                if workload.is_some_and(|w| entry.service.spec.dependencies.iter().any(|d| d == w))
                {
                    continue;
                }
                let services: Vec<&str> = catalog.services.keys().map(String::as_str).collect();
                let message = match workload {
                    Some(workload) => format!(
                        "{kind} `{name}` names service `{}`, which does not exist",
                        printable(workload)
                    ),
                    None => format!("{kind} `{name}` names no service in `params.workload`"),
                };
                let help = match workload.and_then(|w| did_you_mean(w, services.iter().copied())) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => String::from("set `params.workload` to the name of a Service"),
                };
                findings.push(
                    entry
                        .origin
                        .finding(Code::UnknownDependency, &format!("{at}/workload"), message)
                        .help(help),
                );
                continue;
            };
            if reaching
                .peer_port(&resource.params, &target.service.spec.ports)
                .is_none()
            {
                let ports: Vec<&str> = target
                    .service
                    .spec
                    .ports
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect();
                findings.push(
                    entry
                        .origin
                        .finding(
                            Code::UnknownPort,
                            &format!("{at}/port"),
                            format!(
                                "{kind} `{name}`: service `{}` has no such port",
                                target.service.metadata.name
                            ),
                        )
                        .help(if ports.is_empty() {
                            String::from("the service declares no ports")
                        } else {
                            format!("its ports: {}", list(&ports))
                        }),
                );
            }
        }
    }
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
    fn references(&self, teams: &Names<'_>, services: &Names<'_>, findings: &mut Vec<Finding>) {
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

    /// Every mount names a `volume` resource of the service, and nothing else of its
    /// container is at its path: a file, or the `/tmp` every container has. Mounts and
    /// resource types are not overridable, so the base spec says it all.
    fn volumes(&self, findings: &mut Vec<Finding>) {
        let spec = &self.service.spec;
        let main = (
            String::from("/spec/volumes"),
            &*spec.volumes,
            Some(&*spec.files),
        );
        let sidecars = spec.sidecars.iter().map(|(name, sidecar)| {
            let at = format!("/spec/sidecars/{}/volumes", escape_pointer(name));
            (at, &sidecar.volumes, None)
        });
        for (at, mounts, files) in std::iter::once(main).chain(sidecars) {
            for (path, mount) in mounts {
                let pointer = format!("{at}/{}", escape_pointer(path));
                self.volume_resource(path, &mount.resource, &pointer, findings);
                let clash = if path == "/tmp" {
                    Some((
                        String::from("`/tmp` is where every container has its own scratch space"),
                        None,
                    ))
                } else if files.is_some_and(|f| f.contains_key(path)) {
                    let file = self
                        .origin
                        .key(&format!("/spec/files/{}", escape_pointer(path)));
                    Some((format!("file `{path}` is mounted there too"), Some(file)))
                } else {
                    None
                };
                let Some((message, related)) = clash else {
                    continue;
                };
                let mut finding = Finding::at(
                    Code::VolumeMountConflict,
                    self.origin.key(&pointer),
                    format!("volume mounted at `{path}`, but {message}"),
                )
                .label("path taken")
                .help("mount the volume at another path");
                if let Some(related) = related {
                    finding = finding.related(related, "the file");
                }
                findings.push(finding);
            }
        }
    }

    /// A mount's resource is a declared resource of a mountable type (`volume`).
    fn volume_resource(&self, path: &str, name: &str, pointer: &str, findings: &mut Vec<Finding>) {
        let resources = &self.service.spec.resources;
        let mountable = |kind: &str| {
            self.registry
                .find(kind)
                .and_then(|k| k.role())
                .is_some_and(|t| t.mountable())
        };
        let (message, declare) = match resources.get(name) {
            Some(resource) if mountable(&resource.kind) => return,
            // A type paved does not know is reported on the resource itself.
            Some(resource) if self.registry.find(&resource.kind).is_none() => return,
            Some(resource) => (
                format!(
                    "the mount at `{path}` names resource `{name}`, a {} resource, not a volume",
                    resource.kind
                ),
                "declare a volume under `resources`, for example `scratch: {type: volume}`, and mount it"
                    .to_string(),
            ),
            None => (
                format!("the mount at `{path}` names resource `{name}`, which is not declared"),
                format!("declare it under `resources`: `{name}: {{type: volume}}`"),
            ),
        };
        let volumes: Vec<&str> = resources
            .iter()
            .filter(|(_, r)| mountable(&r.kind))
            .map(|(n, _)| n.as_str())
            .collect();
        let help = match did_you_mean(name, volumes.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None if volumes.is_empty() => declare,
            None => format!("volume resources: {}", list(&volumes)),
        };
        findings.push(
            self.origin
                .finding(Code::UnknownVolume, &format!("{pointer}/resource"), message)
                .label("not a volume resource")
                .help(help),
        );
    }

    /// Checks of one spec, base or with an environment's overrides applied.
    fn spec(&self, spec: &ServiceSpec, places: &Places<'_>, findings: &mut Vec<Finding>) {
        self.ports(spec, places, findings);
        let name = &self.service.metadata.name;
        if spec.sidecars.contains_key(name) {
            findings.push(
                places
                    .finding(
                        Code::DuplicateName,
                        &format!("/sidecars/{}", escape_pointer(name)),
                        format!(
                            "sidecar `{name}` has the service's name, which its own container has"
                        ),
                    )
                    .label("duplicate container name")
                    .help("give the sidecar another name"),
            );
        }
        if let Some(size) = &spec.size
            && self.config.size(size).is_none()
        {
            let sizes: Vec<&str> = self.config.size_names().collect();
            let finding = places
                .finding(
                    Code::UnknownSize,
                    "/size",
                    format!("size `{size}` is not configured in paved.yaml"),
                )
                .help(format!("use one of {}", list_or(&sizes)));
            findings.push(match did_you_mean(size, sizes.iter().copied()) {
                Some(s) => finding.help(format!("did you mean `{s}`? Sizes: {}", list(&sizes))),
                None => finding,
            });
        }
        if let Some(autoscaling) = &spec.autoscaling
            && autoscaling.min > autoscaling.max
        {
            findings.push(
                places
                    .finding(
                        Code::AutoscalingRange,
                        "/autoscaling/min",
                        format!(
                            "autoscaling `min` ({}) is greater than `max` ({})",
                            autoscaling.min, autoscaling.max
                        ),
                    )
                    .label("min > max"),
            );
        }
        for (name, resource) in spec.resources.iter() {
            match self.registry.find(&resource.kind) {
                None => {
                    let types = self.registry.names();
                    let finding = places.finding(
                        Code::UnknownResourceType,
                        &format!("/resources/{}/type", escape_pointer(name)),
                        format!("no provisioner for resource type `{}`", resource.kind),
                    );
                    findings.push(unknown(
                        finding,
                        &resource.kind,
                        types.iter().copied(),
                        &format!("resource types: {}", list(&types)),
                    ));
                }
                // A type the platform adds checks its params against its own schema;
                // a built-in type it replaces keeps the built-in schema.
                Some(TypeRef::Custom(provisioner)) if types::find(&resource.kind).is_none() => {
                    if let Some(validator) = &provisioner.params {
                        let prefix = format!("/resources/{}/params", escape_pointer(name));
                        findings.extend(self.schemas.check_with(
                            validator,
                            &resource.params,
                            self.origin,
                            &|p| places.pointer(&format!("{prefix}{p}")),
                        ));
                    }
                }
                Some(_) => {}
            }
        }
        self.placeholders(spec, places, findings);
        self.resource_params(spec, places, findings);
    }

    /// Placeholders in resource params: they may read the service's metadata and the
    /// outputs of its other resources that paved knows when it renders, and the
    /// resources reading each other must form an acyclic graph.
    fn resource_params(
        &self,
        spec: &ServiceSpec,
        places: &Places<'_>,
        findings: &mut Vec<Finding>,
    ) {
        let mut reads: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut read_at: BTreeMap<(&str, &str), Location> = BTreeMap::new();
        for (name, resource) in spec.resources.iter() {
            if !placeholder::json_has_dollar(&resource.params) {
                continue;
            }
            let mut strings = Vec::new();
            let prefix = format!("/resources/{}/params", escape_pointer(name));
            placeholder::json_strings(&resource.params, &prefix, &mut strings);
            let mut targets = Vec::new();
            for (spec_pointer, value) in strings {
                let pointer = places.pointer(&spec_pointer);
                for (path, range) in self.checked_references(spec, &pointer, value, findings) {
                    let [root, other, output] = path.as_slice() else {
                        continue;
                    };
                    if root != "resources" {
                        continue;
                    }
                    let Some((other, read)) = spec.resources.get_key_value(other) else {
                        continue;
                    };
                    let Some(kind) = self.registry.find(&read.kind) else {
                        continue;
                    };
                    let location = self.origin.within(&pointer, value, range);
                    if !kind.rendered_output(output) {
                        findings.push(unavailable_output(location, &path, kind));
                        continue;
                    }
                    if let (Some(id), None) = (&resource.id, &read.id) {
                        // The shared resource is provisioned once, from one service.
                        findings.push(
                            Finding::at(
                                Code::SharedResourceConflict,
                                location.clone(),
                                format!(
                                    "shared resource `{name}` (id `{id}`) reads `${{{}}}`, an output of this service's own `{other}`: every service sharing it would give it another value",
                                    path.join(".")
                                ),
                            )
                            .label("differs from service to service")
                            .help(format!(
                                "write the value itself, or give `{other}` an `id` too so that the services share it"
                            )),
                        );
                    }
                    targets.push(other.as_str());
                    read_at
                        .entry((name.as_str(), other.as_str()))
                        .or_insert(location);
                }
            }
            reads.insert(name.as_str(), targets);
        }
        for cycle in cycles(&reads) {
            findings.push(cycle_finding(
                Code::ResourceCycle,
                "resource",
                &cycle,
                "reads an output of",
                &|from, to| read_at[&(from, to)].clone(),
            ));
        }
    }

    fn ports(&self, spec: &ServiceSpec, places: &Places<'_>, findings: &mut Vec<Finding>) {
        let mut names: HashMap<&str, usize> = HashMap::new();
        let mut numbers: HashMap<(u16, &str), usize> = HashMap::new();
        for (i, port) in spec.ports.iter().enumerate() {
            if let Some(first) = names.insert(&port.name, i) {
                names.insert(&port.name, first);
                findings.push(
                    places
                        .finding(
                            Code::DuplicatePort,
                            &format!("/ports/{i}/name"),
                            format!("port name `{}` is used twice", port.name),
                        )
                        .related(
                            self.origin
                                .value(&places.pointer(&format!("/ports/{first}/name"))),
                            "first used here",
                        ),
                );
            }
            if let Some(first) = numbers.insert((port.port, &port.protocol), i) {
                numbers.insert((port.port, &port.protocol), first);
                findings.push(
                    places
                        .finding(
                            Code::DuplicatePort,
                            &format!("/ports/{i}/port"),
                            format!("port {} is declared twice", port.port),
                        )
                        .related(
                            self.origin
                                .value(&places.pointer(&format!("/ports/{first}/port"))),
                            "first declared here",
                        ),
                );
            }
        }
        let mut check = |port: &PortRef, pointer: String| {
            let found = match port {
                PortRef::Name(name) => spec.ports.iter().any(|p| &p.name == name),
                PortRef::Number(number) => spec.ports.iter().any(|p| p.port == *number),
            };
            if !found {
                let shown = match port {
                    PortRef::Name(name) => format!("`{name}`"),
                    PortRef::Number(number) => number.to_string(),
                };
                let declared: Vec<String> = spec.ports.iter().map(|p| p.name.clone()).collect();
                findings.push(
                    places
                        .finding(
                            Code::UnknownPort,
                            &pointer,
                            format!("port {shown} is not declared in `spec.ports`"),
                        )
                        .help(if declared.is_empty() {
                            String::from("declare the port in `spec.ports`")
                        } else {
                            format!("declared ports: {}", list(&declared))
                        }),
                );
            }
        };
        for (name, probe) in [
            ("liveness", &spec.probes.liveness),
            ("readiness", &spec.probes.readiness),
            ("startup", &spec.probes.startup),
        ] {
            if let Some(port) = probe.as_ref().and_then(|p| p.port.as_ref()) {
                check(port, format!("/probes/{name}/port"));
            }
        }
        if let Some(port) = spec.expose.as_ref().and_then(|e| e.port.as_ref()) {
            check(port, String::from("/expose/port"));
        }
    }

    fn placeholders(&self, spec: &ServiceSpec, places: &Places<'_>, findings: &mut Vec<Finding>) {
        let values = spec
            .env
            .iter()
            .map(|(k, v)| (format!("/env/{}", escape_pointer(k)), v.0.as_str()))
            .chain(
                spec.command
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (format!("/command/{i}"), v.as_str())),
            )
            .chain(
                spec.args
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (format!("/args/{i}"), v.as_str())),
            );
        for (spec_pointer, value) in values {
            let pointer = places.pointer(&spec_pointer);
            self.checked_references(spec, &pointer, value, findings);
        }
    }

    /// The references of a value's placeholders that resolve, with their byte ranges
    /// in the value; malformed and unknown ones are reported.
    fn checked_references(
        &self,
        spec: &ServiceSpec,
        pointer: &str,
        value: &str,
        findings: &mut Vec<Finding>,
    ) -> Vec<(Vec<String>, std::ops::Range<usize>)> {
        if !value.contains('$') {
            return Vec::new();
        }
        let parts = match placeholder::parse(value) {
            Ok(parts) => parts,
            Err(e) => {
                let location = self.origin.within(pointer, value, e.range);
                findings.push(
                    Finding::at(Code::InvalidPlaceholder, location, e.message)
                        .label("malformed placeholder"),
                );
                return Vec::new();
            }
        };
        let mut references = Vec::new();
        for part in parts {
            let Part::Ref { path, range } = part else {
                continue;
            };
            match self.reference(spec, &path) {
                Ok(()) => references.push((path, range)),
                Err((message, help)) => findings.push(
                    Finding::at(
                        Code::UnknownPlaceholder,
                        self.origin.within(pointer, value, range),
                        message,
                    )
                    .label("cannot be resolved")
                    .help(help),
                ),
            }
        }
        references
    }

    /// Whether a placeholder path resolves; if not, the message and a fix.
    fn reference(&self, spec: &ServiceSpec, path: &[String]) -> Result<(), (String, String)> {
        let shown = format!("${{{}}}", path.join("."));
        let metadata = &self.service.metadata;
        match path {
            [root, rest @ ..] if root == "metadata" => {
                let keys = [
                    "name",
                    "owner",
                    "system",
                    "lifecycle",
                    "tier",
                    "description",
                ];
                match rest {
                    [key] if key == "system" && metadata.system.is_none() => Err((
                        format!("`{shown}` refers to `metadata.system`, which is not set"),
                        String::from("set `metadata.system`, or remove the placeholder"),
                    )),
                    [key] if key == "description" && metadata.description.is_none() => Err((
                        format!("`{shown}` refers to `metadata.description`, which is not set"),
                        String::from("set `metadata.description`, or remove the placeholder"),
                    )),
                    [key] if keys.contains(&key.as_str()) => Ok(()),
                    [annotations, key] if annotations == "annotations" => {
                        if metadata.annotations.contains_key(key) {
                            Ok(())
                        } else {
                            Err((
                                format!("`{shown}`: there is no annotation `{key}`"),
                                String::from(
                                    "add the annotation to `metadata.annotations`; escape dots in its key as `\\.`",
                                ),
                            ))
                        }
                    }
                    _ => Err((
                        format!("`{shown}` is not a metadata field"),
                        format!(
                            "use {} or `metadata.annotations.<key>`",
                            list_or(keys.iter().map(|k| format!("metadata.{k}")))
                        ),
                    )),
                }
            }
            [root, rest @ ..] if root == "resources" => {
                let Some(name) = rest.first() else {
                    return Err((
                        format!("`{shown}` names no resource"),
                        String::from("write `${resources.<name>.<output>}`"),
                    ));
                };
                let Some(resource) = spec.resources.get(name) else {
                    let declared: Vec<&str> = spec.resources.keys().map(String::as_str).collect();
                    let help = match did_you_mean(name, declared.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None if declared.is_empty() => {
                            String::from("declare the resource in `spec.resources`")
                        }
                        None => format!("declared resources: {}", list(&declared)),
                    };
                    return Err((
                        format!("`{shown}` refers to resource `{name}`, which is not declared"),
                        help,
                    ));
                };
                let Some(kind) = self.registry.find(&resource.kind) else {
                    // The unknown type is reported on the resource itself.
                    return Ok(());
                };
                if let [output] = &rest[1..]
                    && kind.has_output(output)
                {
                    return Ok(());
                }
                let outputs = kind.output_names();
                match &rest[1..] {
                    [output] => Err((
                        format!(
                            "`{shown}`: a {} resource has no output `{output}`",
                            resource.kind
                        ),
                        match did_you_mean(output, outputs.iter().copied()) {
                            Some(s) => format!("did you mean `{s}`? Outputs: {}", list(&outputs)),
                            None => format!("outputs: {}", list(&outputs)),
                        },
                    )),
                    _ => Err((
                        format!("`{shown}` must name one output of resource `{name}`"),
                        format!(
                            "write `${{resources.{name}.<output>}}` with one of {}",
                            list_or(&outputs)
                        ),
                    )),
                }
            }
            _ => Err((
                format!("`{shown}` is not a placeholder paved knows"),
                String::from(
                    "placeholders are `${metadata.<field>}` and `${resources.<name>.<output>}`; write `$$` for a literal `$`",
                ),
            )),
        }
    }

    /// Apply each environment's overrides, check the result, and list where it deploys.
    /// Also returns the environments whose cloud account the service needs but
    /// paved.yaml does not give.
    fn deployments(
        &self,
        schemas: &Schemas,
        findings: &mut Vec<Finding>,
    ) -> (Vec<Deployment>, Vec<String>) {
        let mut missing_account = Vec::new();
        let spec = &self.service.spec;
        for environment in spec.environments.keys() {
            if self.config.environment(environment).is_none() {
                let configured: Vec<&str> = self
                    .config
                    .environments
                    .iter()
                    .map(|e| e.name.as_str())
                    .collect();
                let location = self.origin.key(&format!(
                    "/spec/environments/{}",
                    escape_pointer(environment)
                ));
                let finding = Finding::at(
                    Code::UnknownEnvironment,
                    location,
                    format!("environment `{environment}` is not configured in paved.yaml"),
                )
                .label("not an environment");
                findings.push(unknown(
                    finding,
                    environment,
                    configured.iter().copied(),
                    &format!("configured environments: {}", list(&configured)),
                ));
            }
        }
        let base = Arc::new(ServiceSpec {
            environments: Arc::default(),
            ..spec.clone()
        });
        let mut deployments = Vec::new();
        for environment in &self.config.environments {
            let Some(overlay) = spec.environments.get(&environment.name) else {
                if self.platform(environment, &base, &Places::base(self.origin), findings) {
                    missing_account.push(environment.name.clone());
                }
                deployments.push(Deployment {
                    environment: environment.name.clone(),
                    spec: Arc::clone(&base),
                });
                continue;
            };
            // A disabled environment's overrides are still checked, so that turning it
            // on later holds no surprise.
            let enabled = overlay.get("enabled") != Some(&Json::Bool(false));
            let places = Places {
                origin: self.origin,
                overlay: Some((&environment.name, overlay)),
            };
            if let Some(effective) = self.apply(&base, overlay, &places, schemas, findings) {
                self.spec(&effective, &places, findings);
                if enabled && self.platform(environment, &effective, &places, findings) {
                    missing_account.push(environment.name.clone());
                }
                if enabled {
                    deployments.push(Deployment {
                        environment: environment.name.clone(),
                        spec: Arc::new(effective),
                    });
                }
            }
        }
        (deployments, missing_account)
    }

    /// What rendering in `environment` needs from the platform: resource classes the
    /// provisioners offer, and the paved.yaml settings some resource types depend on.
    /// Returns whether the service needs the environment's cloud account, which is not
    /// set (reported once per environment by the caller).
    fn platform(
        &self,
        environment: &Environment,
        spec: &ServiceSpec,
        places: &Places<'_>,
        findings: &mut Vec<Finding>,
    ) -> bool {
        let mut needs_account = false;
        for (name, resource) in spec.resources.iter() {
            let Some(kind) = self.registry.find(&resource.kind) else {
                continue;
            };
            let pointer = format!("/resources/{}", escape_pointer(name));
            if let Some(class) = &resource.class
                && !kind.has_class(class)
            {
                let classes = kind.class_names();
                let help = if classes.is_empty() {
                    format!("{} resources have no classes: remove `class`", kind.name())
                } else {
                    format!("use {}", crate::diag::finding::list_or(&classes))
                };
                findings.push(
                    places
                        .finding(
                            Code::UnknownResourceClass,
                            &format!("{pointer}/class"),
                            format!("a {} resource has no class `{class}`", kind.name()),
                        )
                        .help(help),
                );
            }
            // A platform provisioner brings its own settings.
            let missing = match kind {
                TypeRef::BuiltIn(t) => t.missing_setting(environment),
                TypeRef::Custom(_) => None,
            };
            if let Some(setting) = missing {
                findings.push(self.missing_setting(
                    environment,
                    places,
                    &format!("{pointer}/type"),
                    setting,
                    kind.name(),
                ));
            }
            needs_account |= !kind.in_cluster();
        }
        needs_account && environment.account.is_none()
    }

    fn missing_setting(
        &self,
        environment: &Environment,
        places: &Places<'_>,
        pointer: &str,
        setting: &str,
        what: &str,
    ) -> Finding {
        let env = &environment.name;
        let location = self.origin.key(&places.pointer(pointer));
        Finding::at(
            Code::MissingPlatformSetting,
            location,
            format!(
                "{what} resources in `{env}` need `environments.{env}.{setting}` in paved.yaml"
            ),
        )
        .help(format!("set `environments.{env}.{setting}` in paved.yaml"))
    }

    /// The spec with one environment's overrides applied, or `None` when the result
    /// breaks the schema (reported where the offending value was written).
    fn apply(
        &self,
        base: &ServiceSpec,
        overlay: &Json,
        places: &Places<'_>,
        schemas: &Schemas,
        findings: &mut Vec<Finding>,
    ) -> Option<ServiceSpec> {
        let Json::Object(overlay) = overlay else {
            return Some(base.clone());
        };
        let mut overlay = overlay.clone();
        self.known_resources(&mut overlay, places, findings);
        // Only the overridden fields are merged and checked again: the rest of the
        // spec passed its schema already.
        let mut partial = serde_json::Map::new();
        partial.insert(String::from("image"), Json::String(base.image.clone()));
        let overridden: Vec<&str> = OVERRIDABLE
            .iter()
            .copied()
            .filter(|key| overlay.contains_key(*key))
            .collect();
        for key in &overridden {
            let mut merged = self.overridable.get(*key).cloned().unwrap_or(Json::Null);
            merge(&mut merged, overlay.remove(*key).unwrap_or(Json::Null));
            partial.insert((*key).to_string(), merged);
        }
        let partial = Json::Object(partial);
        let errors = schemas.check(schema::Kind::ServiceSpec, &partial, self.origin, &|p| {
            places.pointer(p)
        });
        if !errors.is_empty() {
            findings.extend(errors);
            return None;
        }
        let mut partial = match serde_json::from_value::<ServiceSpec>(partial) {
            Ok(partial) => partial,
            Err(e) => {
                findings.push(self.origin.finding(
                    Code::InternalError,
                    &places.pointer(""),
                    format!("the merged spec passed its schema but could not be read: {e}"),
                ));
                return None;
            }
        };
        let mut effective = base.clone();
        for key in overridden {
            match key {
                "image" => effective.image = std::mem::take(&mut partial.image),
                "size" => effective.size = partial.size.take(),
                "replicas" => effective.replicas = partial.replicas.take(),
                "autoscaling" => effective.autoscaling = partial.autoscaling.take(),
                "env" => effective.env = Arc::clone(&partial.env),
                "secrets" => effective.secrets = Arc::clone(&partial.secrets),
                "expose" => effective.expose = partial.expose.take(),
                "resources" => effective.resources = Arc::clone(&partial.resources),
                other => unreachable!("`{other}` is in OVERRIDABLE but not applied"),
            }
        }
        Some(effective)
    }

    /// Report and drop overrides of resources the service does not declare.
    fn known_resources(
        &self,
        overlay: &mut serde_json::Map<String, Json>,
        places: &Places<'_>,
        findings: &mut Vec<Finding>,
    ) {
        let Some(Json::Object(resources)) = overlay.get_mut("resources") else {
            return;
        };
        let declared: Vec<&str> = self
            .service
            .spec
            .resources
            .keys()
            .map(String::as_str)
            .collect();
        resources.retain(|name, _| {
            if declared.contains(&name.as_str()) {
                return true;
            }
            let pointer = places.pointer(&format!("/resources/{}", escape_pointer(name)));
            let finding = Finding::at(
                Code::UnknownResource,
                self.origin.key(&pointer),
                format!("override of resource `{name}`, which `spec.resources` does not declare"),
            );
            findings.push(unknown(
                finding,
                name,
                declared.iter().copied(),
                &format!(
                    "declared resources: {}; declare `{name}` in `spec.resources` to adjust it here",
                    list(&declared)
                ),
            ));
            false
        });
    }
}

/// Merge `overlay` into `base`: mappings key by key, everything else replaced.
pub fn merge(base: &mut Json, overlay: Json) {
    match (base, overlay) {
        (Json::Object(base), Json::Object(overlay)) => {
            for (key, value) in overlay {
                match base.get_mut(&key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (base, overlay) => *base = overlay,
    }
}

/// A param reading an output paved does not know when it renders.
fn unavailable_output(location: Location, path: &[String], kind: TypeRef<'_>) -> Finding {
    let shown = format!("${{{}}}", path.join("."));
    let output = &path[2];
    let why = if kind.output_is_secret(output) {
        "is a secret, which never becomes a param"
    } else {
        "is known only once the cloud has created the resource"
    };
    let rendered: Vec<&str> = kind
        .output_names()
        .into_iter()
        .filter(|o| kind.rendered_output(o))
        .collect();
    let help = if rendered.is_empty() {
        format!(
            "a {} resource has no output known when paved renders; pass it to the container through `spec.env` instead",
            kind.name()
        )
    } else {
        format!(
            "outputs of a {} resource a param can read: {}; or pass this one to the container through `spec.env`",
            kind.name(),
            list(&rendered)
        )
    };
    Finding::at(
        Code::ParamOutputUnavailable,
        location,
        format!(
            "`{shown}` {why}: a resource param can only read outputs paved knows when it renders"
        ),
    )
    .label("not known when paved renders")
    .help(help)
}

/// Every cycle of a graph given as `node -> targets`, once per strongly connected
/// component, as the shortest path from the component's first node back to itself.
fn cycles<'a>(graph: &BTreeMap<&'a str, Vec<&'a str>>) -> Vec<Vec<&'a str>> {
    let names: Vec<&str> = graph.keys().copied().collect();
    let index: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let edges: Vec<Vec<usize>> = graph
        .values()
        .map(|targets| {
            let mut targets: Vec<usize> = targets
                .iter()
                .filter_map(|t| index.get(t).copied())
                .collect();
            targets.sort_unstable();
            targets.dedup();
            targets
        })
        .collect();
    strongly_connected(&edges)
        .into_iter()
        .filter(|component| component.len() > 1 || edges[component[0]].contains(&component[0]))
        .map(|component| {
            let members: BTreeSet<usize> = component.iter().copied().collect();
            shortest_cycle(component[0], &edges, &members)
                .into_iter()
                .map(|i| names[i])
                .collect()
        })
        .collect()
}

/// One finding per cycle, on the first edge, with the other edges as related places.
/// `edge(from, to)` gives the place where `from` names `to`.
fn cycle_finding(
    code: Code,
    noun: &str,
    cycle: &[&str],
    verb: &str,
    edge: &dyn Fn(&str, &str) -> Location,
) -> Finding {
    let start = cycle[0];
    let shown = format!("{} → {start}", cycle.join(" → "));
    let next = cycle.get(1).copied().unwrap_or(start);
    let at = edge(start, next);
    let mut finding = Finding {
        location: at.clone(),
        ..Finding::new(code, &at.file, at.span, format!("{noun} cycle: {shown}"))
    }
    .label("part of the cycle");
    let closing = std::iter::once(start);
    let hops: Vec<&str> = cycle.iter().copied().chain(closing).collect();
    for pair in hops.windows(2).skip(1) {
        let (from, to) = (pair[0], pair[1]);
        finding = finding.related(edge(from, to), format!("`{from}` {verb} `{to}`"));
    }
    finding
}

fn dependency_location(catalog: &Catalog, from: &str, to: &str) -> Location {
    let entry = &catalog.services[from];
    let position = entry
        .service
        .spec
        .dependencies
        .iter()
        .position(|d| d == to)
        .unwrap_or(0);
    entry
        .origin
        .value(&format!("/spec/dependencies/{position}"))
}

fn check_cycles(catalog: &Catalog, findings: &mut Vec<Finding>) {
    let dependencies: BTreeMap<&str, Vec<&str>> = catalog
        .services
        .iter()
        .map(|(name, entry)| {
            let targets = entry
                .service
                .spec
                .dependencies
                .iter()
                .map(String::as_str)
                .collect();
            (name.as_str(), targets)
        })
        .collect();
    for cycle in cycles(&dependencies) {
        findings.push(cycle_finding(
            Code::DependencyCycle,
            "dependency",
            &cycle,
            "depends on",
            &|from, to| dependency_location(catalog, from, to),
        ));
    }
    let parents: BTreeMap<&str, Vec<&str>> = catalog
        .teams
        .iter()
        .map(|(name, entry)| {
            (
                name.as_str(),
                entry.team.metadata.parent.as_deref().into_iter().collect(),
            )
        })
        .collect();
    for cycle in cycles(&parents) {
        findings.push(cycle_finding(
            Code::TeamCycle,
            "team",
            &cycle,
            "belongs to",
            &|from, _| catalog.teams[from].origin.value("/metadata/parent"),
        ));
    }
}

/// Tarjan's algorithm, iterative so deep graphs cannot overflow the stack. Each
/// component is sorted; components come out in a deterministic order.
fn strongly_connected(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = edges.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut components = Vec::new();
    let mut counter = 0;
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        let mut work = vec![(root, 0usize)];
        while let Some(&mut (node, ref mut next)) = work.last_mut() {
            if *next == 0 && index[node] == UNSEEN {
                index[node] = counter;
                low[node] = counter;
                counter += 1;
                stack.push(node);
                on_stack[node] = true;
            }
            if let Some(&target) = edges[node].get(*next) {
                *next += 1;
                if index[target] == UNSEEN {
                    work.push((target, 0));
                } else if on_stack[target] {
                    low[node] = low[node].min(index[target]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == index[node] {
                let mut component = Vec::new();
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component.push(member);
                    if member == node {
                        break;
                    }
                }
                component.sort_unstable();
                components.push(component);
            }
        }
    }
    components.sort();
    components
}

/// The shortest path from `start` back to itself inside a component (breadth-first).
fn shortest_cycle(start: usize, edges: &[Vec<usize>], members: &BTreeSet<usize>) -> Vec<usize> {
    let mut previous: HashMap<usize, usize> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for &target in &edges[node] {
            if !members.contains(&target) {
                continue;
            }
            if target == start {
                let mut path = vec![node];
                let mut current = node;
                while current != start {
                    current = previous[&current];
                    path.push(current);
                }
                path.reverse();
                return path;
            }
            if target != start && !previous.contains_key(&target) {
                previous.insert(target, node);
                queue.push_back(target);
            }
        }
    }
    vec![start]
}

/// Whether `service`'s override for `environment` adjusts its resource `resource`.
fn other_overlay_sets(catalog: &Catalog, service: &str, environment: &str, resource: &str) -> bool {
    catalog.services[service]
        .service
        .spec
        .environments
        .get(environment)
        .and_then(|o| o.get("resources")?.get(resource))
        .is_some()
}

/// Resources with the same `id` must be the same resource in every environment.
fn check_shared_resources(config: &Config, catalog: &Catalog, findings: &mut Vec<Finding>) {
    for environment in &config.environments {
        let mut first: HashMap<&str, (&str, &str, &intent::Resource)> = HashMap::new();
        for (service_name, entry) in &catalog.services {
            let Some(deployment) = entry.deployment(&environment.name) else {
                continue;
            };
            let overlay = entry.service.spec.environments.get(&environment.name);
            let places = Places {
                origin: &entry.origin,
                overlay: overlay.map(|o| (environment.name.as_str(), o)),
            };
            for (resource_name, resource) in deployment.spec.resources.iter() {
                let Some(id) = &resource.id else { continue };
                let Some(&(other_service, other_name, other)) = first.get(id.as_str()) else {
                    first.insert(id, (service_name, resource_name, resource));
                    continue;
                };
                let (field, ours, theirs) = if resource.kind != other.kind {
                    ("type", resource.kind.clone(), other.kind.clone())
                } else if resource.class != other.class {
                    (
                        "class",
                        resource
                            .class
                            .clone()
                            .unwrap_or_else(|| String::from("(none)")),
                        other
                            .class
                            .clone()
                            .unwrap_or_else(|| String::from("(none)")),
                    )
                } else if resource.params != other.params {
                    (
                        "params",
                        resource.params.to_string(),
                        other.params.to_string(),
                    )
                } else {
                    continue;
                };
                let pointer = format!("/resources/{}/{field}", escape_pointer(resource_name));
                // Name the environment when an override is what makes them differ.
                let overridden = places.pointer(&pointer).contains("/environments/")
                    || other_overlay_sets(catalog, other_service, &environment.name, other_name);
                let differs = if field == "params" {
                    "differ"
                } else {
                    "differs"
                };
                let scope = if overridden {
                    format!(" in `{}`", environment.name)
                } else {
                    String::new()
                };
                let other_entry = &catalog.services[other_service];
                let other_places = Places {
                    origin: &other_entry.origin,
                    overlay: other_entry
                        .service
                        .spec
                        .environments
                        .get(&environment.name)
                        .map(|o| (environment.name.as_str(), o)),
                };
                let mut finding = places
                    .finding(
                        Code::SharedResourceConflict,
                        &pointer,
                        format!(
                            "resource `{resource_name}` shares id `{id}` with resource `{other_name}` of service `{other_service}`, but its {field} {differs}{scope}"
                        ),
                    )
                    .label(format!("{field} {differs}"))
                    .related(
                        other_entry.origin.value(&other_places.pointer(&format!(
                            "/resources/{}",
                            escape_pointer(other_name)
                        ))),
                        format!("`{other_service}` declares it here"),
                    );
                if field != "params" {
                    finding = finding.help(format!(
                        "make the {field} the same in both (`{ours}` here, `{theirs}` there), or use another id"
                    ));
                } else {
                    finding = finding.help(
                        "make the params identical in every service that shares the resource, or use another id",
                    );
                }
                findings.push(finding);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tarjan_finds_cycles_and_singletons() {
        let edges = vec![vec![1], vec![2], vec![0], vec![3], vec![]];
        let components = strongly_connected(&edges);
        assert_eq!(components, vec![vec![0, 1, 2], vec![3], vec![4]]);
    }

    #[test]
    fn tarjan_survives_long_chains() {
        let n = 200_000;
        let edges: Vec<Vec<usize>> = (0..n).map(|i| vec![(i + 1) % n]).collect();
        let components = strongly_connected(&edges);
        assert_eq!(components.len(), 1);
        assert_eq!(components[0].len(), n);
    }

    #[test]
    fn shortest_cycle_is_found() {
        let edges = vec![vec![1, 2], vec![0], vec![1]];
        let members = BTreeSet::from([0, 1, 2]);
        assert_eq!(shortest_cycle(0, &edges, &members), vec![0, 1]);
        let self_loop = vec![vec![0]];
        assert_eq!(shortest_cycle(0, &self_loop, &BTreeSet::from([0])), vec![0]);
    }

    #[test]
    fn every_override_field_of_the_schema_is_applied() {
        let schema: Json =
            serde_json::from_str(include_str!("../../schemas/service.schema.json")).unwrap();
        let mut fields: Vec<&str> = schema["$defs"]["override"]["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .filter(|k| *k != "enabled")
            .collect();
        fields.sort_unstable();
        let mut overridable = crate::model::intent::OVERRIDABLE.to_vec();
        overridable.sort_unstable();
        assert_eq!(fields, overridable);
    }

    #[test]
    fn merge_replaces_lists_and_merges_maps() {
        let mut base = serde_json::json!({"a": {"x": 1, "y": [1, 2]}, "b": 1});
        merge(&mut base, serde_json::json!({"a": {"y": [3]}, "c": 2}));
        assert_eq!(
            base,
            serde_json::json!({"a": {"x": 1, "y": [3]}, "b": 1, "c": 2})
        );
    }
}
