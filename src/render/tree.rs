//! The generated files of a render, by path, with what policies and findings need to
//! know about them, and the platform's patches applied before they are written.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::diag::codes::Code;
use crate::diag::finding::Finding;
use crate::load::platform::Platform;
use crate::syntax::{hcl, yaml_out};
use crate::validate::policy::{Content, RenderedFile};

use super::layout;

/// Generated files by path relative to the output folder, `/`-separated.
#[derive(Debug, Default, Clone)]
pub struct Tree {
    pub files: BTreeMap<String, Vec<u8>>,
    /// YAML files as objects until the platform's patches have been applied.
    pub(super) documents: BTreeMap<String, Vec<Json>>,
    /// For files a platform template or patch made or changed: where, so that findings
    /// about them point there.
    pub origins: BTreeMap<String, crate::syntax::source::Location>,
    /// Terraform files as blocks, for policies over rendered output.
    pub(super) blocks: BTreeMap<String, Vec<hcl::Block>>,
}

impl Tree {
    pub(super) fn yaml(&mut self, path: String, value: &Json) {
        self.documents.insert(path, vec![value.clone()]);
    }

    pub(super) fn yaml_documents(&mut self, path: String, values: &[Json]) {
        self.documents.insert(path, values.to_vec());
    }

    /// Set a YAML file's documents; none removes the file.
    pub(super) fn replace_yaml(&mut self, path: String, values: Vec<Json>) {
        if values.is_empty() {
            self.documents.remove(&path);
        } else {
            self.documents.insert(path, values);
        }
    }

    pub(super) fn json(&mut self, path: String, value: &Json) {
        let mut text = serde_json::to_string_pretty(value).expect("JSON values serialize");
        text.push('\n');
        self.files.insert(path, text.into_bytes());
    }

    pub(super) fn text(&mut self, path: String, text: String) {
        self.files.insert(path, text.into_bytes());
    }

    pub(super) fn terraform(&mut self, path: String, blocks: Vec<hcl::Block>) {
        self.files
            .insert(path.clone(), hcl::file(&blocks).into_bytes());
        self.blocks.insert(path, blocks);
    }

    /// Apply the platform's patches to every YAML object, then write them out.
    pub(super) fn finish(mut self, platform: &Platform, findings: &mut Vec<Finding>) -> Self {
        for patch in &platform.patches {
            for (path, documents) in &mut self.documents {
                for document in documents.iter_mut().filter(|d| patch.target.matches(d)) {
                    self.origins
                        .entry(path.clone())
                        .or_insert_with(|| patch.origin.key("/spec"));
                    if let Some(merge) = &patch.merge {
                        json_patch::merge(document, merge);
                    }
                    if let Some(operations) = &patch.operations
                        && let Err(e) = json_patch::patch(document, operations)
                    {
                        findings.push(
                            patch
                                .origin
                                .finding(
                                    Code::PatchFailed,
                                    &format!("/spec/operations/{}", e.operation),
                                    format!(
                                        "patch `{}` cannot be applied to {path}: {}",
                                        patch.name, e.kind
                                    ),
                                )
                                .label("this operation failed"),
                        );
                    }
                }
            }
        }
        for (path, documents) in &self.documents {
            self.files
                .insert(path.clone(), yaml_out::documents(documents).into_bytes());
        }
        self
    }

    /// Keep only the files at the paths `keep` accepts.
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        self.files.retain(|path, _| keep(path));
        self.documents.retain(|path, _| keep(path));
        self.origins.retain(|path, _| keep(path));
        self.blocks.retain(|path, _| keep(path));
    }

    /// The YAML files as objects and the Terraform files as blocks, each with the
    /// service and environment it belongs to, for policies over rendered output.
    pub fn rendered(&self) -> Vec<RenderedFile<'_>> {
        let yaml = self
            .documents
            .iter()
            .map(|(path, documents)| (path, Content::Yaml(documents)));
        let terraform = self
            .blocks
            .iter()
            .map(|(path, blocks)| (path, Content::Terraform(blocks)));
        yaml.chain(terraform)
            .map(|(path, content)| {
                let place = layout::place(path);
                RenderedFile {
                    path,
                    service: place.service,
                    environment: place.environment,
                    origin: self.origins.get(path),
                    content,
                }
            })
            .collect()
    }
}
