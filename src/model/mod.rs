//! The typed model: intents, placeholders, names.

pub mod intent;
pub mod names;
pub mod placeholder;
