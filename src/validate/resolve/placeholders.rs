//! Placeholders: every `${...}` of a spec names a resource output or a metadata field
//! that exists, and params read only outputs known when paved renders.

use crate::diag::codes::Code;
use crate::diag::finding::{Finding, did_you_mean, list, list_or};
use crate::diag::origin::escape_pointer;
use crate::model::intent::ServiceSpec;
use crate::model::placeholder::{self, Part};
use crate::syntax::source::Location;
use crate::types::TypeRef;

use super::{Checker, Places};

impl Checker<'_> {
    pub(super) fn placeholders(
        &self,
        spec: &ServiceSpec,
        places: &Places<'_>,
        findings: &mut Vec<Finding>,
    ) {
        let values = spec
            .env
            .iter()
            .map(|(k, v)| (format!("/env/{}", escape_pointer(k)), v.0.as_str()))
            .chain(
                spec.command
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (format!("/command/{i}"), v.as_str())),
            )
            .chain(
                spec.args
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (format!("/args/{i}"), v.as_str())),
            );
        for (spec_pointer, value) in values {
            let pointer = places.pointer(&spec_pointer);
            self.checked_references(spec, &pointer, value, findings);
        }
    }

    /// The references of a value's placeholders that resolve, with their byte ranges
    /// in the value; malformed and unknown ones are reported.
    pub(super) fn checked_references(
        &self,
        spec: &ServiceSpec,
        pointer: &str,
        value: &str,
        findings: &mut Vec<Finding>,
    ) -> Vec<(Vec<String>, std::ops::Range<usize>)> {
        if !value.contains('$') {
            return Vec::new();
        }
        let parts = match placeholder::parse(value) {
            Ok(parts) => parts,
            Err(e) => {
                let location = self.origin.within(pointer, value, e.range);
                findings.push(
                    Finding::at(Code::InvalidPlaceholder, location, e.message)
                        .label("malformed placeholder"),
                );
                return Vec::new();
            }
        };
        let mut references = Vec::new();
        for part in parts {
            let Part::Ref { path, range } = part else {
                continue;
            };
            match self.reference(spec, &path) {
                Ok(()) => references.push((path, range)),
                Err((message, help)) => findings.push(
                    Finding::at(
                        Code::UnknownPlaceholder,
                        self.origin.within(pointer, value, range),
                        message,
                    )
                    .label("cannot be resolved")
                    .help(help),
                ),
            }
        }
        references
    }

    /// Whether a placeholder path resolves; if not, the message and a fix.
    pub(super) fn reference(
        &self,
        spec: &ServiceSpec,
        path: &[String],
    ) -> Result<(), (String, String)> {
        let shown = format!("${{{}}}", path.join("."));
        let metadata = &self.service.metadata;
        match path {
            [root, rest @ ..] if root == "metadata" => {
                let keys = [
                    "name",
                    "owner",
                    "system",
                    "lifecycle",
                    "tier",
                    "description",
                ];
                match rest {
                    [key] if key == "system" && metadata.system.is_none() => Err((
                        format!("`{shown}` refers to `metadata.system`, which is not set"),
                        String::from("set `metadata.system`, or remove the placeholder"),
                    )),
                    [key] if key == "description" && metadata.description.is_none() => Err((
                        format!("`{shown}` refers to `metadata.description`, which is not set"),
                        String::from("set `metadata.description`, or remove the placeholder"),
                    )),
                    [key] if keys.contains(&key.as_str()) => Ok(()),
                    [annotations, key] if annotations == "annotations" => {
                        if metadata.annotations.contains_key(key) {
                            Ok(())
                        } else {
                            Err((
                                format!("`{shown}`: there is no annotation `{key}`"),
                                String::from(
                                    "add the annotation to `metadata.annotations`; escape dots in its key as `\\.`",
                                ),
                            ))
                        }
                    }
                    _ => Err((
                        format!("`{shown}` is not a metadata field"),
                        format!(
                            "use {} or `metadata.annotations.<key>`",
                            list_or(keys.iter().map(|k| format!("metadata.{k}")))
                        ),
                    )),
                }
            }
            [root, rest @ ..] if root == "resources" => {
                let Some(name) = rest.first() else {
                    return Err((
                        format!("`{shown}` names no resource"),
                        String::from("write `${resources.<name>.<output>}`"),
                    ));
                };
                let Some(resource) = spec.resources.get(name) else {
                    let declared: Vec<&str> = spec.resources.keys().map(String::as_str).collect();
                    let help = match did_you_mean(name, declared.iter().copied()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None if declared.is_empty() => {
                            String::from("declare the resource in `spec.resources`")
                        }
                        None => format!("declared resources: {}", list(&declared)),
                    };
                    return Err((
                        format!("`{shown}` refers to resource `{name}`, which is not declared"),
                        help,
                    ));
                };
                let Some(kind) = self.registry.find(&resource.kind) else {
                    // The unknown type is reported on the resource itself.
                    return Ok(());
                };
                if let [output] = &rest[1..]
                    && kind.has_output(output)
                {
                    return Ok(());
                }
                let outputs = kind.output_names();
                match &rest[1..] {
                    [output] => Err((
                        format!(
                            "`{shown}`: a {} resource has no output `{output}`",
                            resource.kind
                        ),
                        match did_you_mean(output, outputs.iter().copied()) {
                            Some(s) => format!("did you mean `{s}`? Outputs: {}", list(&outputs)),
                            None => format!("outputs: {}", list(&outputs)),
                        },
                    )),
                    _ => Err((
                        format!("`{shown}` must name one output of resource `{name}`"),
                        format!(
                            "write `${{resources.{name}.<output>}}` with one of {}",
                            list_or(&outputs)
                        ),
                    )),
                }
            }
            _ => Err((
                format!("`{shown}` is not a placeholder paved knows"),
                String::from(
                    "placeholders are `${metadata.<field>}` and `${resources.<name>.<output>}`; write `$$` for a literal `$`",
                ),
            )),
        }
    }
}

/// A param reading an output paved does not know when it renders.
pub(super) fn unavailable_output(
    location: Location,
    path: &[String],
    kind: TypeRef<'_>,
) -> Finding {
    let shown = format!("${{{}}}", path.join("."));
    let output = &path[2];
    let why = if kind.output_is_secret(output) {
        "is a secret, which never becomes a param"
    } else {
        "is known only once the cloud has created the resource"
    };
    let rendered: Vec<&str> = kind
        .output_names()
        .into_iter()
        .filter(|o| kind.rendered_output(o))
        .collect();
    let help = if rendered.is_empty() {
        format!(
            "a {} resource has no output known when paved renders; pass it to the container through `spec.env` instead",
            kind.name()
        )
    } else {
        format!(
            "outputs of a {} resource a param can read: {}; or pass this one to the container through `spec.env`",
            kind.name(),
            list(&rendered)
        )
    };
    Finding::at(
        Code::ParamOutputUnavailable,
        location,
        format!(
            "`{shown}` {why}: a resource param can only read outputs paved knows when it renders"
        ),
    )
    .label("not known when paved renders")
    .help(help)
}
