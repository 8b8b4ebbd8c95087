//! Properties over generated input (proptest): escaped values read back unchanged in
//! every output language, rendering is deterministic whatever the number of threads,
//! and generated paths stay inside the output folder whatever the names.

use std::collections::{BTreeMap, BTreeSet};

use paved::load::repo::{Entry, Repo, Snapshot};
use paved::render;
use paved::syntax::yaml_out;
use proptest::prelude::*;
use saphyr::LoadableYamlNode as _;
use serde_json::{Value as Json, json};

use crate::TODAY;
use crate::fuzzed::checks;

/// Cases for properties that render whole repositories: each checks and renders a
/// small monorepo several times.
fn repo_cases() -> ProptestConfig {
    ProptestConfig {
        cases: 12,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn string_cases() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// A YAML document as JSON, read by saphyr's own loader (not paved's), so that the
/// writer is checked against an independent reader.
fn saphyr_json(node: &saphyr::Yaml) -> Json {
    use saphyr::{Scalar, Yaml};
    match node {
        Yaml::Value(Scalar::Null) => Json::Null,
        Yaml::Value(Scalar::Boolean(b)) => json!(b),
        Yaml::Value(Scalar::Integer(i)) => json!(i),
        Yaml::Value(Scalar::FloatingPoint(f)) => json!(f.0),
        Yaml::Value(Scalar::String(s)) => json!(s.as_ref()),
        Yaml::Sequence(items) => Json::Array(items.iter().map(saphyr_json).collect()),
        Yaml::Mapping(map) => Json::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = k
                        .as_str()
                        .unwrap_or_else(|| panic!("key {k:?} is not a string"));
                    (key.to_string(), saphyr_json(v))
                })
                .collect(),
        ),
        other => panic!("unexpected YAML node {other:?}"),
    }
}

fn read_yaml(text: &str) -> Vec<Json> {
    let documents = saphyr::Yaml::load_from_str(text)
        .unwrap_or_else(|e| panic!("written YAML does not read back: {e}\n{text}"));
    documents.iter().map(saphyr_json).collect()
}

fn json_value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::from),
        any::<i64>().prop_map(Json::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Json::from),
        any::<String>().prop_map(Json::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..4)
                .prop_map(|map| Json::Object(map.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(string_cases())]

    /// Every writer and template escape keeps any string as the same literal (the
    /// fuzz target `escape`'s checks: YAML, JSON, HCL, `.yaml.j2` and `.tf.j2`).
    #[test]
    fn any_string_survives_every_output_language(s in any::<String>()) {
        checks::escape(s.as_bytes());
    }

    /// Any JSON value written as canonical YAML reads back as itself.
    #[test]
    fn any_value_survives_canonical_yaml(value in json_value()) {
        let text = yaml_out::to_string(&value);
        prop_assert_eq!(read_yaml(&text), vec![value.clone()], "{}", text);
        for c in text.chars().filter(|c| *c != '\n') {
            prop_assert!(checks::yaml_verbatim(c), "{:?} unescaped in {}", c, text);
        }
    }

    /// Placeholders written back parse to the same parts.
    #[test]
    fn placeholders_round_trip(value in "([a-z.$\\\\{}]|\\$\\{[a-z.\\\\]{0,8}\\}){0,12}") {
        checks::placeholder_parse(value.as_bytes());
    }
}

/// A monorepo in memory.
fn snapshot(files: &BTreeMap<String, String>) -> Repo {
    Repo::Snapshot(Snapshot {
        files: files
            .iter()
            .map(|(path, text)| (path.clone(), Entry::File(text.clone().into_bytes())))
            .collect(),
    })
}

/// Check and render a repository as `paved render` does, on a pool of `threads`.
fn render_with(repo: &Repo, threads: usize) -> render::Tree {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    pool.install(|| {
        let outcome =
            paved::pipeline::check::run(repo, TODAY, None).expect("the snapshot is checked");
        let (tree, _) = render::render(&outcome.config, &outcome.catalog, &outcome.platform, None);
        tree
    })
}

const PAVED_YAML: &str = "environments:\n  dev: {}\n  prod:\n    production: true\ncloud:\n  account: \"123456789012\"\n  region: eu-west-1\n";

const TEAM: &str = "apiVersion: paved.dev/v1\nkind: Team\nmetadata:\n  name: core\nspec:\n  email: core@example.com\n";

/// A platform resource type whose Terraform prints a param, and a Kubernetes template
/// that prints a service's description and an environment variable.
const NOTE_PROVISIONER: &str = "apiVersion: paved.dev/v1\nkind: Provisioner\ndescription: A note.\noutputs:\n  id:\n    description: Known once applied.\n";
const NOTE_TERRAFORM: &str =
    "resource \"terraform_data\" {{ resource.label }} {\n  input = {{ resource.params.text }}\n}\n";
