//! Commands beside check and render.

pub mod docs;
pub mod graph;
pub mod owners;
pub mod scaffold;
