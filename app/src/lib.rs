//! Parley's shared crate: the vocabulary both sides speak (domain types and the
//! wire protocol) and the Leptos user interface.
//!
//! Compiled natively for the server (`ssr`) and to wasm32 for the browser (`hydrate`).
//! It knows nothing of axum, SeaORM or sockets.

// Leptos' statically typed views nest deeply.
#![recursion_limit = "256"]

pub mod client;
pub mod media;
pub mod model;
pub mod protocol;
pub mod search;
pub mod status;
pub mod ui;

#[cfg(feature = "hydrate")]
pub use ui::hydrate;
pub use ui::{App, Route, shell};
