//! `paved init` and `paved new`: a new monorepo, a new service or team, from templates
//! the platform team may override in `platform/new/`.
//!
//! Inputs are checked before a template sees them (names are DNS labels, free text has
//! no line breaks), and the result is checked as an intent before anything is written,
//! so a template, built-in or not, cannot produce a file `paved check` rejects.

use std::path::{Path, PathBuf};

use minijinja::value::Serde;
use minijinja::{Environment, UndefinedBehavior, Value, context};
use serde::Serialize;

use crate::load::platform::Platform;
use crate::model::config::Config;
use crate::types::{self, Registry};
use crate::validate::resolve::Catalog;

/// Where a platform overrides the templates of `paved new`: `service.yaml.j2` and
/// `team.yaml.j2`.
pub(crate) const OVERRIDE_DIR: &str = "platform/new";

const SERVICE_TEMPLATE: &str = include_str!("../../templates/new/service.yaml.j2");
const TEAM_TEMPLATE: &str = include_str!("../../templates/new/team.yaml.j2");
const CONFIG_TEMPLATE: &str = include_str!("../../templates/init/paved.yaml.j2");
const PULL_REQUEST_WORKFLOW: &str = include_str!("../../.github/examples/paved-pull-request.yml");
const MAIN_WORKFLOW: &str = include_str!("../../.github/examples/paved-main.yml");

/// Where the editor schemas go: hidden, so that paved does not read them as intents.
pub(crate) const SCHEMA_DIR: &str = ".schemas";

/// Template loops are short; this bounds a platform's template that is not.
const FUEL: u64 = 100_000;

/// The service types and what `--type` accepts.
pub(crate) const SERVICE_TYPES: &[&str] = &["api", "web", "worker"];

/// What `paved new service` is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServiceRequest {
    pub name: String,
    pub owner: String,
    pub kind: String,
    /// Resource types, in the order given.
    pub with: Vec<String>,
    pub public: bool,
    pub tier: u8,
}

/// What `paved new team` is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TeamRequest {
    pub name: String,
    pub parent: Option<String>,
    pub email: Option<String>,
    pub display_name: Option<String>,
}

/// A file to write, relative to the repository root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct File {
    pub path: String,
    pub text: String,
}

/// Whether `name` may name a service or team: a DNS label of at most 63 characters.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    let bytes = name.as_bytes();
    let valid = !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0].is_ascii_lowercase()
        && bytes[bytes.len() - 1] != b'-';
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a valid name: lowercase letters, digits and `-`, starting with a letter, not ending with `-`, at most 63 characters"
        ))
    }
}

/// Free text for a template: one line, no control characters.
fn check_text(label: &str, text: &str) -> Result<(), String> {
    if text.chars().any(char::is_control) {
        return Err(format!(
            "{label}: one line of text, without control characters"
        ));
    }
    Ok(())
}

/// Check a service request against the catalog and the resource types of the platform.
pub(crate) fn check_service(
    request: &ServiceRequest,
    catalog: &Catalog,
    platform: &Platform,
) -> Result<(), String> {
    check_name(&request.name)?;
    if catalog.services.contains_key(&request.name) {
        let file = &catalog.services[&request.name].origin.file.path;
        return Err(format!(
            "a service `{}` exists already, in {file}",
            request.name
        ));
    }
    check_owner(&request.owner, catalog)?;
    if !SERVICE_TYPES.contains(&request.kind.as_str()) {
        return Err(format!(
            "--type {}: expected one of {}",
            request.kind,
            SERVICE_TYPES.join(", ")
        ));
    }
    if !(1..=4).contains(&request.tier) {
        return Err(format!(
            "--tier {}: expected 1 (business-critical) to 4 (best effort)",
            request.tier
        ));
    }
    if request.public && request.kind == "worker" {
        return Err(String::from(
            "--public: a worker serves no traffic; use --type web or api",
        ));
    }
    let registry = Registry::new(&platform.provisioners);
    for kind in &request.with {
        if registry.find(kind).is_none() {
            let suggestion = crate::diag::finding::did_you_mean(kind, registry.names())
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            return Err(format!(
                "--with {kind}: not a resource type; {suggestion}types: {}",
                registry.names().join(", ")
            ));
        }
    }
    Ok(())
}

