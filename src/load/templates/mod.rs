//! The engine of the platform's templates: minijinja with strict undefined values and
//! a fuel limit. Every value a template prints is escaped for the output language (a
//! JSON scalar in YAML, a quoted string in HCL) unless the template marks it `safe`;
//! the output is then parsed back by its renderer and written canonically, so an
//! intent's value can never add structure. Errors are findings on the template, and an
//! output a renderer cannot parse is traced back to the template line that made it
//! ([`Templates::locate`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value as TemplateValue};
use serde_json::Value as Json;

use crate::diag::codes::Code;
use crate::diag::finding::Finding;
use crate::model::config::Limits;
use crate::syntax::hcl;
use crate::syntax::source::{Location, SourceFile};

mod trace;

/// Steps of template execution allowed per render, so a runaway loop ends.
const FUEL: u64 = 1_000_000;

/// The platform's templates, compiled, with their source files.
pub struct Templates {
    environment: Environment<'static>,
    sources: BTreeMap<String, Arc<SourceFile>>,
    /// `limits.maxOutputFileBytes`: a template's output stops growing there.
    max_output_bytes: u64,
}

impl Default for Templates {
    fn default() -> Self {
        Self::new(Limits::default().max_output_file_bytes)
    }
}

impl Templates {
    pub fn new(max_output_bytes: u64) -> Self {
        Self {
            environment: template_environment(),
            sources: BTreeMap::new(),
            max_output_bytes,
        }
    }

    /// Add a template file, named by its path; a syntax error is a finding on it.
    pub(crate) fn add(&mut self, file: &Arc<SourceFile>, findings: &mut Vec<Finding>) -> bool {
        match self
            .environment
            .add_template_owned(file.path.clone(), file.text.to_string())
        {
            Ok(()) => {
                self.sources.insert(file.path.clone(), Arc::clone(file));
                true
            }
            Err(e) => {
                findings.push(template_finding(file, &e, "while loading the template"));
                false
            }
        }
    }

    /// The names of the templates, sorted.
    pub fn names(&self) -> impl Iterator<Item = &String> {
        self.sources.keys()
    }
}

/// The template engine: strict, fuelled, escaping by output language.
fn template_environment() -> Environment<'static> {
    let mut environment = Environment::new();
    environment.set_undefined_behavior(UndefinedBehavior::Strict);
    environment.set_fuel(Some(FUEL));
    environment.set_auto_escape_callback(|name| {
        if name.ends_with(".tf.j2") {
            AutoEscape::Custom("hcl".into())
        } else if name.ends_with(".yaml.j2") {
            AutoEscape::Json
        } else {
            AutoEscape::None
        }
    });
    environment.set_formatter(|out, state, value| {
        if matches!(state.auto_escape(), AutoEscape::Custom(name) if name == "hcl")
            && !value.is_safe()
        {
            let json = serde_json::to_value(value).map_err(|e| {
                minijinja::Error::new(minijinja::ErrorKind::BadSerialization, e.to_string())
            })?;
            let text = match &json {
                Json::String(s) => hcl::string_literal(s),
                other => hcl::expression(&hcl::Expr::from_json(other)),
            };
            return out.write_str(&text).map_err(minijinja::Error::from);
        }
        minijinja::escape_formatter(out, state, value)
    });
    environment
}

/// A template error as a finding on the template's line.
fn template_finding(file: &Arc<SourceFile>, error: &minijinja::Error, context: &str) -> Finding {
    let span = match error.line() {
        Some(line) => file.span(file.offset(line, 1), file.offset(line, usize::MAX)),
        None => file.start(),
    };
    let detail = error.detail().map(|d| format!(": {d}")).unwrap_or_default();
    Finding::new(
        Code::TemplateError,
        file,
        span,
        format!("{} {context}{detail}", error.kind()),
    )
}

impl Templates {
    pub fn source(&self, name: &str) -> Option<&Arc<SourceFile>> {
        self.sources.get(name)
    }

