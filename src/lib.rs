//! paved: the golden-path engine of an internal developer platform.
//!
//! The library never prints: commands return their output as values and the binary
//! writes them. Each folder is a stage of the pipeline, lowest first; a folder imports
//! only from those above it in this list (ARCHITECTURE.md).

// Text in and out: source files and spans, spanned YAML, canonical YAML and HCL.
pub mod syntax;

// What paved reports: finding codes, findings, their places, errors, masking.
pub mod diag;

// The typed model: intents, paved.yaml, placeholders, names.
pub mod model;

// Resource types: one module per built-in type, behind one trait.
pub mod types;

// Reading the repository: files, paved.yaml, intents, Score workloads, `platform/`.
pub mod load;

// Checks over the whole catalog: references, then policies.
pub mod validate;

// Expanding the catalog into the generated files, and their layout.
pub mod render;

// The output folder: guard, plan, apply, lock, record of the last render.
pub mod write;

// What a change does: git revisions, changed-since, diff.
pub mod review;

// Findings as text: human, JSON, SARIF, GitHub annotations.
pub(crate) mod report;

// The check, render and diff orchestration.
pub mod pipeline;

// The other commands: graph, owners, scaffolding, docs, explain.
pub(crate) mod commands;

// The command line: arguments, dispatch, prompts.
pub mod cli;
