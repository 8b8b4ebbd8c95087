//! Reading the repository: files, paved.yaml, intents, Score workloads, platform/.

pub mod config;
pub mod discover;
pub(crate) mod file;
pub mod intent;
pub mod platform;
pub mod repo;
pub mod schema;
pub(crate) mod score;
pub mod templates;
pub(crate) mod waivers;
