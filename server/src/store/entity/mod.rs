//! SeaORM entities: one file per table. Private to the store.

pub mod attachment;
pub mod auth_throttle;
pub mod block;
pub mod chat;
pub mod chat_member;
pub mod message;
pub mod reaction;
pub mod session;
pub mod user;
