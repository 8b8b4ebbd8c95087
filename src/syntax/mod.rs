//! The languages paved reads and writes: spanned YAML in, canonical YAML and HCL out.

pub mod hcl;
pub mod source;
pub mod yaml;
pub mod yaml_out;
