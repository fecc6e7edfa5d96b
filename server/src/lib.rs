//! The Parley server: configuration, start-up, HTTP, storage and authentication.

// Leptos' statically typed views nest deeply.
#![recursion_limit = "256"]

pub mod auth;
pub mod config;
pub mod http;
pub mod media;
pub mod metrics;
pub mod realtime;
pub mod shutdown;
pub mod site;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