const NOTE_KUBERNETES: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ service.name ~ \"-note\" }}\n  namespace: {{ service.namespace }}\ndata:\n  description: {{ service.description }}\n  greeting: {{ service.env.GREETING }}\n";

/// One generated service.
#[derive(Debug, Clone)]
struct ServiceCase {
    name: String,
    description: String,
    /// Text the `GREETING` variable holds once placeholders are resolved.
    greeting: String,
    note: String,
    resources: BTreeSet<&'static str>,
    dependencies: Vec<String>,
    public: bool,
}

impl ServiceCase {
    fn intent(&self) -> String {
        let mut resources = serde_json::Map::new();
        resources.insert(
            "note".into(),
            // Params take placeholders too.
            json!({ "type": "note", "params": { "text": self.note.replace('$', "$$") } }),
        );
        for kind in &self.resources {
            resources.insert(format!("my-{kind}"), json!({ "type": kind }));
        }
        let mut spec = json!({
            "image": format!("ghcr.io/acme/{}:1.0.0", self.name),
            "ports": [{ "name": "http", "port": 8080 }],
            // `$$` is a literal `$` in intent values.
            "env": { "GREETING": self.greeting.replace('$', "$$") },
            "resources": resources,
            "dependencies": self.dependencies,
        });
        if self.public {
            spec["expose"] =
                json!({ "visibility": "public", "host": format!("{}.example.com", self.name) });
        }
        yaml_out::to_string(&json!({
            "apiVersion": "paved.dev/v1",
            "kind": "Service",
            "metadata": { "name": self.name, "owner": "core", "description": self.description },
            "spec": spec,
        }))
    }
}

fn dns_label() -> impl Strategy<Value = String> {
    "[a-z]([a-z0-9-]{0,14}[a-z0-9])?"
}

/// Any text, or text made of the characters that mean something to one of the
/// output languages or to Kubernetes.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![".{0,40}", "[$(){}%#:'\"\\\\\\n a-z-]{0,24}"]
}

fn services() -> impl Strategy<Value = Vec<ServiceCase>> {
    prop::collection::btree_set(dns_label(), 1..4).prop_flat_map(|names| {
        let names: Vec<String> = names.into_iter().collect();
        let count = names.len();
        let each = (
            text(),
            text(),
            text(),
            prop::collection::btree_set(
                prop::sample::select(vec!["postgres", "redis", "bucket", "queue"]),
                0..3,
            ),
            prop::collection::vec(prop::sample::select(names.clone()), 0..3),
            any::<bool>(),
        );
        prop::collection::vec(each, count).prop_map(move |cases| {
            names
                .iter()
                .zip(cases)
                .map(
                    |(name, (description, greeting, note, resources, dependencies, public))| {
                        ServiceCase {
                            name: name.clone(),
                            description,
                            greeting,
                            note,
                            resources,
                            dependencies: dependencies
                                .into_iter()
                                .filter(|d| d != name)
                                .collect::<BTreeSet<_>>()
                                .into_iter()
                                .collect(),
                            public,
                        }
                    },
                )
                .collect()
        })
    })
}

fn repository(services: &[ServiceCase], extra: &[(String, String)]) -> BTreeMap<String, String> {
    let mut files: BTreeMap<String, String> = [
        ("paved.yaml", PAVED_YAML),
        ("teams/core.yaml", TEAM),
        (
            "platform/provisioners/note/provisioner.yaml",
            NOTE_PROVISIONER,
        ),
        ("platform/provisioners/note/main.tf.j2", NOTE_TERRAFORM),
        (
            "platform/templates/kubernetes/note.yaml.j2",
            NOTE_KUBERNETES,
        ),
    ]
    .into_iter()
    .map(|(path, text)| (path.to_string(), text.to_string()))
    .collect();
    for service in services {
        files.insert(
            format!("services/{}/service.yaml", service.name),
            service.intent(),
        );
    }
    files.extend(extra.iter().cloned());
    files
}

