//! Score workloads (`apiVersion: score.dev/v1b1`) read as paved Services.
//!
//! A workload is checked against the official Score schema, then turned into the
//! Service it means: its first container is the service's workload, `service.ports`
//! its ports, `resources` its resources, and the platform metadata Score has no field
//! for (owner, system, tier...) comes from `paved.dev/*` annotations. Placeholders are
//! substituted as Score defines them: metadata at once, resource outputs through
//! paved's own placeholders, which the resolver checks and the renderer fills. Every
//! finding about the Service is reported where the workload wrote the value.

mod convert;
mod read;
mod substitute;

pub(crate) use read::{convert_file, load_document};

pub(crate) const API_GROUP: &str = "score.dev/";
pub(crate) const API_VERSION: &str = "score.dev/v1b1";
