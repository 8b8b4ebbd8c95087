//! `paved graph`: services, their resources, their teams and what depends on what, as
//! Mermaid, Graphviz dot or JSON; `--focus` keeps one service, everything it depends
//! on and everything that depends on it (what a change to it may reach).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value as Json, json};

use crate::validate::resolve::Catalog;

/// Mermaid refuses flowcharts with more edges than this.
pub(crate) const MERMAID_EDGES: usize = 500;

/// Output formats of `paved graph`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GraphFormat {
    /// A Mermaid flowchart, for Markdown (GitHub renders it)
    Mermaid,
    /// Graphviz
    Dot,
    /// Nodes and edges
    Json,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    Service,
    Resource,
}

#[derive(Debug, Clone)]
struct Node {
    id: String,
    kind: Kind,
    label: String,
    /// The team it is drawn with (a shared resource has none).
    team: Option<String>,
    /// For resources: the type.
    resource_type: Option<String>,
    focus: bool,
}

/// The graph of a catalog, or of one service's neighbourhood.
#[derive(Debug, Default)]
pub(crate) struct Graph {
    nodes: BTreeMap<String, Node>,
    /// (from, to): a service depends on a service.
    depends: BTreeSet<(String, String)>,
    /// (service, resource): a service uses a resource.
    uses: BTreeSet<(String, String)>,
    /// Teams drawn, with their display names and parents.
    teams: BTreeMap<String, (String, Option<String>)>,
}

fn service_id(name: &str) -> String {
    format!("svc_{}", name.replace('-', "_"))
}

/// A resource's node: one per shared id, else one per service and resource name.
fn resource_id(service: &str, resource: &str, shared: Option<&str>) -> String {
    match shared {
        Some(id) => format!("shared_{}", id.replace('-', "_")),
        None => format!(
            "res_{}__{}",
            service.replace('-', "_"),
            resource.replace('-', "_")
        ),
    }
}

impl Graph {
    /// Build the graph; with `focus`, only that service, what it depends on and what
    /// depends on it, transitively. An unknown focus is an error naming the services.
    pub(crate) fn new(catalog: &Catalog, focus: Option<&str>) -> Result<Self, String> {
        let selected: BTreeSet<&str> = match focus {
            None => catalog.services.keys().map(String::as_str).collect(),
            Some(name) => {
                if !catalog.services.contains_key(name) {
                    let names = catalog.services.keys().map(String::as_str);
                    let suggestion = crate::diag::finding::did_you_mean(name, names)
                        .map(|s| format!("; did you mean `{s}`?"))
                        .unwrap_or_default();
                    return Err(format!("--focus {name}: no such service{suggestion}"));
                }
                neighbourhood(catalog, name)
            }
        };
        let mut graph = Graph::default();
        for name in &selected {
            let entry = &catalog.services[*name];
            let metadata = &entry.service.metadata;
            graph.nodes.insert(
                service_id(name),
                Node {
                    id: service_id(name),
                    kind: Kind::Service,
                    label: (*name).to_string(),
                    team: Some(metadata.owner.clone()),
                    resource_type: None,
                    focus: focus == Some(*name),
                },
            );
            let display = catalog
                .teams
                .get(&metadata.owner)
                .map(|t| {
                    (
                        t.team
                            .metadata
                            .display_name
                            .clone()
                            .unwrap_or_else(|| metadata.owner.clone()),
                        t.team.metadata.parent.clone(),
                    )
                })
                .unwrap_or_else(|| (metadata.owner.clone(), None));
            graph.teams.insert(metadata.owner.clone(), display);
            for dependency in entry.service.spec.dependencies.iter() {
                if selected.contains(dependency.as_str()) {
                    graph
                        .depends
                        .insert((service_id(name), service_id(dependency)));
                }
            }
            // Resources of every environment: an override may add one.
            let mut resources: BTreeMap<&str, &crate::model::intent::Resource> = BTreeMap::new();
            for deployment in &entry.deployments {
                for (resource, declared) in deployment.spec.resources.iter() {
                    resources.entry(resource).or_insert(declared);
                }
            }
            for (resource, declared) in resources {
                let shared = declared.id.as_deref();
                let id = resource_id(name, resource, shared);
                graph.nodes.entry(id.clone()).or_insert_with(|| Node {
                    id: id.clone(),
                    kind: Kind::Resource,
                    label: shared.unwrap_or(resource).to_string(),
                    team: shared.is_none().then(|| metadata.owner.clone()),
                    resource_type: Some(declared.kind.clone()),
                    focus: false,
                });
                graph.uses.insert((service_id(name), id));
            }
        }
        Ok(graph)
    }