/// What Kubernetes makes of a value in which it expands `$(NAME)`: `$$` is `$`, and
/// a reference is marked `<NAME>` (it would be replaced if the variable exists).
fn kubernetes_expand(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(dollar) = rest.find('$') {
        out.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.push('$');
            rest = tail;
        } else if let Some(close) = after.strip_prefix('(').and_then(|_| after.find(')')) {
            out.push_str(&format!("<{}>", &after[1..close]));
            rest = &after[close + 1..];
        } else {
            out.push('$');
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn yaml_file(tree: &render::Tree, path: &str) -> Json {
    let bytes = tree
        .files
        .get(path)
        .unwrap_or_else(|| panic!("{path} is rendered"));
    let text = std::str::from_utf8(bytes).expect("generated files are UTF-8");
    read_yaml(text).swap_remove(0)
}

proptest! {
    #![proptest_config(repo_cases())]

    /// Strings from intents reach every output language as the same literal: the
    /// catalog (YAML), the dashboard (JSON), a platform provisioner's Terraform (HCL),
    /// a platform Kubernetes template, and a container's environment (where Kubernetes
    /// then expands `$(...)`).
    #[test]
    fn intent_strings_survive_rendering(services in services()) {
        let repo = snapshot(&repository(&services, &[]));
        let tree = render_with(&repo, 2);
        for service in &services {
            let name = &service.name;
            let component = yaml_file(&tree, &format!("catalog/components/{name}.yaml"));
            prop_assert_eq!(&component["metadata"]["description"], &json!(service.description));
            let dashboard: Json = serde_json::from_slice(&tree.files[&format!("dashboards/{name}.json")]).unwrap();
            prop_assert_eq!(&dashboard["description"], &json!(service.description));
            for env in ["dev", "prod"] {
                let folder = format!("kubernetes/{env}/core/{name}");
                let note = yaml_file(&tree, &format!("{folder}/note.yaml"));
                prop_assert_eq!(&note["data"]["description"], &json!(service.description));
                prop_assert_eq!(&note["data"]["greeting"], &json!(service.greeting));
                let deployment = yaml_file(&tree, &format!("{folder}/deployment.yaml"));
                let env_vars = deployment["spec"]["template"]["spec"]["containers"][0]["env"].as_array().unwrap();
                let greeting = env_vars.iter().find(|v| v["name"] == "GREETING").unwrap();
                let value = greeting["value"].as_str().unwrap();
                prop_assert_eq!(kubernetes_expand(value), service.greeting.clone());
                let terraform = String::from_utf8(tree.files[&format!("terraform/{env}/{name}/note.tf")].clone()).unwrap();
                let body = hcl::parse(&terraform).unwrap();
                let input = body
                    .blocks()
                    .flat_map(|b| b.body.attributes())
                    .find(|a| a.key.as_str() == "input")
                    .map(|a| a.expr.clone());
                prop_assert_eq!(input, Some(hcl::Expression::String(service.note.clone())), "{}", terraform);
            }
        }
    }

    /// The same intents give the same bytes, rendered twice and on 1 or 3 threads.
    #[test]
    fn rendering_is_deterministic(services in services()) {
        let repo = snapshot(&repository(&services, &[]));
        let once = render_with(&repo, 1);
        prop_assert!(once.files.len() > services.len());
        prop_assert_eq!(&once.files, &render_with(&repo, 3).files);
        prop_assert_eq!(&once.files, &render_with(&repo, 1).files);
    }

    /// Whatever the names of intents and of the platform's template files, every
    /// generated path is a plain relative path inside the output folder.
    #[test]
    fn rendered_paths_stay_inside_the_output_folder(
        services in services(),
        templates in prop::collection::vec(
            prop_oneof![
                "[^/\u{0}]{0,12}",
                prop::sample::select(vec![
                    String::from(".."), String::from("."), String::from("../.."),
                    String::from("..\\..\\x"), String::from(" "), String::from("%2e%2e"),
                ]),
            ],
            0..3,
        ),
        output in "gen[A-Za-z0-9_.-]{0,8}(/[A-Za-z0-9_][A-Za-z0-9_.-]{0,8}){0,2}",
    ) {
        let mut extra: Vec<(String, String)> = templates
            .iter()
            .map(|name| {
                (
                    format!("platform/templates/kubernetes/{name}.yaml.j2"),
                    String::from("kind: ConfigMap\nmetadata:\n  name: {{ service.name }}\n"),
                )
            })
            .collect();
        extra.push((
            String::from("platform/provisioners/../main.tf.j2"),
            String::from("resource \"x\" \"y\" {}\n"),
        ));
        extra.push((
            String::from("paved.yaml"),
            format!("{PAVED_YAML}output: \"{output}\"\n"),
        ));
        let repo = snapshot(&repository(&services, &extra));
        let tree = render_with(&repo, 2);
        prop_assert!(!tree.files.is_empty());
        for path in tree.files.keys() {
            checks::assert_inside(path);
            checks::assert_inside(&format!("{output}/{path}"));
        }
    }
}

/// Every finding the properties' repositories give is located (no panic either).
#[test]
fn property_repositories_check_cleanly() {
    let service = ServiceCase {
        name: String::from("shop"),
        description: String::from("a \"shop\" ${x} $(y)"),
        greeting: String::from("$$(HOME) $(HOME) $"),
        note: String::from("${var.x} %{if}"),
        resources: BTreeSet::from(["postgres", "bucket"]),
        dependencies: Vec::new(),
        public: true,
    };
    let repo = snapshot(&repository(&[service], &[]));
    let outcome = paved::pipeline::check::run(&repo, TODAY, None).unwrap();
    checks::assert_located(&outcome.findings);
    let errors: Vec<String> = outcome
        .findings
        .iter()
        .filter(|f| f.severity == paved::diag::finding::Severity::Error)
        .map(|f| format!("{} {}", f.code.name(), f.message))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
