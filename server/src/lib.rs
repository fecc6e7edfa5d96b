//! The Parley server: configuration, start-up, HTTP, storage and authentication.
//!
//! # Layout
//!
//! - [`config`]: every knob, from flags or the environment.
//! - [`startup`]: wiring configuration into a listening server (store, cluster,
//!   Socket.IO, routes); [`shutdown`] lets what is in flight finish.
//! - [`state`]: what every HTTP handler reaches.
//! - [`site`]: the built site the pages name (hashed, precompressed files).
//! - [`auth`]: passwords, tokens, sessions, allowed origins.
//! - [`admin`]: what instance admins do (roles, deactivation, sign-up mode,
//!   invitations, reset links, the audit trail), and `parley admin`.
//! - [`http`]: routes besides the pages (JSON API, forms, uploads, health,
//!   metrics) and the layers on every response.
//! - [`realtime`]: Socket.IO: the handshake, one handler file per event
//!   family, who is online and where, across nodes.
//! - [`store`]: SeaORM entities, migrations and every query; its writer owns
//!   message writes (group commit).
//! - [`media`]: uploads' bytes and what they really are.
//! - [`push`]: Web Push: telling people of messages while Parley is closed.
//! - [`refusals`]: how every boundary's errors reach the client, in one place.
//! - [`upkeep`]: `parley backup`, `restore` and `check` (SQLite instances).
//! - [`metrics`], [`telemetry`]: figures for operators, structured logs.
//!
//! docs/ARCHITECTURE.md draws the map: the rules between these, the way of one
//! message, and what a new socket event touches.

// Leptos' statically typed views nest deeply.
#![recursion_limit = "256"]

pub mod admin;
pub mod auth;
pub mod config;
pub mod http;
pub mod media;
pub mod metrics;
pub mod push;
pub mod realtime;
pub mod refusals;
pub mod shutdown;
pub mod site;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod upkeep;