    /// A team's services, then their own resources.
    fn members<'a>(&'a self, team: &'a str) -> impl Iterator<Item = &'a Node> {
        let mut members: Vec<&Node> = self
            .nodes
            .values()
            .filter(|n| n.team.as_deref() == Some(team))
            .collect();
        members.sort_by(|a, b| (&a.kind, &a.id).cmp(&(&b.kind, &b.id)));
        members.into_iter()
    }

    /// Edges drawn: Mermaid draws a flowchart of at most 500.
    pub(crate) fn edges(&self) -> usize {
        self.depends.len() + self.uses.len()
    }

    /// The graph in `format`.
    pub(crate) fn text(&self, format: GraphFormat) -> String {
        match format {
            GraphFormat::Mermaid => self.mermaid(),
            GraphFormat::Dot => self.dot(),
            GraphFormat::Json => self.json(),
        }
    }

    pub(crate) fn mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        let node = |node: &Node| match node.kind {
            Kind::Service => format!("{}[\"{}\"]", node.id, mermaid_text(&node.label)),
            Kind::Resource => format!(
                "{}[(\"{} ({})\")]",
                node.id,
                mermaid_text(&node.label),
                mermaid_text(node.resource_type.as_deref().unwrap_or_default())
            ),
        };
        for (team, (display, _)) in &self.teams {
            out.push_str(&format!(
                "  subgraph team_{}[\"{}\"]\n",
                team.replace('-', "_"),
                mermaid_text(&format!("team {display}"))
            ));
            for member in self.members(team) {
                out.push_str(&format!("    {}\n", node(member)));
            }
            out.push_str("  end\n");
        }
        for shared in self.nodes.values().filter(|n| n.team.is_none()) {
            out.push_str(&format!("  {}\n", node(shared)));
        }
        for (from, to) in &self.depends {
            out.push_str(&format!("  {from} --> {to}\n"));
        }
        for (from, to) in &self.uses {
            out.push_str(&format!("  {from} -.-> {to}\n"));
        }
        out.push_str("  classDef service fill:#e8f0fe,stroke:#1a73e8\n");
        out.push_str("  classDef resource fill:#fef7e0,stroke:#f9ab00\n");
        out.push_str("  classDef focus fill:#fce8e6,stroke:#d93025,stroke-width:3px\n");
        for (class, kind) in [("service", Kind::Service), ("resource", Kind::Resource)] {
            let ids: Vec<&str> = self
                .nodes
                .values()
                .filter(|n| n.kind == kind && !n.focus)
                .map(|n| n.id.as_str())
                .collect();
            if !ids.is_empty() {
                out.push_str(&format!("  class {} {class}\n", ids.join(",")));
            }
        }
        if let Some(focus) = self.nodes.values().find(|n| n.focus) {
            out.push_str(&format!("  class {} focus\n", focus.id));
        }
        out
    }

    pub(crate) fn dot(&self) -> String {
        let mut out =
            String::from("digraph paved {\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n");
        let node = |node: &Node| {
            let (shape, fill, label) = match node.kind {
                Kind::Service => ("box", "#e8f0fe", node.label.clone()),
                Kind::Resource => (
                    "cylinder",
                    "#fef7e0",
                    format!(
                        "{} ({})",
                        node.label,
                        node.resource_type.as_deref().unwrap_or_default()
                    ),
                ),
            };
            let fill = if node.focus { "#fce8e6" } else { fill };
            format!(
                "{} [label={}, shape={shape}, style=filled, fillcolor=\"{fill}\"];",
                node.id,
                dot_string(&label)
            )
        };
        for (team, (display, _)) in &self.teams {
            out.push_str(&format!(
                "  subgraph cluster_team_{} {{\n    label={};\n",
                team.replace('-', "_"),
                dot_string(&format!("team {display}"))
            ));
            for member in self.members(team) {
                out.push_str(&format!("    {}\n", node(member)));
            }
            out.push_str("  }\n");
        }
        for shared in self.nodes.values().filter(|n| n.team.is_none()) {
            out.push_str(&format!("  {}\n", node(shared)));
        }
        for (from, to) in &self.depends {
            out.push_str(&format!("  {from} -> {to};\n"));
        }
        for (from, to) in &self.uses {
            out.push_str(&format!("  {from} -> {to} [style=dashed];\n"));
        }
        out.push_str("}\n");
        out
    }

    pub(crate) fn json(&self) -> String {
        let nodes: Vec<Json> = self
            .nodes
            .values()
            .map(|n| {
                let mut node = json!({
                    "id": n.id,
                    "kind": match n.kind { Kind::Service => "service", Kind::Resource => "resource" },
                    "name": n.label,
                    "team": n.team,
                });
                if let Some(kind) = &n.resource_type {
                    node["type"] = json!(kind);
                }
                if n.focus {
                    node["focus"] = json!(true);
                }
                node
            })
            .collect();
        let teams: Vec<Json> = self
            .teams
            .iter()
            .map(|(name, (display, parent))| {
                json!({ "name": name, "displayName": display, "parent": parent })
            })
            .collect();
        let edges: Vec<Json> = self
            .depends
            .iter()
            .map(|(from, to)| json!({ "from": from, "to": to, "kind": "dependsOn" }))
            .chain(
                self.uses
                    .iter()
                    .map(|(from, to)| json!({ "from": from, "to": to, "kind": "uses" })),
            )
            .collect();
        let mut text = serde_json::to_string_pretty(&json!({
            "teams": teams,
            "nodes": nodes,
            "edges": edges,
        }))
        .unwrap_or_default();
        text.push('\n');
        text
    }
}

