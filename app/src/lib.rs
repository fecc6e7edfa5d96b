//! Parley's shared crate: the vocabulary both sides speak (domain types and the
//! wire protocol) and the Leptos user interface.
//!
//! Compiled natively for the server (`ssr`) and to wasm32 for the browser (`hydrate`).
//! It knows nothing of axum, SeaORM or sockets.
//!
//! # Layout
//!
//! - [`model`]: domain types: ids, people, chats, messages, receipts,
//!   attachments, and the values parsed once at the edge.
//! - [`timestamp`]: times as written and read (RFC 3339, from any offset).
//! - [`status`]: the seed's rules, pure: watermarks to ticks (both sides).
//! - [`search`]: words as search and mentions see them (both sides).
//! - [`format`]: how a message's words are drawn: links and light
//!   formatting, and the same words plain (both sides).
//! - [`media`]: which uploads are taken, how big, and where they go.
//! - [`protocol`]: the wire: every event, reply, HTTP body and error code.
//! - [`client`]: the browser's typed Socket.IO client (hydrate only).
//! - [`live`]: the page's state the socket feeds: the chat list, the open
//!   conversation, the outbox, presence (hydrate runs it; ssr renders it empty).
//! - [`ui`]: the Leptos shell, router and pages; they read [`live`].

// Leptos' statically typed views nest deeply.
#![recursion_limit = "256"]

pub mod client;
pub mod format;
pub mod live;
pub mod media;
pub mod model;
pub mod protocol;
pub mod search;
pub mod status;
pub mod timestamp;
pub mod ui;

#[cfg(feature = "hydrate")]
pub use ui::hydrate;
pub use ui::{App, Route, shell};