/// Whether `owner` names a team of the catalog.
pub(crate) fn check_owner(owner: &str, catalog: &Catalog) -> Result<(), String> {
    if catalog.teams.contains_key(owner) {
        return Ok(());
    }
    let teams: Vec<&str> = catalog.teams.keys().map(String::as_str).collect();
    if teams.is_empty() {
        return Err(format!(
            "--owner {owner}: the repository has no team yet; add one with `paved new team --name {owner}`"
        ));
    }
    let suggestion = crate::diag::finding::did_you_mean(owner, teams.iter().copied())
        .map(|s| format!("did you mean `{s}`? "))
        .unwrap_or_default();
    Err(format!(
        "--owner {owner}: no such team; {suggestion}teams: {}",
        teams.join(", ")
    ))
}

/// Check a team request against the catalog.
pub(crate) fn check_team(request: &TeamRequest, catalog: &Catalog) -> Result<(), String> {
    check_name(&request.name)?;
    if let Some(entry) = catalog.teams.get(&request.name) {
        return Err(format!(
            "a team `{}` exists already, in {}",
            request.name, entry.origin.file.path
        ));
    }
    if let Some(parent) = &request.parent {
        check_owner(parent, catalog).map_err(|e| e.replacen("--owner", "--parent", 1))?;
    }
    if let Some(email) = &request.email {
        check_text("--email", email)?;
        if !email.contains('@') {
            return Err(format!("--email {email}: not an email address"));
        }
    }
    if let Some(display_name) = &request.display_name {
        check_text("--display-name", display_name)?;
    }
    Ok(())
}

#[derive(Serialize)]
struct ResourceContext {
    name: String,
    #[serde(rename = "type")]
    kind: String,
    outputs: Vec<OutputContext>,
}

#[derive(Serialize)]
struct OutputContext {
    name: String,
    variable: String,
}

#[derive(Serialize)]
struct HostContext {
    name: String,
    host: String,
}

/// The name a resource of a type gets in a new service: the type's choice, or the
/// type's own name for a type the platform adds.
fn resource_name(kind: &str) -> &str {
    types::find(kind).map_or(kind, |t| t.scaffold_name())
}

