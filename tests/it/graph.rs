//! `paved graph` and `paved owners` on the example monorepo.

use super::*;

fn example(args: &[&str]) -> Output {
    let repo = testdata("example");
    let mut all = args.to_vec();
    all.extend(["--repo", repo.to_str().unwrap()]);
    paved(&all)
}

fn services() -> Vec<String> {
    std::fs::read_dir(testdata("example/services"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn the_mermaid_graph_holds_every_service() {
    let output = example(&["graph"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("flowchart LR\n"));
    for service in services() {
        assert!(
            text.contains(&format!("[\"{service}\"]")),
            "{service} is missing"
        );
    }
    insta::assert_snapshot!("graph_mermaid", text);
}

#[test]
fn focus_keeps_what_a_service_depends_on_and_what_depends_on_it() {
    let output = example(&["graph", "--focus", "cart-api", "--format", "json"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let graph: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut names: Vec<&str> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "service")
        .map(|n| n["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    // Upstream: catalog-api, inventory-api; downstream: checkout-api and storefront-web.
    assert_eq!(
        names,
        [
            "cart-api",
            "catalog-api",
            "checkout-api",
            "inventory-api",
            "storefront-web"
        ]
    );
    let focused: Vec<&serde_json::Value> = graph["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["focus"] == true)
        .collect();
    assert_eq!(focused.len(), 1);
    assert_eq!(focused[0]["name"], "cart-api");
    let output = example(&["graph", "--focus", "cart-ap"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("did you mean `cart-api`?"));
}

#[test]
fn dot_output_is_a_digraph_with_a_cluster_per_team() {
    let text = stdout(&example(&["graph", "--format", "dot"]));
    assert!(text.starts_with("digraph paved {\n"));
    assert!(text.ends_with("}\n"));
    assert_eq!(text.matches("subgraph cluster_team_").count(), 5);
    assert!(text.contains("svc_checkout_api -> svc_payments_api;"));
    assert!(text.contains("svc_checkout_api -> shared_orders_db [style=dashed];"));
}

#[test]
fn owners_answers_for_names_intents_generated_files_and_folders() {
    for (target, what, team) in [
        (
            "cart-api",
            "service cart-api (services/cart-api/service.yaml)",
            "storefront",
        ),
        (
            "payments",
            "team payments (teams/payments.yaml)",
            "payments",
        ),
        (
            "generated/kubernetes/prod/payments/checkout-api/deployment.yaml",
            "generated for service checkout-api",
            "payments",
        ),
        (
            "generated/kubernetes/prod/payments/namespace.yaml",
            "generated for team payments",
            "payments",
        ),
        (
            "services/search-api/src/main.rs",
            "in services/search-api/, the folder of service search-api",
            "discovery",
        ),
    ] {
        let output = example(&["owners", target, "--format", "json"]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{target}: {}",
            stderr(&output)
        );
        let answer: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        assert!(
            answer["target"].as_str().unwrap().contains(what),
            "{target}: {answer}"
        );
        assert_eq!(answer["teams"][0]["name"], team, "{target}");
    }
    let shared = example(&[
        "owners",
        "generated/terraform/prod/_shared/orders-db/main.tf",
    ]);
    let text = stdout(&shared);
    assert!(
        text.contains("used by checkout-api, order-worker"),
        "{text}"
    );
    assert!(text.contains("owner: fulfilment"), "{text}");
    assert!(text.contains("owner: payments"), "{text}");
    assert!(text.contains("on-call: PAYMENTS-PRIMARY"), "{text}");
    let unknown = example(&["owners", "cart-apj"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("did you mean `cart-api`?"));
}
