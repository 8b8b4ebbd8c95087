//! Score workloads: checked, rendered like paved's own services, and converted to them.

use std::path::Path;

use super::*;

/// A copy of the Score monorepo fixture.
fn score_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&testdata("score"), dir.path(), &["generated"]);
    dir
}

fn render(repo: &Path) {
    let output = paved(&["render", "--repo", repo.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
}

/// Every generated file under a header line, for one snapshot of a whole tree.
fn tree_text(files: &std::collections::BTreeMap<String, Vec<u8>>) -> String {
    files
        .iter()
        .map(|(path, bytes)| format!("=== {path}\n{}", String::from_utf8_lossy(bytes)))
        .collect()
}

#[test]
fn score_workloads_pass_the_check_with_what_is_left_out_reported() {
    let (code, report) = check_json(&testdata("score"));
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["summary"]["intents"], 5);
    insta::assert_snapshot!(findings_text(code, &report));
}

#[test]
fn score_workloads_render_like_services() {
    let repo = score_repo();
    render(repo.path());
    let generated = files(&repo.path().join("generated"));
    for expected in [
        "kubernetes/dev/payments/orders/deployment.yaml",
        "kubernetes/prod/storefront/storefront/deployment.yaml",
        "terraform/prod/orders/main.tf",
        "terraform/prod/_shared/orders-db/main.tf",
        "dashboards/orders.json",
        "catalog/components/orders.yaml",
        "terraform/prod/catalog/products.tf",
        "terraform/prod/catalog/changes.tf",
        "terraform/prod/catalog/pricing.tf",
    ] {
        assert!(generated.contains_key(expected), "{expected} missing");
    }
    insta::assert_snapshot!(tree_text(&generated));
}

#[test]
fn convert_prints_the_equivalent_service() {
    let file = testdata("score/services/orders/score.yaml");
    let output = paved(&[
        "convert",
        "score",
        file.to_str().unwrap(),
        "--repo",
        testdata("score").to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(stderr(&output).contains("score-unsupported"));
    insta::assert_snapshot!(stdout(&output));
}

#[test]
fn convert_prints_nothing_but_the_findings_of_a_broken_workload() {
    let file = testdata("invalid/score-no-owner/services/score.yaml");
    let output = paved(&["convert", "score", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).is_empty());
    assert!(
        stderr(&output).contains("score-no-owner"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn convert_refuses_a_file_without_workloads() {
    let file = testdata("example/teams/payments.yaml");
    let output = paved(&["convert", "score", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no Score workload"));
}

/// What a workload renders and what the Service `paved convert` makes of it renders
/// are the same Kubernetes objects, Terraform, alerts and dashboards.
#[test]
fn a_workload_and_its_converted_service_render_the_same() {
    let score = score_repo();
    render(score.path());
    let converted = score_repo();
    for workload in ["orders", "storefront", "catalog"] {
        let folder = converted.path().join("services").join(workload);
        let output = paved(&[
            "convert",
            "score",
            folder.join("score.yaml").to_str().unwrap(),
            "--repo",
            converted.path().to_str().unwrap(),
        ]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        std::fs::remove_file(folder.join("score.yaml")).unwrap();
        std::fs::write(folder.join("service.yaml"), output.stdout).unwrap();
    }
    render(converted.path());
    let compared = |root: &Path| {
        let mut tree = files(&root.join("generated"));
        // Catalog entities and CODEOWNERS name the intent's file, which differs.
        tree.retain(|path, _| {
            [
                "kubernetes/",
                "terraform/",
                "alerts/",
                "dashboards/",
                "argocd/",
            ]
            .iter()
            .any(|prefix| path.starts_with(prefix))
        });
        tree
    };
    let (from_score, from_service) = (compared(score.path()), compared(converted.path()));
    assert!(from_score.len() > 40, "{} files", from_score.len());
    assert_eq!(
        from_score.keys().collect::<Vec<_>>(),
        from_service.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &from_score {
        assert!(bytes == &from_service[path], "{path} differs");
    }
    // The volumes are among what is compared: the pod's, and the mounts of both
    // containers.
    let deployment =
        String::from_utf8_lossy(&from_score["kubernetes/prod/payments/orders/deployment.yaml"]);
    assert_eq!(
        deployment.matches("name: volume-logs").count(),
        3,
        "{deployment}"
    );
}

#[test]
fn a_default_owner_in_paved_yaml_owns_workloads_that_name_none() {
    let repo = tempfile::tempdir().unwrap();
    copy_dir(&testdata("invalid/score-no-owner"), repo.path(), &[]);
    std::fs::write(
        repo.path().join("paved.yaml"),
        "apiVersion: paved.dev/v1\nkind: Platform\ndefaults:\n  owner: shop\n",
    )
    .unwrap();
    let (code, report) = check_json(repo.path());
    assert_eq!(code, 0, "{report:#}");
    let owners = paved(&["owners", "web", "--repo", repo.path().to_str().unwrap()]);
    assert!(stdout(&owners).contains("shop"), "{}", stdout(&owners));
}

#[test]
fn other_tools_yaml_beside_score_files_is_left_alone() {
    let repo = score_repo();
    std::fs::write(
        repo.path().join("services/orders/compose.yaml"),
        "services:\n  orders:\n    image: x\n",
    )
    .unwrap();
    let (code, report) = check_json(repo.path());
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["summary"]["intents"], 5);
}

#[test]
fn a_sidecar_cannot_take_the_services_name() {
    let repo = tempfile::tempdir().unwrap();
    copy_dir(
        &testdata("invalid/score-no-owner/teams"),
        &repo.path().join("teams"),
        &[],
    );
    std::fs::write(
        repo.path().join("service.yaml"),
        "apiVersion: paved.dev/v1\nkind: Service\nmetadata: {name: web, owner: shop}\nspec:\n  type: worker\n  image: ghcr.io/acme/web:1.0.0\n  sidecars:\n    web: {image: ghcr.io/acme/proxy:1.0.0}\n",
    )
    .unwrap();
    let (code, report) = check_json(repo.path());
    assert_eq!(code, 1, "{report:#}");
    let findings = report["findings"].as_array().unwrap();
    let finding = findings
        .iter()
        .find(|f| f["code"] == "duplicate-name")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(
        (finding["line"].as_u64(), finding["column"].as_u64()),
        (Some(8), Some(10))
    );
}

/// A Score workload's change shows in `paved diff` like a Service's, and the graph
/// draws its resources, shared ones once.
#[test]
fn diff_and_graph_see_score_workloads() {
    use super::repos::{edit, git};
    let repo = score_repo();
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-q", "-m", "base"]);
    edit(
        &repo.path().join("services/storefront/score.yaml"),
        "storefront:5.0.2",
        "storefront:5.1.0",
    );
    let root = repo.path().to_str().unwrap();
    let output = paved(&["diff", "--repo", root, "--base", "HEAD", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let text = report.to_string();
    assert!(text.contains("storefront:5.1.0"), "{report:#}");
    assert!(
        !text.contains("\"orders\""),
        "only storefront changed: {report:#}"
    );
    let graph = stdout(&paved(&["graph", "--repo", root]));
    assert_eq!(graph.matches("orders-db (postgres)").count(), 1, "{graph}");
    assert!(
        graph.contains("svc_storefront -.-> shared_orders_db"),
        "{graph}"
    );
}

#[test]
fn a_service_port_must_name_a_port_of_its_service() {
    let repo = score_repo();
    super::repos::edit(
        &repo.path().join("services/storefront/score.yaml"),
        "      port: http\n",
        "      port: grpc\n",
    );
    let (code, report) = check_json(repo.path());
    assert_eq!(code, 1, "{report:#}");
    let finding = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "unknown-port")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(finding["file"], "services/storefront/score.yaml");
    assert!(
        finding["help"].as_str().unwrap().contains("`http`"),
        "{finding:#}"
    );
}
