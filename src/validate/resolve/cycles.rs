//! Dependency cycles, between services and between teams: each cycle reported once,
//! as its shortest loop, at the dependency that closes it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::diag::codes::Code;
use crate::diag::finding::Finding;
use crate::syntax::source::Location;

use super::Catalog;

/// Every cycle of a graph given as `node -> targets`, once per strongly connected
/// component, as the shortest path from the component's first node back to itself.
pub(super) fn cycles<'a>(graph: &BTreeMap<&'a str, Vec<&'a str>>) -> Vec<Vec<&'a str>> {
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
pub(super) fn cycle_finding(
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

pub(super) fn dependency_location(catalog: &Catalog, from: &str, to: &str) -> Location {
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

pub(super) fn check_cycles(catalog: &Catalog, findings: &mut Vec<Finding>) {
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
pub(super) fn strongly_connected(edges: &[Vec<usize>]) -> Vec<Vec<usize>> {
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
pub(super) fn shortest_cycle(
    start: usize,
    edges: &[Vec<usize>],
    members: &BTreeSet<usize>,
) -> Vec<usize> {
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
}