    /// Render a template file by name; errors are findings on the template, naming
    /// what it was rendered for.
    pub fn render(&self, name: &str, context: &Json, what: &str) -> Result<String, Box<Finding>> {
        let environment = &self.environment;
        let file = self
            .sources
            .get(name)
            .cloned()
            .unwrap_or_else(|| Arc::new(SourceFile::new(name, "")));
        let location = |e: &minijinja::Error| {
            let span = match e.line() {
                Some(line) => file.span(file.offset(line, 1), file.offset(line, usize::MAX)),
                None => file.start(),
            };
            Location::new(&file, span)
        };
        let template = environment
            .get_template(name)
            .map_err(|e| self.failure(&e, location(&e), context, what))?;
        self.bounded(&template, context)
            .map_err(|e| self.failure(&e, location(&e), context, what))
    }

    /// Render a short template given inline (an output value, a permission).
    pub fn render_str(
        &self,
        source: &str,
        context: &Json,
        origin: &Location,
        what: &str,
    ) -> Result<String, Box<Finding>> {
        let template = self
            .environment
            .template_from_str(source)
            .map_err(|e| self.failure(&e, origin.clone(), context, what))?;
        self.bounded(&template, context)
            .map_err(|e| self.failure(&e, origin.clone(), context, what))
    }

    /// Where the text at byte `offset` of `output`, what template `name` rendered with
    /// `context`, came from in the template: the template line that made it, and there
    /// the literal text or the `{{ ... }}` that printed it. None when that cannot be told
    /// for sure.
    ///
    /// The template is rendered again with a marker before each line break of its text,
    /// naming where the break is in the template; the markers are used only when the
    /// output without them is `output`, byte for byte.
    pub fn locate(
        &self,
        name: &str,
        context: &Json,
        output: &str,
        offset: usize,
    ) -> Option<Location> {
        let file = self.sources.get(name)?;
        let mut environment = template_environment();
        for (other, source) in &self.sources {
            let text = if other == name {
                trace::mark(&source.text)
            } else {
                source.text.to_string()
            };
            environment.add_template_owned(other.clone(), text).ok()?;
        }
        let marked = self
            .bounded(&environment.get_template(name).ok()?, context)
            .ok()?;
        let (text, breaks) = trace::unmark(&marked)?;
        if text != output {
            return None;
        }
        let line_end = breaks.iter().find(|(at, _)| *at >= offset)?.1;
        let span = trace::place(&file.text, line_end, output, offset);
        Some(Location::new(file, file.span(span.start, span.end)))
    }

    /// A template's output, rendering stopped once it passes `limits.maxOutputFileBytes`.
    fn bounded(
        &self,
        template: &minijinja::Template<'_, '_>,
        context: &Json,
    ) -> Result<String, minijinja::Error> {
        let mut out = Bounded {
            bytes: Vec::new(),
            limit: self.max_output_bytes,
        };
        template.render_captured_to(
            TemplateValue::from(minijinja::value::Serde(context)),
            &mut out,
        )?;
        // The engine writes whole UTF-8 strings.
        Ok(String::from_utf8(out.bytes).unwrap_or_default())
    }

    /// A template error as a finding. A render error's text can quote the values the
    /// template was given (a missing include's name, the operands of a failed
    /// operation); they are replaced, since any of them may be a secret.
    fn failure(
        &self,
        error: &minijinja::Error,
        location: Location,
        context: &Json,
        what: &str,
    ) -> Box<Finding> {
        if error.kind() == minijinja::ErrorKind::WriteFailure {
            return Box::new(
                Finding::at(
                    Code::OutputFileTooLarge,
                    location,
                    format!(
                        "the template's output passed the {}-byte limit (`limits.maxOutputFileBytes`) while rendering {what}; rendering stopped",
                        self.max_output_bytes
                    ),
                )
                .label("this template's output"),
            );
        }
        let detail = error
            .detail()
            .map(|d| format!(": {}", redact(d, context)))
            .unwrap_or_default();
        Box::new(Finding::at(
            Code::TemplateError,
            location,
            format!("{} while rendering {what}{detail}", error.kind()),
        ))
    }
}

