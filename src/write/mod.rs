//! Writing the output folder: guard, plan, apply, lock, record of the last render.

pub mod apply;
pub mod conflict;
pub mod guard;
pub mod lock;
pub mod plan;
pub mod record;
