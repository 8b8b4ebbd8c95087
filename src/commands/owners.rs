//! `paved owners`: which team owns a service, a team, an intent file, a generated file
//! or a file in a service's folder, and how to reach that team.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value as Json, json};

use crate::validate::resolve::Catalog;

/// What a target is, and the services and teams it comes down to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Answer {
    /// How the target was understood, e.g. `service cart-api`.
    pub what: String,
    /// The owning teams, by name (a file may hold several intents).
    pub teams: BTreeSet<String>,
}

/// `target` as a path relative to the repository root `root`, when it names a path:
/// relative to `cwd`, where paved runs. The path need not exist, e.g. a file about to
/// be added or a generated file not yet made.
pub(crate) fn relative(root: &Path, cwd: &Path, target: &str) -> Option<String> {
    if !target.contains('/') {
        return None;
    }
    let real_root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let real_cwd = cwd.canonicalize().unwrap_or_else(|_| cwd.to_path_buf());
    let base = if real_cwd.starts_with(&real_root) {
        crate::load::discover::relative_path(&real_root, &real_cwd)
    } else {
        String::new()
    };
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// Answer for `target`: a service or team name, or a path relative to the repository
/// root (`relative`, when the target names a file or folder of the repository).
pub(crate) fn find(
    catalog: &Catalog,
    output: &str,
    target: &str,
    relative: Option<&str>,
) -> Result<Answer, String> {
    if let Some(entry) = catalog.services.get(target) {
        return Ok(Answer {
            what: format!("service {target} ({})", entry.origin.file.path),
            teams: BTreeSet::from([entry.service.metadata.owner.clone()]),
        });
    }
    if let Some(entry) = catalog.teams.get(target) {
        return Ok(Answer {
            what: format!("team {target} ({})", entry.origin.file.path),
            teams: BTreeSet::from([target.to_string()]),
        });
    }
    let Some(path) = relative else {
        let names = catalog
            .services
            .keys()
            .chain(catalog.teams.keys())
            .map(String::as_str);
        let suggestion = crate::diag::finding::did_you_mean(target, names)
            .map(|s| format!("; did you mean `{s}`?"))
            .unwrap_or_default();
        return Err(format!(
            "`{target}` is no service, team or file of the repository{suggestion}"
        ));
    };
    let owner_of = |service: &str| {
        catalog
            .services
            .get(service)
            .map(|e| e.service.metadata.owner.clone())
    };
    // An intent file: the intents in it.
    let mut teams = BTreeSet::new();
    let mut named = Vec::new();
    for (name, entry) in &catalog.services {
        if entry.origin.file.path == path {
            teams.insert(entry.service.metadata.owner.clone());
            named.push(format!("service {name}"));
        }
    }
    for (name, entry) in &catalog.teams {
        if entry.origin.file.path == path {
            teams.insert(name.clone());
            named.push(format!("team {name}"));
        }
    }
    if !teams.is_empty() {
        return Ok(Answer {
            what: format!("{path}: the intent of {}", named.join(", ")),
            teams,
        });
    }
    // A generated file: the service it was rendered for, else what its path tells.
    let prefix = format!("{}/", output.trim_end_matches('/'));
    if let Some(generated) = path.strip_prefix(&prefix) {
        let place = crate::render::layout::place(generated);
        if let Some(service) = place.service
            && let Some(team) = owner_of(service)
        {
            return Ok(Answer {
                what: format!("{path}: generated for service {service}"),
                teams: BTreeSet::from([team]),
            });
        }
        if let Some(team) = place
            .team
            .map(str::to_string)
            .filter(|t| catalog.teams.contains_key(t))
        {
            return Ok(Answer {
                what: format!("{path}: generated for team {team}"),
                teams: BTreeSet::from([team]),
            });
        }
        if let Some(id) = place.shared {
            let (users, teams): (Vec<&str>, BTreeSet<String>) = catalog
                .services
                .iter()
                .filter(|(_, e)| {
                    e.deployments.iter().any(|d| {
                        d.spec
                            .resources
                            .values()
                            .any(|r| r.id.as_deref() == Some(id))
                    })
                })
                .map(|(name, e)| (name.as_str(), e.service.metadata.owner.clone()))
                .unzip();
            if !users.is_empty() {
                return Ok(Answer {
                    what: format!(
                        "{path}: the shared resource {id}, used by {}",
                        users.join(", ")
                    ),
                    teams,
                });
            }
        }
        return Err(format!(
            "{path} is generated from the whole catalog; no one team owns it (the platform team does)"
        ));
    }
    // A file in a service's folder: the service whose intent sits nearest above it.
    let nearest = catalog
        .services
        .iter()
        .filter_map(|(name, entry)| {
            let intent = &entry.origin.file.path;
            let (folder, _) = intent.rsplit_once('/')?;
            (path == folder || path.starts_with(&format!("{folder}/"))).then_some((
                folder.len(),
                name,
                folder,
            ))
        })
        .max_by_key(|(depth, name, _)| (*depth, std::cmp::Reverse(*name)));
    if let Some((_, name, folder)) = nearest
        && let Some(team) = owner_of(name)
    {
        return Ok(Answer {
            what: format!("{path}: in {folder}/, the folder of service {name}"),
            teams: BTreeSet::from([team]),
        });
    }
    Err(format!(
        "{path}: no intent owns it (it is neither an intent, a generated file, nor in a service's folder)"
    ))
}

/// The teams of an answer with their contacts, for people.
pub(crate) fn human(answer: &Answer, catalog: &Catalog) -> String {
    let mut out = format!("{}\n", answer.what);
    for name in &answer.teams {
        let Some(entry) = catalog.teams.get(name) else {
            out.push_str(&format!("owner: {name} (no such team)\n"));
            continue;
        };
        let team = &entry.team;
        match &team.metadata.display_name {
            Some(display) => out.push_str(&format!("owner: {name} ({display})\n")),
            None => out.push_str(&format!("owner: {name}\n")),
        }
        out.push_str(&format!("  intent:  {}\n", entry.origin.file.path));
        if let Some(parent) = &team.metadata.parent {
            out.push_str(&format!("  part of: {parent}\n"));
        }
        if let Some(email) = &team.spec.email {
            out.push_str(&format!("  email:   {email}\n"));
        }
        if let Some(chat) = &team.spec.chat {
            match &chat.url {
                Some(url) => out.push_str(&format!("  chat:    {} ({url})\n", chat.channel)),
                None => out.push_str(&format!("  chat:    {}\n", chat.channel)),
            }
        }
        if let Some(oncall) = &team.spec.oncall {
            let parts: Vec<&str> = [&oncall.schedule, &oncall.url, &oncall.email]
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect();
            out.push_str(&format!("  on-call: {}\n", parts.join(", ")));
        }
        for member in &team.spec.members {
            let mut line = format!(
                "  member:  {}",
                member.display_name.as_ref().unwrap_or(&member.name)
            );
            if let Some(role) = &member.role {
                line.push_str(&format!(" ({role})"));
            }
            if let Some(email) = &member.email {
                line.push_str(&format!(" {email}"));
            }
            out.push_str(&line);
            out.push('\n');
        }
    }
    out
}

pub(crate) fn json(answer: &Answer, catalog: &Catalog) -> String {
    let teams: Vec<Json> = answer
        .teams
        .iter()
        .map(|name| match catalog.teams.get(name) {
            Some(entry) => json!({
                "name": name,
                "intent": entry.origin.file.path,
                "displayName": entry.team.metadata.display_name,
                "parent": entry.team.metadata.parent,
                "email": entry.team.spec.email,
                "chat": entry.team.spec.chat,
                "oncall": entry.team.spec.oncall,
                "members": entry.team.spec.members,
            }),
            None => json!({ "name": name }),
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&json!({
        "target": answer.what,
        "teams": teams,
    }))
    .unwrap_or_default();
    text.push('\n');
    text
}
