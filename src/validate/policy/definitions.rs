//! Which rule fired: where each `deny` and `warn` set is defined, and which of its
//! definitions produced a violation, for the label that points a finding at it.
//!
//! regorus 0.14 reports a set's items, not the definition that added each: its VM and
//! its interpreter keep no trace of it (its explanation types are not produced yet),
//! and its coverage counts lines over every evaluation. Its compiled policy does list
//! each rule's definitions, with their spans ([`CompiledPolicy::get_rules`]). A set
//! defined once is attributed to that definition. For a set defined several times,
//! each definition is copied under a name of its own into a module of the same package
//! and imports; when the set reports an item, the copies are evaluated on the same
//! input, and the first whose items hold it is the definition that produced it. Only
//! violations pay for that, in regorus's interpreter, on an engine of their own: the
//! program the VM runs stays as it is.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
use std::sync::Arc;

use regorus::CompiledPolicy;

use crate::syntax::source::{Location, SourceFile};

/// One definition of a `deny` or `warn` set.
#[derive(Debug, Clone)]
pub(super) struct Definition {
    /// Where its head names the set.
    pub(super) location: Location,
    /// `data.<package>.<name>`: the definition alone, when its set has others.
    pub(super) alone: Option<String>,
}

/// The definitions of the set `rule` (`data.<package>.deny`), in the order of their
/// files, and the modules (path, text) that hold each alone when there are several.
pub(super) fn of(
    compiled: &CompiledPolicy,
    files: &[Arc<SourceFile>],
    rule: &str,
) -> (Vec<Definition>, Vec<(String, String)>) {
    let Some((package, set)) = rule.rsplit_once('.') else {
        return (Vec::new(), Vec::new());
    };
    // (file, start, end) of each definition whose text is the file's and starts with
    // the set's name, as a rule head does.
    let mut spans: Vec<(&Arc<SourceFile>, usize, usize)> = Vec::new();
    for definition in compiled.get_rules().get(rule).into_iter().flatten() {
        let span = definition.span();
        let (start, end) = (span.start as usize, span.end as usize);
        let file = files.iter().find(|f| f.path == *span.source.get_path());
        if let Some(file) = file
            && file
                .text
                .get(start..end)
                .is_some_and(|t| t.starts_with(set))
        {
            spans.push((file, start, end));
        }
    }
    spans.sort_by(|a, b| (&a.0.path, a.1).cmp(&(&b.0.path, b.1)));
    let several = spans.len() > 1;
    let mut modules: BTreeMap<String, String> = BTreeMap::new();
    let mut alone = |index: usize, file: &SourceFile, start: usize, end: usize| {
        let name = alone_name(set, index);
        let module = match modules.entry(file.path.clone()) {
            Entry::Occupied(module) => module.into_mut(),
            Entry::Vacant(module) => module.insert(preamble(compiled, file)?),
        };
        module.push('\n');
        module.push_str(&name);
        module.push_str(&file.text[start + set.len()..end]);
        module.push('\n');
        Some(format!("{package}.{name}"))
    };
    let definitions = spans
        .iter()
        .enumerate()
        .map(|(index, &(file, start, end))| Definition {
            location: Location::new(file, file.span(start, start + set.len())),
            alone: if several {
                alone(index, file, start, end)
            } else {
                None
            },
        })
        .collect();
    let modules = modules
        .into_iter()
        .map(|(path, text)| (format!("<definitions of {set} in {path}>"), text))
        .collect();
    (definitions, modules)
}

/// The name of a set's definition `index` on its own.
fn alone_name(set: &str, index: usize) -> String {
    format!("paved_definition_{index}_of_{set}")
}

/// A policy file's text before its first rule: its package and imports.
fn preamble(compiled: &CompiledPolicy, file: &SourceFile) -> Option<String> {
    let module = compiled
        .get_modules()
        .iter()
        .find(|m| *m.package.span.source.get_path() == file.path)?;
    let start = module.policy.iter().map(|r| r.span().start).min()?;
    Some(file.text.get(..start as usize)?.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn compile(text: &str) -> (CompiledPolicy, Vec<Arc<SourceFile>>) {
        let file = Arc::new(SourceFile::new("platform/policies/p.rego", text));
        let mut engine = regorus::Engine::new();
        engine
            .add_policy(file.path.clone(), text.to_string())
            .unwrap();
        let compiled = engine
            .compile_with_entrypoint(&"data.acme.p.deny".into())
            .unwrap();
        (compiled, vec![file])
    }

    #[test]
    fn a_set_defined_once_needs_no_copy() {
        let text = "package acme.p\n\nimport rego.v1\n\ndeny contains \"no\" if input.x\n\nwarn contains \"maybe\" if input.y\n";
        let (compiled, files) = compile(text);
        let (definitions, modules) = of(&compiled, &files, "data.acme.p.deny");
        assert_eq!(definitions.len(), 1);
        assert!(modules.is_empty());
        let location = &definitions[0].location;
        assert_eq!((location.span.line, location.span.column), (5, 1));
        assert_eq!(location.file.slice(location.span), "deny");
        assert!(definitions[0].alone.is_none());
    }

    #[test]
    fn each_of_several_definitions_is_copied_alone_after_the_imports() {
        let text = "# Two ways to fail.\npackage acme.p\n\nimport rego.v1\n\nlimit := 3\n\ndeny contains \"low\" if input.x < limit\n\n# The other one.\ndeny contains msg if {\n\tinput.x > 10\n\tmsg := \"high\"\n}\n";
        let (compiled, files) = compile(text);
        let (definitions, modules) = of(&compiled, &files, "data.acme.p.deny");
        let lines: Vec<u32> = definitions.iter().map(|d| d.location.span.line).collect();
        assert_eq!(lines, [8, 11]);
        assert_eq!(
            definitions[1].alone.as_deref(),
            Some("data.acme.p.paved_definition_1_of_deny")
        );
        assert_eq!(
            modules,
            [(
                String::from("<definitions of deny in platform/policies/p.rego>"),
                String::from(
                    "# Two ways to fail.\npackage acme.p\n\nimport rego.v1\n\n\npaved_definition_0_of_deny contains \"low\" if input.x < limit\n\npaved_definition_1_of_deny contains msg if {\n\tinput.x > 10\n\tmsg := \"high\"\n}\n"
                )
            )]
        );
        let mut engine = regorus::Engine::new();
        engine
            .add_policy(files[0].path.clone(), text.into())
            .unwrap();
        engine
            .add_policy(modules[0].0.clone(), modules[0].1.clone())
            .unwrap();
        engine.set_input(regorus::Value::from(serde_json::json!({"x": 11})));
        let high = engine
            .eval_rule("data.acme.p.paved_definition_1_of_deny".into())
            .unwrap();
        assert_eq!(
            high.to_json_str().unwrap().replace(char::is_whitespace, ""),
            "[\"high\"]"
        );
    }
}
