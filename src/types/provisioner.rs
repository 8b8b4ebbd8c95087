//! Resource types a platform defines in `platform/provisioners/<type>/`, or built-in
//! ones it replaces: declared in `provisioner.yaml`, provisioned by `*.tf.j2` templates
//! (which `render` runs).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value as Json;

use crate::diag::origin::Origin;

/// A resource type defined (or redefined) by the platform.
pub struct Provisioner {
    pub name: String,
    pub origin: Origin,
    pub description: String,
    pub classes: Vec<String>,
    pub params: Option<jsonschema::Validator>,
    pub outputs: BTreeMap<String, OutputDecl>,
    pub permissions: Vec<Json>,
    pub checkov_skips: Vec<CheckovSkip>,
    /// The `*.tf.j2` templates, by template name.
    pub templates: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OutputDecl {
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub secret: bool,
    /// A template giving the value at render time.
    pub value: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct CheckovSkip {
    pub block: String,
    pub check: String,
    pub reason: String,
}
