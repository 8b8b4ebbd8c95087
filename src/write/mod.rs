//! Writing the output folder: guard, plan, apply, lock, record of the last render.

pub(crate) mod apply;
pub(crate) mod conflict;
pub(crate) mod guard;
pub(crate) mod lock;
pub mod plan;
pub(crate) mod record;
