//! SeaORM entities: one file per table. Private to the store.

pub mod attachment;
pub mod audit_entry;
pub mod auth_throttle;
pub mod block;
pub mod chat;
pub mod chat_member;
pub mod group_invite;
pub mod group_removal;
pub mod instance_setting;
pub mod invitation;
pub mod message;
pub mod password_reset;
pub mod push_outbox;
pub mod push_subscription;
pub mod reaction;
pub mod session;
pub mod user;
