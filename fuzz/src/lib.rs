//! The checks behind paved's fuzz targets, one public function per target.
//!
//! Each takes the fuzzer's bytes, feeds them to the part of paved that reads them and
//! asserts what must hold for any input: no panic, every finding located inside its
//! file, escaped values read back unchanged, generated paths inside the output folder.
//! The test suite runs the same functions over the seeds in `fuzz/seeds/` and the
//! regression inputs in `testdata/hostile/fuzz/` (it includes this file as a module).

use std::collections::BTreeMap;
use std::path::{Component, Path};
use std::sync::{Arc, LazyLock};

use serde_json::{Value as Json, json};

use paved::diag::finding::Finding;
use paved::diag::finding::yaml_finding;
use paved::load::config;
use paved::load::intent::load_documents;
use paved::load::platform::{self, Platform};
use paved::load::repo::{Entry, Repo, Snapshot};
use paved::load::schema::Schemas;
use paved::model::config::Config;
use paved::model::{intent, placeholder};
use paved::render;
use paved::syntax::source::{SourceFile, Span};
use paved::syntax::yaml;
use paved::syntax::{hcl, yaml_out};
use paved::validate::policy::{self, Policies};
use paved::validate::resolve::{self, Catalog};

/// What a target does with the fuzzer's bytes; it panics when a property fails.
pub type Check = fn(&[u8]);

/// The targets, by the name `cargo fuzz run` knows them by.
pub const TARGETS: &[(&str, Check)] = &[
    ("yaml_load", yaml_load),
    ("intent", intent_documents),
    ("placeholder", placeholder_parse),
    ("escape", escape),
    ("policy_input", policy_input),
    ("config", config_file),
];

/// The date waivers are judged against, so that a run does not depend on the clock.
const TODAY: &str = "2026-11-22";

static SCHEMAS: LazyLock<Schemas> =
    LazyLock::new(|| Schemas::new().expect("the built-in schemas compile"));

/// The built-in policies alone.
static POLICIES: LazyLock<Policies> = LazyLock::new(|| {
    let (policies, findings) = policy::load(
        &snapshot(&[]),
        paved::model::config::Limits::default().max_file_bytes,
    );
    assert!(findings.is_empty(), "built-in policies: {findings:?}");
    policies
});

/// A team every fuzzed service may name as its owner.
const TEAM: &str = "apiVersion: paved.dev/v1\nkind: Team\nmetadata:\n  name: core\nspec:\n  email: core@example.com\n";

/// Templates that print fuzzed values, one per output language.
const YAML_TEMPLATE: &str = "platform/templates/kubernetes/values.yaml.j2";
const HCL_TEMPLATE: &str = "platform/provisioners/values/main.tf.j2";

static TEMPLATES: LazyLock<Platform> = LazyLock::new(|| {
    let repo = snapshot(&[
        (
            YAML_TEMPLATE,
            "value: {{ v }}\nlist:\n  - {{ v }}\nmap: {{ m }}\n",
        ),
        (
            HCL_TEMPLATE,
            "resource \"x\" \"y\" {\n  value = {{ v }}\n  map   = {{ m }}\n}\n",
        ),
    ]);
    let (platform, findings) =
        platform::load(&repo, &SCHEMAS, &paved::model::config::Limits::default());
    assert!(findings.is_empty(), "templates: {findings:?}");
    platform
});

/// An in-memory repository holding `files`.
pub fn snapshot(files: &[(&str, &str)]) -> Repo {
    Repo::Snapshot(Snapshot {
        files: files
            .iter()
            .map(|(path, text)| (path.to_string(), Entry::File(text.as_bytes().to_vec())))
            .collect(),
    })
}

/// A span lies inside its file's text, on character boundaries, with the line and
/// column of its start.
pub fn assert_span(file: &SourceFile, span: Span, what: &str) {
    let text = &file.text;
    assert!(
        span.start <= span.end && span.end <= text.len(),
        "{what}: span {span:?} outside the {} bytes of {}",
        text.len(),
        file.path
    );
    assert!(
        text.is_char_boundary(span.start) && text.is_char_boundary(span.end),
        "{what}: span {span:?} splits a character"
    );
    assert_eq!(
        file.line_column(span.start),
        (span.line, span.column),
        "{what}: span {span:?} has another line and column than its offset"
    );
}

/// Every finding (and every place it relates to) is located inside its file, with a
/// message and a fix hint.
pub fn assert_located(findings: &[Finding]) {
    for finding in findings {
        let what = format!("{} `{}`", finding.code.name(), finding.message);
        assert_span(&finding.location.file, finding.location.span, &what);
        for related in &finding.related {
            assert_span(&related.location.file, related.location.span, &what);
        }
        assert!(!finding.message.is_empty(), "{what}: no message");
        assert!(!finding.help.is_empty(), "{what}: no help");
    }
}

