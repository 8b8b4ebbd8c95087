//! `platform/waivers.yaml`: the waivers the platform team grants, for services or
//! whole teams, each with a reason and an expiry date.

use serde_json::Value as Json;

use crate::diag::codes::Code;
use crate::diag::finding::Finding;
use crate::diag::origin::Origin;
use crate::load::repo::Repo;
use crate::load::schema::{self, Schemas};
use crate::model::config::Limits;
use crate::model::waiver::WaiverEntry;
use crate::syntax::yaml;

/// The waivers of the waivers file; its problems are findings, and a file with any
/// waives nothing.
pub(crate) fn read(
    repo: &Repo,
    schemas: &Schemas,
    limits: &Limits,
    findings: &mut Vec<Finding>,
) -> Vec<WaiverEntry> {
    let mut out = Vec::new();
    let path = format!("{}/waivers.yaml", crate::load::platform::DIR);
    let file = match repo.read_text(&path, limits.max_file_bytes) {
        Ok(file) => file,
        Err(finding) => {
            if finding.code != Code::FileUnreadable {
                findings.push(*finding);
            }
            return out;
        }
    };
    let loaded = yaml::load(&file, limits.yaml);
    findings.extend(
        loaded
            .problems
            .iter()
            .map(|p| crate::diag::finding::yaml_finding(&file, p)),
    );
    let Some(root_node) = loaded.documents.into_iter().next() else {
        return out;
    };
    let origin = Origin::new(&file, 0, root_node);
    let json = origin.root().to_json();
    let errors = schemas.check(schema::Kind::Waivers, &json, &origin, &|p| p.to_string());
    if !errors.is_empty() {
        findings.extend(errors);
        return out;
    }
    let strings = |value: &Json| -> Vec<String> {
        value
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Json::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default()
    };
    for (i, waiver) in json["waivers"].as_array().into_iter().flatten().enumerate() {
        out.push(WaiverEntry {
            rule: waiver["rule"].as_str().unwrap_or_default().to_string(),
            reason: waiver["reason"].as_str().unwrap_or_default().to_string(),
            expires: waiver["expires"].as_str().unwrap_or_default().to_string(),
            environments: strings(&waiver["environments"]),
            services: strings(&waiver["services"]),
            teams: strings(&waiver["teams"]),
            location: origin.value(&format!("/waivers/{i}/rule")),
        });
    }
    out
}
