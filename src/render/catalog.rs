//! Backstage catalog entities: a Component per service with its Resources, a System
//! per system, a Group per team, a User per team member, and a Location that lists
//! them all, so the catalog imports one URL.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value as Json, json};

use crate::model::config::Config;
use crate::model::intent::{Lifecycle, ServiceType};
use crate::model::names;
use crate::types;
use crate::validate::resolve::Catalog;

use super::Tree;
use super::layout::{self, CatalogFolder};
use super::observability::dashboard_uid;

const API_VERSION: &str = "backstage.io/v1alpha1";

fn group_ref(team: &str) -> String {
    format!("group:default/{team}")
}

/// A Resource entity's `spec.type`: the type's, or its own name for a type the
/// platform adds; none for a type that is no entity.
fn resource_type(kind: &str) -> Option<&str> {
    match types::find(kind) {
        Some(built_in) => built_in.catalog_type(),
        None => Some(kind),
    }
}

fn lifecycle(lifecycle: Lifecycle) -> &'static str {
    match lifecycle {
        Lifecycle::Experimental => "experimental",
        Lifecycle::Production => "production",
        Lifecycle::Deprecated => "deprecated",
    }
}

/// The catalog name of a service's resource: its shared id, or `<service>-<name>`.
fn resource_name(service: &str, name: &str, id: Option<&str>) -> String {
    match id {
        Some(id) => id.to_string(),
        None => names::bounded(&[service, name], 63),
    }
}