/// A generated path names a file inside the output folder, whatever the platform does.
pub fn assert_inside(path: &str) {
    let components: Vec<Component> = Path::new(path).components().collect();
    assert!(
        !components.is_empty() && components.iter().all(|c| matches!(c, Component::Normal(_))),
        "generated path `{path}` is not a plain relative path"
    );
    assert!(!path.contains('\0'), "generated path `{path}` holds a NUL");
}

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

fn assert_node(file: &SourceFile, node: &yaml::Node) {
    assert_span(file, node.span, "node");
    match &node.value {
        yaml::Value::Seq(items) => items.iter().for_each(|n| assert_node(file, n)),
        yaml::Value::Map(entries) => {
            for entry in entries {
                assert_span(file, entry.key_span, "key");
                assert_node(file, &entry.value);
            }
        }
        _ => {}
    }
}

/// YAML loading: spans inside the text; the problems become located findings; loading
/// the same text again, or with the larger limits used to re-read a file, gives the
/// same tree (findings found later re-read files and rely on it).
pub fn yaml_load(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let file = Arc::new(SourceFile::new("fuzz.yaml", text));
    let loaded = yaml::load(&file, yaml::Limits::default());
    for document in &loaded.documents {
        assert_node(&file, document);
        let _ = document.to_json();
    }
    for problem in &loaded.problems {
        assert_span(&file, problem.span, &problem.message);
    }
    let findings: Vec<Finding> = loaded
        .problems
        .iter()
        .map(|p| yaml_finding(&file, p))
        .collect();
    assert_located(&findings);
    let limited = loaded.problems.iter().any(|p| {
        matches!(
            p.kind,
            yaml::ProblemKind::TooDeep
                | yaml::ProblemKind::AliasLimit
                | yaml::ProblemKind::TooManyDocuments
                | yaml::ProblemKind::StringTooLong
        )
    });
    if !limited {
        let again = yaml::load(&file, yaml::Limits::LARGEST);
        assert_eq!(
            format!("{:?}", again.documents),
            format!("{:?}", loaded.documents),
            "larger limits read another tree"
        );
    }
}

/// Intent documents: recognised and checked against their schema without a panic,
/// every finding located.
pub fn intent_documents(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let file = Arc::new(SourceFile::new("services/fuzz/service.yaml", text));
    let loaded = yaml::load(&file, yaml::Limits::default());
    let mut findings: Vec<Finding> = loaded
        .problems
        .iter()
        .map(|p| yaml_finding(&file, p))
        .collect();
    let intents = load_documents(&file, loaded.documents, &SCHEMAS, None, &mut findings);
    assert_located(&findings);
    for loaded in &intents {
        if let Some(intent::Intent::Service(service)) = &loaded.intent {
            assert_eq!(loaded.name.as_deref(), Some(service.metadata.name.as_str()));
        }
    }
}

/// Placeholders: ranges inside the value around `${...}`; writing the parts back (a
/// literal `$` as `$$`) and parsing again gives the same parts.
pub fn placeholder_parse(data: &[u8]) {
    let Some(value) = text(data) else { return };
    let parts = match placeholder::parse(value) {
        Ok(parts) => parts,
        Err(e) => {
            assert!(e.range.start <= e.range.end && e.range.end <= value.len());
            assert!(value.is_char_boundary(e.range.start) && value.is_char_boundary(e.range.end));
            assert!(value[e.range.clone()].starts_with("${"), "{e:?}");
            return;
        }
    };
    let mut written = String::new();
    let mut last_end = 0;
    for part in &parts {
        match part {
            placeholder::Part::Text(text) => {
                assert!(!text.is_empty(), "empty text part");
                written.push_str(&text.replace('$', "$$"));
            }
            placeholder::Part::Ref { path, range } => {
                assert!(range.start >= last_end && range.end <= value.len());
                let source = &value[range.clone()];
                assert!(
                    source.starts_with("${") && source.ends_with('}'),
                    "{source}"
                );
                assert!(path.iter().all(|s| !s.is_empty()), "{path:?}");
                assert!(placeholder::has_placeholder(value));
                last_end = range.end;
                written.push_str(source);
            }
        }
    }
    let again = placeholder::parse(&written).expect("written parts parse");
    let strip = |parts: &[placeholder::Part]| -> Vec<Result<String, Vec<String>>> {
        parts
            .iter()
            .map(|p| match p {
                placeholder::Part::Text(t) => Ok(t.clone()),
                placeholder::Part::Ref { path, .. } => Err(path.clone()),
            })
            .collect()
    };
    assert_eq!(
        strip(&again),
        strip(&parts),
        "{value:?} written as {written:?}"
    );
}

