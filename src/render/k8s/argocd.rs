//! Argo CD Applications: one per service and environment, and one per team namespace.

use serde_json::{Value as Json, json};

use crate::model::config::{ArgoCd, Config, Environment};
use crate::model::names;
use crate::render::k8s::folder;
use crate::render::unit::Unit;
use crate::render::{Tree, layout};

fn destination(env: &Environment, namespace: &str) -> Json {
    match &env.cluster {
        Some(cluster) => json!({ "name": cluster, "namespace": namespace }),
        None => json!({ "server": "https://kubernetes.default.svc", "namespace": namespace }),
    }
}

fn application(
    argocd: &ArgoCd,
    name: &str,
    labels: Json,
    sources: Vec<Json>,
    destination: Json,
) -> Json {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": name,
            "namespace": argocd.namespace,
            "labels": labels,
            "finalizers": ["resources-finalizer.argocd.argoproj.io"],
        },
        "spec": {
            "project": argocd.project,
            "sources": sources,
            "destination": destination,
            "syncPolicy": {
                "automated": { "prune": true, "selfHeal": true },
                "syncOptions": ["CreateNamespace=false", "ServerSideApply=true"],
            },
        },
    })
}

pub(crate) fn argocd_application(unit: &Unit<'_>, argocd: &ArgoCd, tree: &mut Tree) {
    let output = &unit.config.output;
    let source = |path: String| json!({ "repoURL": argocd.repo_url, "targetRevision": argocd.target_revision, "path": path });
    let mut sources = vec![source(format!("{output}/{}", folder(unit)))];
    if unit.serves_traffic() {
        let mut alerts = source(format!("{output}/alerts/{}", unit.env.name));
        alerts["directory"] = json!({ "include": format!("{}.yaml", unit.name()) });
        sources.push(alerts);
    }
    let name = names::bounded(&[&unit.env.name, unit.name()], 63);
    let value = application(
        argocd,
        &name,
        unit.labels(),
        sources,
        destination(unit.env, unit.team()),
    );
    tree.yaml(layout::argocd_service(&unit.env.name, unit.name()), &value);
}

pub(crate) fn argocd_namespace_application(
    config: &Config,
    env: &Environment,
    team: &str,
    argocd: &ArgoCd,
    tree: &mut Tree,
) {
    let source = json!({
        "repoURL": argocd.repo_url,
        "targetRevision": argocd.target_revision,
        "path": format!("{}/kubernetes/{}/{team}", config.output, env.name),
        // Only the namespace itself: each service folder has its own Application.
        "directory": { "recurse": false },
    });
    let labels = json!({
        "app.kubernetes.io/managed-by": "paved",
        "paved.dev/team": team,
        "paved.dev/environment": env.name,
    });
    let name = names::bounded(&[&env.name, "namespace", team], 63);
    let value = application(argocd, &name, labels, vec![source], destination(env, team));
    tree.yaml(layout::argocd_namespace(&env.name, team), &value);
}