/// The intent of a new service, as the platform's template (or the built-in one)
/// writes it, and where it goes.
pub(crate) fn service(
    root: &Path,
    config: &Config,
    platform: &Platform,
    request: &ServiceRequest,
    local_schemas: bool,
) -> Result<File, String> {
    let registry = Registry::new(&platform.provisioners);
    let mut resources: Vec<ResourceContext> = Vec::new();
    for kind in &request.with {
        let Some(found) = registry.find(kind) else {
            continue;
        };
        let base = resource_name(kind);
        let mut name = base.to_string();
        let mut n = 2;
        while resources.iter().any(|r| r.name == name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        // Connection details as environment variables: what the code reads.
        let outputs = found
            .output_names()
            .into_iter()
            .map(|output| OutputContext {
                name: output.to_string(),
                variable: format!("{name}_{output}").to_uppercase().replace('-', "_"),
            })
            .collect();
        resources.push(ResourceContext {
            name,
            kind: kind.clone(),
            outputs,
        });
    }
    let registry_prefix = config
        .registries
        .first()
        .cloned()
        .unwrap_or_else(|| String::from("registry.example.com/"));
    let separator = if registry_prefix.ends_with('/') {
        ""
    } else {
        "/"
    };
    let image = format!("{registry_prefix}{separator}{}:0.1.0", request.name);
    let production = config.environments.iter().find(|e| e.production);
    let host_in = |domain: Option<&String>| match domain {
        Some(domain) => format!("{}.{domain}", request.name),
        None => format!("{}.example.com", request.name),
    };
    let host = host_in(production.and_then(|e| e.domain.as_ref()));
    let hosts: Vec<HostContext> = config
        .environments
        .iter()
        .filter(|e| !e.production && e.domain.is_some())
        .map(|e| HostContext {
            name: e.name.clone(),
            host: host_in(e.domain.as_ref()),
        })
        .collect();
    let path = format!("services/{}/service.yaml", request.name);
    let availability = match request.tier {
        1 => "99.95",
        2 => "99.9",
        _ => "99.5",
    };
    let values = context! {
        name => &request.name,
        owner => &request.owner,
        type => &request.kind,
        tier => request.tier,
        public => request.public,
        image => image,
        host => host,
        hosts => Value::from(Serde(&hosts)),
        resources => Value::from(Serde(&resources)),
        availability => availability,
        environments => config.environments.iter().map(|e| e.name.clone()).collect::<Vec<_>>(),
        schema => schema_reference(&path, "service", local_schemas),
    };
    let text = render_template(root, "service.yaml.j2", SERVICE_TEMPLATE, values)?;
    Ok(File { path, text })
}

/// The intent of a new team, and where it goes.
pub(crate) fn team(
    root: &Path,
    request: &TeamRequest,
    local_schemas: bool,
) -> Result<File, String> {
    let path = format!("teams/{}.yaml", request.name);
    let display_name = request
        .display_name
        .clone()
        .unwrap_or_else(|| title_case(&request.name));
    let values = context! {
        name => &request.name,
        display_name => display_name,
        parent => &request.parent,
        email => &request.email,
        schema => schema_reference(&path, "team", local_schemas),
    };
    let text = render_template(root, "team.yaml.j2", TEAM_TEMPLATE, values)?;
    Ok(File { path, text })
}

/// `payments-core` → `Payments Core`.
fn title_case(name: &str) -> String {
    name.split('-')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether the repository at `root` has its own copy of the schemas (`paved init`
/// writes one).
pub(crate) fn local_schemas(root: &Path) -> bool {
    root.join(SCHEMA_DIR).is_dir()
}

/// The editor modeline's schema: the repository's own copy, or the published one.
fn schema_reference(path: &str, name: &str, local: bool) -> String {
    if local {
        let depth = path.matches('/').count();
        format!("{}{SCHEMA_DIR}/{name}.schema.json", "../".repeat(depth))
    } else {
        format!("https://paved.dev/schemas/v1/{name}.schema.json")
    }
}

fn render_template(
    root: &Path,
    name: &str,
    built_in: &str,
    values: Value,
) -> Result<String, String> {
    let override_path = root.join(OVERRIDE_DIR).join(name);
    let (source, shown) = match std::fs::read_to_string(&override_path) {
        Ok(text) => (text, format!("{OVERRIDE_DIR}/{name}")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            (built_in.to_string(), format!("the built-in {name}"))
        }
        Err(e) => return Err(format!("{OVERRIDE_DIR}/{name}: {e}")),
    };
    let mut environment = Environment::new();
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    environment.set_fuel(Some(FUEL));
    // Free text goes through this: a YAML string in double quotes.
    environment.add_filter("quoted", |text: String| {
        serde_json::to_string(&text).unwrap_or_default()
    });
    let mut rendered = environment
        .render_str(&source, values)
        .map_err(|e| format!("{shown}: {e}"))?;
    if !rendered.ends_with('\n') {
        rendered.push('\n');
    }
    Ok(rendered)
}

/// What `paved init` writes into `root`: paved.yaml, the editor schemas, the CI
/// workflows, a team and an example service owned by it.
pub(crate) fn init_files(root: &Path, org: &str, team_name: &str) -> Result<Vec<File>, String> {
    check_name(org).map_err(|e| format!("--org: {e}"))?;
    check_name(team_name).map_err(|e| format!("--team: {e}"))?;
    let mut environment = Environment::new();
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    let config_text = environment
        .render_str(CONFIG_TEMPLATE, context! { org => org })
        .map_err(|e| e.to_string())?
        + "\n";
    // The example service is made for the configuration just written.
    let mut snapshot = crate::load::repo::Snapshot::default();
    snapshot.files.insert(
        crate::load::config::FILE_NAME.to_string(),
        crate::load::repo::Entry::File(config_text.clone().into_bytes()),
    );
    let schemas = crate::load::schema::Schemas::new()?;
    let loaded = crate::load::config::load(&crate::load::repo::Repo::Snapshot(snapshot), &schemas)
        .map_err(|e| e.to_string())?;
    let mut files = vec![File {
        path: crate::load::config::FILE_NAME.to_string(),
        text: config_text,
    }];
    files.push(team(
        root,
        &TeamRequest {
            name: team_name.to_string(),
            parent: None,
            email: None,
            display_name: None,
        },
        true,
    )?);
    files.push(service(
        root,
        &loaded.config,
        &crate::load::platform::Platform::default(),
        &ServiceRequest {
            name: String::from("hello"),
            owner: team_name.to_string(),
            kind: String::from("api"),
            with: Vec::new(),
            public: false,
            tier: 3,
        },
        true,
    )?);
    for (name, text) in crate::load::schema::FILES {
        files.push(File {
            path: format!("{SCHEMA_DIR}/{name}"),
            text: (*text).to_string(),
        });
    }
    files.push(File {
        path: String::from(".github/workflows/paved-pull-request.yml"),
        text: PULL_REQUEST_WORKFLOW.to_string(),
    });
    files.push(File {
        path: String::from(".github/workflows/paved-main.yml"),
        text: MAIN_WORKFLOW.to_string(),
    });
    Ok(files)
}

/// Check a new intent file as `paved check` would check it alone: YAML and schema.
pub(crate) fn validate(file: &File, schemas: &crate::load::schema::Schemas) -> Result<(), String> {
    let source = std::sync::Arc::new(crate::syntax::source::SourceFile::new(
        file.path.clone(),
        file.text.clone(),
    ));
    let mut findings = Vec::new();
    let intents = crate::load::intent::load_file(
        &source,
        crate::syntax::yaml::Limits::default(),
        schemas,
        None,
        &mut findings,
    );
    let errors: Vec<String> = findings
        .iter()
        .filter(|f| f.severity == crate::diag::finding::Severity::Error)
        .map(|f| {
            format!(
                "{}:{}:{}: {} ({})",
                file.path,
                f.location.span.line,
                f.location.span.column,
                f.message,
                f.code_name()
            )
        })
        .collect();
    if !errors.is_empty() {
        return Err(format!(
            "the template made an intent that does not validate; nothing was written:\n  {}",
            errors.join("\n  ")
        ));
    }
    if intents.is_empty() {
        return Err(format!(
            "the template made no intent in {}; nothing was written",
            file.path
        ));
    }
    Ok(())
}

/// Write `files` under `root`; refuses (naming them) to replace files that exist,
/// unless `force`. Each file is written atomically.
pub(crate) fn write(root: &Path, files: &[File], force: bool) -> Result<Vec<PathBuf>, String> {
    let existing: Vec<&str> = files
        .iter()
        .filter(|f| root.join(&f.path).exists())
        .map(|f| f.path.as_str())
        .collect();
    if !existing.is_empty() && !force {
        return Err(format!(
            "these files exist already: {}; nothing was written (--force replaces them)",
            existing.join(", ")
        ));
    }
    let mut written = Vec::new();
    for file in files {
        let path = root.join(&file.path);
        written.push(path);
    }
    let contents: Vec<(PathBuf, &[u8])> = written
        .iter()
        .zip(files)
        .map(|(path, file)| (path.clone(), file.text.as_bytes()))
        .collect();
    crate::write::apply::write_all(&contents).map_err(|e| format!("{}: {e}", root.display()))?;
    Ok(written)
}
