//! SeaORM entities: one file per table. Private to the store.

pub mod session;
pub mod user;