/// The catalog's entities, but the Components (with their own Resources) of services
/// outside `only`, when given: the rest is made from the whole catalog.
pub(super) fn render(
    config: &Config,
    catalog: &Catalog,
    only: Option<&BTreeSet<String>>,
    tree: &mut Tree,
) {
    let mut targets = Vec::new();
    let mut shared: BTreeMap<String, Json> = BTreeMap::new();
    let mut systems: BTreeMap<&str, BTreeMap<&str, usize>> = BTreeMap::new();
    for (name, entry) in &catalog.services {
        let metadata = &entry.service.metadata;
        let spec = &entry.service.spec;
        if let Some(system) = &metadata.system {
            *systems
                .entry(system)
                .or_default()
                .entry(metadata.owner.as_str())
                .or_default() += 1;
        }
        let rendered = only.is_none_or(|only| only.contains(name));
        let mut depends_on: Vec<String> = spec
            .dependencies
            .iter()
            .filter(|d| catalog.services.contains_key(*d))
            .map(|d| format!("component:default/{d}"))
            .collect();
        let mut documents = Vec::new();
        for (resource, declared) in spec.resources.iter() {
            let Some(entity_type) = resource_type(&declared.kind) else {
                continue;
            };
            if !rendered && declared.id.is_none() {
                continue;
            }
            let entity_name = resource_name(name, resource, declared.id.as_deref());
            depends_on.push(format!("resource:default/{entity_name}"));
            let mut entity = json!({
                "apiVersion": API_VERSION,
                "kind": "Resource",
                "metadata": {
                    "name": entity_name,
                    "description": format!("{} {resource} of {name}", declared.kind),
                    "tags": ["paved", declared.kind.replace('_', "-")],
                },
                "spec": {
                    "type": entity_type,
                    "owner": group_ref(&metadata.owner),
                },
            });
            if let Some(system) = &metadata.system {
                entity["spec"]["system"] = json!(system);
            }
            match &declared.id {
                Some(id) => {
                    entity["metadata"]["description"] =
                        json!(format!("{} shared by several services", declared.kind));
                    shared.entry(id.clone()).or_insert(entity);
                }
                None => documents.push(entity),
            }
        }
        let path = layout::catalog_entity(CatalogFolder::Components, name);
        if !rendered {
            targets.push(path);
            continue;
        }
        depends_on.sort();
        depends_on.dedup();
        let mut links: Vec<Json> = metadata
            .links
            .iter()
            .map(|l| {
                let mut link = json!({ "url": l.url, "title": l.title.clone().unwrap_or_else(|| l.url.clone()) });
                if let Some(kind) = &l.kind {
                    link["type"] = json!(kind);
                }
                link
            })
            .collect();
        if let Some(url) = &config.grafana_url {
            links.push(json!({
                "url": format!("{url}/d/{}", dashboard_uid(name)),
                "title": "Dashboard",
                "icon": "dashboard",
                "type": "dashboard",
            }));
        }
        if let Some(runbook) = &spec.alerts.runbook
            && !metadata.links.iter().any(|l| &l.url == runbook)
        {
            links.push(json!({ "url": runbook, "title": "Runbook", "type": "runbook" }));
        }
        let mut annotations = json!({ "paved.dev/intent": entry.origin.file.path });
        for (key, value) in &metadata.annotations {
            annotations[key] = json!(value);
        }
        if let Some(source) = metadata
            .links
            .iter()
            .find(|l| l.kind.as_deref() == Some("source"))
        {
            annotations["backstage.io/source-location"] = json!(format!("url:{}", source.url));
        }
        let mut component = json!({
            "apiVersion": API_VERSION,
            "kind": "Component",
            "metadata": {
                "name": name,
                "annotations": annotations,
                "links": links,
                "tags": metadata.tags,
            },
            "spec": {
                "type": if spec.kind == ServiceType::Web { "website" } else { "service" },
                "lifecycle": lifecycle(metadata.lifecycle),
                "owner": group_ref(&metadata.owner),
                "dependsOn": depends_on,
            },
        });
        if let Some(description) = &metadata.description {
            component["metadata"]["description"] = json!(description);
        }
        if let Some(system) = &metadata.system {
            component["spec"]["system"] = json!(system);
        }
        documents.insert(0, component);
        tree.yaml_documents(layout::catalog(&path), &documents);
        targets.push(path);
    }
    for (id, entity) in &shared {
        let path = layout::catalog_entity(CatalogFolder::Resources, id);
        tree.yaml(layout::catalog(&path), entity);
        targets.push(path);
    }
    for (system, owners) in &systems {
        // The system's owner: the team that owns most of its services.
        let owner = owners
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(team, _)| *team)
            .unwrap_or_default();
        let entity = json!({
            "apiVersion": API_VERSION,
            "kind": "System",
            "metadata": { "name": system, "tags": ["paved"] },
            "spec": { "owner": group_ref(owner) },
        });
        let path = layout::catalog_entity(CatalogFolder::Systems, system);
        tree.yaml(layout::catalog(&path), &entity);
        targets.push(path);
    }
    let mut users: BTreeMap<&str, (Json, Vec<String>)> = BTreeMap::new();
    let mut children: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (child, entry) in &catalog.teams {
        if let Some(parent) = &entry.team.metadata.parent {
            children.entry(parent).or_default().push(group_ref(child));
        }
    }
    for (name, entry) in &catalog.teams {
        let team = &entry.team;
        let children = children.remove(name.as_str()).unwrap_or_default();
        let mut profile = json!({});
        if let Some(display) = &team.metadata.display_name {
            profile["displayName"] = json!(display);
        }
        if let Some(email) = &team.spec.email {
            profile["email"] = json!(email);
        }
        let mut spec = json!({
            "type": "team",
            "profile": profile,
            "children": children,
            "members": team.spec.members.iter().map(|m| format!("user:default/{}", m.name)).collect::<Vec<_>>(),
        });
        if let Some(parent) = &team.metadata.parent {
            spec["parent"] = json!(group_ref(parent));
        }
        let mut links = Vec::new();
        if let Some(chat) = &team.spec.chat
            && let Some(url) = &chat.url
        {
            links.push(
                json!({ "url": url, "title": format!("Chat: {}", chat.channel), "type": "chat" }),
            );
        }
        if let Some(oncall) = &team.spec.oncall
            && let Some(url) = &oncall.url
        {
            links.push(json!({ "url": url, "title": "On call", "type": "oncall" }));
        }
        for link in &team.metadata.links {
            links.push(json!({ "url": link.url, "title": link.title.clone().unwrap_or_else(|| link.url.clone()) }));
        }
        let mut annotations = json!({ "paved.dev/intent": entry.origin.file.path });
        if let Some(chat) = &team.spec.chat {
            annotations["paved.dev/chat-channel"] = json!(chat.channel);
        }
        if let Some(schedule) = team.spec.oncall.as_ref().and_then(|o| o.schedule.as_ref()) {
            annotations["paved.dev/oncall-schedule"] = json!(schedule);
        }
        let mut group = json!({
            "apiVersion": API_VERSION,
            "kind": "Group",
            "metadata": { "name": name, "annotations": annotations, "links": links },
            "spec": spec,
        });
        if let Some(description) = &team.metadata.description {
            group["metadata"]["description"] = json!(description);
        }
        let path = layout::catalog_entity(CatalogFolder::Groups, name);
        tree.yaml(layout::catalog(&path), &group);
        targets.push(path);
        for member in &team.spec.members {
            let (_, member_of) = users.entry(member.name.as_str()).or_insert_with(|| {
                let mut profile = json!({});
                if let Some(display) = &member.display_name {
                    profile["displayName"] = json!(display);
                }
                if let Some(email) = &member.email {
                    profile["email"] = json!(email);
                }
                (profile, Vec::new())
            });
            member_of.push(group_ref(name));
        }
    }
    for (user, (profile, member_of)) in users {
        let entity = json!({
            "apiVersion": API_VERSION,
            "kind": "User",
            "metadata": { "name": user },
            "spec": { "profile": profile, "memberOf": member_of },
        });
        let path = layout::catalog_entity(CatalogFolder::Users, user);
        tree.yaml(layout::catalog(&path), &entity);
        targets.push(path);
    }
    targets.sort();
    let location = json!({
        "apiVersion": API_VERSION,
        "kind": "Location",
        "metadata": {
            "name": "paved",
            "description": "Every entity paved generates from the monorepo's intents.",
        },
        "spec": {
            "type": "url",
            "targets": targets.iter().map(|t| format!("./{t}")).collect::<Vec<_>>(),
        },
    });
    tree.yaml(layout::catalog("location.yaml"), &location);
}
