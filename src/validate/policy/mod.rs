//! Policy guardrails: Rego v1 rules over intents, over generated objects and over the
//! platform configuration.
//!
//! Built-in policies ship in `policies/` (embedded); an organisation adds its own in
//! `platform/policies/`. Each policy package declares `meta` (at least `code`) and
//! `deny` and/or `warn` sets whose items are a message or `{msg, path}`; `path` points
//! into the input's intent so the finding lands on the line to change. All policies are
//! compiled once per run into one program for regorus's register VM, evaluated in
//! parallel; a policy the VM cannot compile runs in regorus's interpreter instead.
//!
//! The modules, in the order a run uses them: `load` reads the policies and `compile`
//! groups them and builds the VM program; `input` builds what they see and `eval` runs
//! them, with `definitions` telling which rule produced each violation; `reporter`
//! turns what they report into findings, with `waivers` applied; `check` runs them
//! over the catalog, `objects` over rendered files, and `test` runs the policies' own
//! tests.

mod check;
mod compile;
mod definitions;
mod eval;
mod input;
mod load;
mod objects;
mod reporter;
mod test;
mod waivers;

pub use check::check;
pub use input::{Inputs, IntentInput};
pub use load::{BUILT_IN, Policies, load};
pub use objects::{Content, RenderedFile, objects, unused_object_waivers};
pub use test::{TestReport, test};
pub use waivers::{Waivers, waivers};
