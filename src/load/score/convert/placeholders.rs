//! Score's placeholders in the values of a workload as paved reads them: metadata
//! substituted at once, resource outputs left as paved's own placeholders.

use serde_json::{Map, Value as Json};

use crate::diag::codes::Code;
use crate::load::score::convert::Converter;
use crate::load::score::substitute::{self, Target, Token};

impl Converter<'_> {
    /// A Score value as a paved value: metadata substituted now, outputs left as paved
    /// placeholders, literal `$` escaped.
    pub(super) fn placeholders(&mut self, value: &str, pointer: &str) -> String {
        match to_paved(value, &self.metadata, &self.resources, self.workload()) {
            Ok(converted) => converted,
            Err(error) => {
                self.note(
                    Code::UnknownPlaceholder,
                    pointer.to_string(),
                    error.message,
                    Some("placeholders are `${metadata.<key>}` and `${resources.<name>.<output>}`; write `$$` for a literal `$`"),
                );
                value.replace('$', "$$")
            }
        }
    }

    /// A value written as is (a file's content, a sidecar's variable) with the
    /// workload's metadata substituted; outputs of resources are not known then.
    pub(super) fn file_content(&self, content: &str) -> Result<String, String> {
        let metadata = &self.metadata;
        let resources = &self.resources;
        substitute::substitute(content, |reference| {
            match substitute::target(reference, metadata, |n| resources.contains_key(n))? {
                Target::Metadata(value) => Ok(substitute::text(value)),
                Target::Resource { .. } => Err(format!(
                    "`${{{reference}}}` is a resource output, which paved gives only to the first container's variables"
                )),
            }
        })
        .map_err(|e| e.message)
    }
}

/// `value` with Score's placeholders turned into paved's: metadata resolved, resource
/// outputs as `${resources.<name>.<output>}`, the resource itself as its Score id.
fn to_paved(
    value: &str,
    metadata: &Json,
    resources: &Map<String, Json>,
    workload: &str,
) -> Result<String, substitute::Error> {
    let mut out = String::new();
    for token in substitute::tokens(value) {
        match token {
            Token::Text(text) => out.push_str(&text.replace('$', "$$")),
            Token::Ref { body, range } => {
                let target = substitute::target(body, metadata, |n| resources.contains_key(n))
                    .map_err(|message| substitute::Error {
                        range: range.clone(),
                        message,
                    })?;
                match target {
                    Target::Metadata(value) => {
                        out.push_str(&substitute::text(value).replace('$', "$$"))
                    }
                    Target::Resource { name, keys } if keys.is_empty() => {
                        let uid = resources
                            .get(&name)
                            .map(|resource| resource_uid(workload, &name, resource))
                            .unwrap_or_default();
                        out.push_str(&uid.replace('$', "$$"));
                    }
                    Target::Resource { name, keys } => {
                        let path: Vec<String> = std::iter::once(name)
                            .chain(keys)
                            .map(|k| k.replace('.', "\\."))
                            .collect();
                        out.push_str(&format!("${{resources.{}}}", path.join(".")));
                    }
                }
            }
        }
    }
    Ok(out)
}

/// A resource's identity as Score tools write it: `type.class#id` for a shared
/// resource, `type.class#workload.name` otherwise.
fn resource_uid(workload: &str, name: &str, resource: &Json) -> String {
    let kind = resource
        .get("type")
        .and_then(Json::as_str)
        .unwrap_or_default();
    let class = resource
        .get("class")
        .and_then(Json::as_str)
        .unwrap_or("default");
    match resource.get("id").and_then(Json::as_str) {
        Some(id) => format!("{kind}.{class}#{id}"),
        None => format!("{kind}.{class}#{workload}.{name}"),
    }
}