/// `name`, what it depends on and what depends on it, transitively.
fn neighbourhood<'a>(catalog: &'a Catalog, name: &'a str) -> BTreeSet<&'a str> {
    let mut dependents: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (service, entry) in &catalog.services {
        for dependency in entry.service.spec.dependencies.iter() {
            dependents
                .entry(dependency.as_str())
                .or_default()
                .push(service.as_str());
        }
    }
    let mut selected = BTreeSet::from([name]);
    let mut stack = vec![name];
    while let Some(current) = stack.pop() {
        let Some(entry) = catalog.services.get(current) else {
            continue;
        };
        for dependency in entry.service.spec.dependencies.iter() {
            if catalog.services.contains_key(dependency) && selected.insert(dependency) {
                stack.push(dependency);
            }
        }
    }
    let mut stack = vec![name];
    while let Some(current) = stack.pop() {
        for dependent in dependents.get(current).into_iter().flatten() {
            if selected.insert(dependent) {
                stack.push(dependent);
            }
        }
    }
    selected
}

/// Text inside a quoted Mermaid label: entity codes stand for the characters Mermaid
/// would read as syntax, HTML or Markdown.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            // A literal colon, `#` and `;` on a line mentioning `style` is misread.
            ':' => out.push_str("#58;"),
            '`' => out.push_str("#96;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A Graphviz string literal.
fn dot_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_cannot_break_out_of_their_quotes() {
        assert_eq!(
            mermaid_text("a \"b\" #c <d> & e: `f`"),
            "a #quot;b#quot; #35;c #lt;d#gt; #amp; e#58; #96;f#96;"
        );
        assert_eq!(dot_string("a \"b\" \\"), "\"a \\\"b\\\" \\\\\"");
    }
}