/// Whether a character may appear as is in a double-quoted scalar that every YAML
/// reader takes verbatim: YAML's printable set, less the characters YAML 1.1 reads as
/// line breaks (NEL, LS, PS) and the byte-order mark.
pub fn yaml_verbatim(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{7E}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}')
}

fn read_yaml(text: &str) -> Vec<Json> {
    let file = SourceFile::new("out.yaml", text);
    let loaded = yaml::load(&file, yaml::Limits::default());
    assert!(
        loaded.problems.is_empty(),
        "written YAML does not read back: {:?}\n{text}",
        loaded.problems
    );
    loaded.documents.iter().map(yaml::Node::to_json).collect()
}

/// Every writer of generated files, and the templates' escaping, keep a value as the
/// same literal: YAML (paved's writer and `.yaml.j2` templates), JSON, HCL (paved's
/// writer and `.tf.j2` templates).
pub fn escape(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let s = s.as_ref();
    escape_yaml(s);
    escape_json(s);
    escape_hcl(s);
    escape_templates(s);
}

fn escape_yaml(s: &str) {
    let quoted = yaml_out::quoted(s);
    if let Some(c) = quoted.chars().find(|c| !yaml_verbatim(*c)) {
        panic!("{quoted} holds {c:?} unescaped");
    }
    assert_eq!(read_yaml(&quoted), [json!(s)]);
    let value = json!({ s: [s, { s: s, "n": null }], "k": s, "e": {} });
    let text = yaml_out::documents(&[value.clone(), json!(s)]);
    assert_eq!(read_yaml(&text), [value, json!(s)]);
}

fn escape_json(s: &str) {
    let value = json!({ s: [s] });
    let text = serde_json::to_string_pretty(&value).expect("JSON values serialize");
    assert_eq!(serde_json::from_str::<Json>(&text).ok(), Some(value));
}

fn hcl_blocks(s: &str) -> Vec<hcl::Block> {
    use hcl::{Block, Body, Expr};
    // An object's keys are unique: the fixed key only beside another one.
    let mut tags = vec![(s.to_string(), Expr::str(s))];
    if s != "b" {
        tags.push(("b".into(), Expr::str(s)));
    }
    let body = Body::new()
        .attr("value", Expr::str(s))
        .attr("list", Expr::strs([s, s]))
        .attr("tags", Expr::object(tags))
        .attr(
            "policy",
            Expr::call("jsonencode", vec![Expr::from_json(&json!({ s: [s] }))]),
        );
    vec![Block::new("resource", &["x", s], body)]
}