/// A template's output buffer that refuses to grow past `limit` bytes.
struct Bounded {
    bytes: Vec<u8>,
    limit: u64,
}

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if (self.bytes.len() + buf.len()) as u64 > self.limit {
            return Err(std::io::Error::other("over limits.maxOutputFileBytes"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The shortest value [`redact`] replaces: shorter ones are names and numbers such as
/// `dev` or `443`, which make messages clearer and are not credentials.
const REDACT_FROM: usize = 6;

/// `text` with every string and number of `context` (of [`REDACT_FROM`] characters or
/// more) replaced by `***`, longest first.
pub(crate) fn redact(text: &str, context: &Json) -> String {
    fn values(json: &Json, out: &mut Vec<String>) {
        match json {
            Json::String(s) => out.push(s.clone()),
            Json::Number(n) => out.push(n.to_string()),
            Json::Array(items) => items.iter().for_each(|v| values(v, out)),
            Json::Object(map) => map.values().for_each(|v| values(v, out)),
            Json::Null | Json::Bool(_) => {}
        }
    }
    let mut found = Vec::new();
    values(context, &mut found);
    found.retain(|v| v.chars().count() >= REDACT_FROM && text.contains(v.as_str()));
    found.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
    let mut text = text.to_string();
    for value in found {
        text = text.replace(&value, "***");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hcl_templates_escape_values() {
        let templates = templates_with("t.tf.j2", "name = {{ name }}\ntags = {{ tags }}\n");
        let text = templates
            .render(
                "t.tf.j2",
                &json!({"name": "x\"${y}", "tags": {"a": "b"}}),
                "a test",
            )
            .unwrap();
        assert_eq!(text, "name = \"x\\\"$${y}\"\ntags = {\n  a = \"b\"\n}");
    }

    #[test]
    fn template_errors_point_at_the_line() {
        let templates = templates_with("t.yaml.j2", "a: 1\nb: {{ missing.field }}\n");
        let error = templates
            .render("t.yaml.j2", &json!({}), "service x in dev")
            .unwrap_err();
        assert_eq!(error.code, Code::TemplateError);
        assert_eq!(error.location.span.line, 2);
        assert!(
            error.message.contains("service x in dev"),
            "{}",
            error.message
        );
    }

    fn templates_with(name: &str, text: &str) -> Templates {
        let mut templates = Templates::default();
        let file = Arc::new(SourceFile::new(name, text));
        assert!(templates.add(&file, &mut Vec::new()));
        templates
    }

    /// Error texts of the engine can quote values (the operands of a failed
    /// operation): none reaches a finding.
    #[test]
    fn render_errors_never_quote_the_values() {
        let context = json!({"resource": {"params": {"pin": 98765432}}});
        let templates = templates_with("t.tf.j2", "a = {{ resource.params.pin // 0 }}\n");
        let error = templates.render("t.tf.j2", &context, "a test").unwrap_err();
        assert_eq!(error.code, Code::TemplateError);
        assert!(!error.message.contains("98765432"), "{}", error.message);
        assert!(error.message.contains("***"), "{}", error.message);
        let origin_file = Arc::new(SourceFile::new("p.yaml", ""));
        let origin = Location::new(&origin_file, origin_file.start());
        let error = templates
            .render_str(
                "{{ resource.params.pin % 0 }}",
                &context,
                &origin,
                "a value",
            )
            .unwrap_err();
        assert!(!error.message.contains("98765432"), "{}", error.message);
        assert!(error.message.contains("***"), "{}", error.message);
    }

    #[test]
    fn a_runaway_template_stops_at_the_output_limit() {
        let mut templates = templates_with(
            "t.yaml.j2",
            "{% for i in range(100000) %}0123456789{% endfor %}",
        );
        templates.max_output_bytes = 1_000;
        let error = templates
            .render("t.yaml.j2", &json!({}), "a test")
            .unwrap_err();
        assert_eq!(error.code, Code::OutputFileTooLarge);
        assert!(
            error.message.contains("`limits.maxOutputFileBytes`"),
            "{}",
            error.message
        );
        templates.max_output_bytes = 1_000_000;
        let text = templates.render("t.yaml.j2", &json!({}), "a test").unwrap();
        assert_eq!(text.len(), 1_000_000);
    }
}
