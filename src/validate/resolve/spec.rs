//! Checks of one service's spec, base or with an environment's overrides applied:
//! its ports, its resources (their types, classes and params) and their mounts.

use std::collections::{BTreeMap, HashMap};

use crate::diag::codes::Code;
use crate::diag::finding::{Finding, did_you_mean, list, list_or};
use crate::diag::origin::escape_pointer;
use crate::model::intent::{PortRef, ServiceSpec};
use crate::model::placeholder;
use crate::syntax::source::Location;
use crate::types::{self, TypeRef};

use super::cycles::{cycle_finding, cycles};
use super::placeholders::unavailable_output;
use super::{Checker, Places, unknown};

impl Checker<'_> {
    /// Every mount names a `volume` resource of the service, and nothing else of its
    /// container is at its path: a file, or the `/tmp` every container has. Mounts and
    /// resource types are not overridable, so the base spec says it all.
    pub(super) fn volumes(&self, findings: &mut Vec<Finding>) {
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
    pub(super) fn volume_resource(
        &self,
        path: &str,
        name: &str,
        pointer: &str,
        findings: &mut Vec<Finding>,
    ) {
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
    pub(super) fn spec(
        &self,
        spec: &ServiceSpec,
        places: &Places<'_>,
        findings: &mut Vec<Finding>,
    ) {
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
    pub(super) fn resource_params(
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

    pub(super) fn ports(
        &self,
        spec: &ServiceSpec,
        places: &Places<'_>,
        findings: &mut Vec<Finding>,
    ) {
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
}
