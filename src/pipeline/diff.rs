//! `paved diff --base REF`: the base revision is read from git objects and checked and
//! rendered in memory, the head from the work tree; [`crate::review::diff`] compares
//! them.

use std::path::Path;

use crate::diag::error::Error;
use crate::diag::timings::stage;
use crate::load::repo::Repo;
use crate::pipeline::check::{self, Scope};
use crate::review::changed::Selection;
use crate::review::diff::{Report, Side};

/// Check and render `base` (a git revision) and the work tree of `root`, and compare
/// them.
pub(crate) fn run(root: &Path, base: &str, today: &str) -> Result<Report, Error> {
    let mut after = checked(
        &Repo::work_tree(root),
        today,
        Scope {
            since: Some(base),
            keep_unchanged: true,
            ..Scope::default()
        },
    )?;
    // The base's files that the change left alone check as the work tree's did: they
    // are neither read from git nor checked again.
    let known = after.unchanged.take().unwrap_or_default();
    let snapshot = stage("read the base from git", || {
        crate::review::git::snapshot(root, base, &|path| known.contains(path))
    })
    .map_err(Error::Usage)?;
    // Only what the change touches can differ (see `changed`): both sides render just
    // that, and the base's policies look at just that, unless the change reaches every
    // intent.
    let selection = after.selection.take();
    let selection = selection.as_ref();
    let before = checked(
        &Repo::Snapshot(snapshot),
        today,
        Scope {
            policies_on: selection.map(|s| &s.services),
            known: Some(&known),
            ..Scope::default()
        },
    )?;
    let (before, after) = stage("render both sides", || {
        rayon::join(|| side(before, selection), || side(after, selection))
    });
    Ok(crate::review::diff::compare(base, &before, &after))
}

fn checked(repo: &Repo, today: &str, scope: Scope) -> Result<check::Outcome, Error> {
    let outcome = check::run_in(repo, today, scope)?;
    if outcome.config_invalid {
        return Err(Error::Usage(format!(
            "paved.yaml of {} has errors; run `paved check` there",
            repo.display()
        )));
    }
    Ok(outcome)
}

/// One side's files and findings: `outcome` rendered, within `selection` when the
/// change does not reach every intent.
fn side(outcome: check::Outcome, selection: Option<&Selection>) -> Side {
    let (mut tree, render_findings) = crate::render::render(
        &outcome.config,
        &outcome.catalog,
        &outcome.platform,
        selection.map(|s| &s.services),
    );
    let mut findings = outcome.findings;
    findings.extend(render_findings);
    if let Some(selection) = selection {
        tree.retain(|path| selection.renders(path));
        findings.retain(|f| selection.keeps(f));
    }
    Side::new(
        tree.files,
        findings,
        &outcome.catalog,
        &outcome.config.output,
    )
}
