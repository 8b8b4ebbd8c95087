//! The typed model: intents, placeholders, names.

pub mod config;
pub mod intent;
pub mod names;
pub mod placeholder;
pub mod waiver;
