//! Integration tests: each test starts the real server on a random port with its
//! own SQLite file in a temp dir, and talks to it over real sockets.

mod accounts;
mod admin;
mod attachments;
mod changes;
mod chat_list;
mod deploy;
mod groups;
mod invites;
mod migrate;
mod operability;
mod pages;
mod photos;
mod push;
mod realtime;
mod reconnect_storms;
mod scale_out;
mod search;
mod sessions;
mod shipping;
mod store;
mod support;
mod throttling;
mod upkeep;
mod write_path;