fn escape_hcl(s: &str) {
    let literal = hcl::string_literal(s);
    let body = ::hcl::parse(&format!("a = {literal}\n"))
        .unwrap_or_else(|e| panic!("{literal} does not parse: {e}"));
    let value = body.attributes().next().map(|a| a.expr.clone());
    assert_eq!(
        value,
        Some(::hcl::Expression::String(s.to_string())),
        "{literal}"
    );

    let blocks = hcl_blocks(s);
    let mut with_comment = blocks.clone();
    with_comment[0].body.push(hcl::Item::Comment(s.to_string()));
    let text = hcl::file(&with_comment);
    let read = hcl::from_hcl(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(read, blocks, "{text}");
}

fn escape_templates(s: &str) {
    let context = json!({ "v": s, "m": { s: s } });
    let yaml = TEMPLATES
        .templates
        .render(YAML_TEMPLATE, &context, "a fuzzed value")
        .unwrap_or_else(|e| panic!("{}", e.message));
    assert_eq!(
        read_yaml(&yaml),
        [json!({ "value": s, "list": [s], "map": { s: s } })]
    );
    let terraform = TEMPLATES
        .templates
        .render(HCL_TEMPLATE, &context, "a fuzzed value")
        .unwrap_or_else(|e| panic!("{}", e.message));
    let blocks = hcl::from_hcl(&terraform).unwrap_or_else(|e| panic!("{e}\n{terraform}"));
    let expected = hcl::Body::new()
        .attr("value", hcl::Expr::str(s))
        .attr("map", hcl::Expr::object([(s, hcl::Expr::str(s))]));
    assert_eq!(blocks, [hcl::Block::new("resource", &["x", "y"], expected)]);
}

/// The Rego-facing input builder, on a fuzzed service document (with a team to own
/// it): the intent policies see is the typed intent, spec field by spec field; the
/// intent and rendered-object policies run without a panic and with located findings;
/// the rendered paths stay inside the output folder.
pub fn policy_input(data: &[u8]) {
    let Some(text) = text(data) else { return };
    pipeline(&Config::default(), text);
}

/// paved.yaml: read without a panic, findings located; an accepted configuration
/// keeps its output folder and environment folders inside the repository, and renders
/// a small service inside it.
pub fn config_file(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let file = Arc::new(SourceFile::new(config::FILE_NAME, text));
    let loaded = config::parse(&file, &SCHEMAS);
    assert_located(&loaded.findings);
    if loaded
        .findings
        .iter()
        .any(|f| f.severity == paved::diag::finding::Severity::Error)
    {
        return;
    }
    let config = loaded.config;
    assert_inside(&config.output);
    for environment in &config.environments {
        assert_inside(&environment.name);
        assert!(!environment.name.contains('/'), "{}", environment.name);
    }
    pipeline(&config, SERVICE);
}

/// A small service using every kind of output.
const SERVICE: &str = "apiVersion: paved.dev/v1
kind: Service
metadata:
  name: shop
  owner: core
  description: \"a \\\"shop\\\" ${x}\"
spec:
  image: ghcr.io/acme/shop:1.0.0
  ports:
    - name: http
      port: 8080
  env:
    GREETING: \"$$(HOME) ${metadata.description}\"
    DATABASE: \"${resources.db.host}\"
  expose:
    visibility: public
    host: shop.example.com
  slos:
    availability:
      target: 99.9
  resources:
    db:
      type: postgres
    files:
      type: bucket
";

fn pipeline(config: &Config, service: &str) {
    let team = Arc::new(SourceFile::new("teams/core.yaml", TEAM));
    let file = Arc::new(SourceFile::new("services/fuzz/service.yaml", service));
    let mut findings = Vec::new();
    let mut loaded = Vec::new();
    for file in [&team, &file] {
        let documents = yaml::load(file, config.limits.yaml);
        findings.extend(documents.problems.iter().map(|p| yaml_finding(file, p)));
        loaded.extend(load_documents(
            file,
            documents.documents,
            &SCHEMAS,
            config.default_owner.as_deref(),
            &mut findings,
        ));
    }
    let platform = Platform::default();
    let catalog = resolve::resolve(config, &platform, loaded, &SCHEMAS, &mut findings);
    assert_intent_inputs(config, &catalog);
    findings.extend(policy::check(
        config,
        None,
        &catalog,
        &POLICIES,
        &policy::Waivers::default(),
        TODAY,
        None,
    ));
    let (tree, render_findings) = render::render(config, &catalog, &platform, None);
    findings.extend(render_findings);
    let (object_findings, _) = policy::objects(
        config,
        None,
        &catalog,
        &POLICIES,
        &policy::Waivers::default(),
        &tree.rendered(),
        TODAY,
    );
    findings.extend(object_findings);
    assert_located(&findings);
    for path in tree.files.keys() {
        assert_inside(path);
        assert_inside(&format!("{}/{path}", config.output));
    }
}

/// Each spec a service resolves to reaches policies as its typed JSON form (less the
/// environment overrides, already applied), whichever specs share which fields.
fn assert_intent_inputs(config: &Config, catalog: &Catalog) {
    let inputs = policy::Inputs::new(config, catalog);
    for entry in catalog.services.values() {
        let specs: Vec<&intent::ServiceSpec> =
            entry.deployments.iter().map(|d| d.spec.as_ref()).collect();
        for (spec, input) in specs.iter().zip(inputs.intents(entry, &specs, None)) {
            let mut spec_json = serde_json::to_value(spec).expect("specs serialize");
            if let Json::Object(map) = &mut spec_json {
                map.remove("environments");
            }
            let expected = json!({
                "apiVersion": intent::API_VERSION,
                "kind": "Service",
                "metadata": entry.service.metadata,
                "spec": spec_json,
            });
            let text = input.intent().to_json_str().expect("inputs are JSON");
            let actual: Json = serde_json::from_str(&text).expect("inputs are JSON");
            assert!(
                same_value(&actual, &expected),
                "input of `{}`:\n{actual}\nis not\n{expected}",
                entry.service.metadata.name
            );
        }
    }
}

/// JSON equality with numbers compared by value: Rego has one number type, so `99.0`
/// reaches policies as `99`.
fn same_value(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => x.as_f64() == y.as_f64(),
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_value(x, y))
        }
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_value(v, w)))
        }
        _ => a == b,
    }
}

/// Run the check of `target` on every file of `dirs` (seeds and regression inputs).
pub fn replay(target: &str, dirs: &[&Path]) -> usize {
    let check = TARGETS
        .iter()
        .find(|(name, _)| *name == target)
        .map(|(_, check)| *check)
        .unwrap_or_else(|| panic!("no fuzz target `{target}`"));
    let mut inputs: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_file() {
                let bytes = std::fs::read(&path).expect("inputs are readable");
                inputs.insert(path.display().to_string(), bytes);
            }
        }
    }
    for (path, bytes) in &inputs {
        let outcome = std::panic::catch_unwind(|| check(bytes));
        assert!(outcome.is_ok(), "{target} fails on {path}");
    }
    inputs.len()
}
