//! `GET /sw.js`: the service worker (`worker.js`) as the running build needs
//! it: the files it keeps (those every page names, by their hashed names)
//! and the name of its cache, new with each build, so a new build's worker
//! drops the last one's files when it takes over.

use super::{PKG_DIR, Site, hashed_names};
use crate::state::AppState;
use axum::{
    extract::State,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use sha2::{Digest, Sha256};

pub const PATH: &str = "/sw.js";
/// The page shown for a navigation that cannot reach the server, and its script.
pub const OFFLINE: &str = "/offline";
pub const OFFLINE_SCRIPT: &str = "/offline.js";

/// Files besides the build's own that every page names (and the offline
/// page's script).
const ALWAYS: [&str; 8] = [
    OFFLINE_SCRIPT,
    app::ui::SOCKET_IO_CLIENT,
    "/favicon.svg",
    "/favicon-unread.svg",
    "/manifest.webmanifest",
    "/icons/icon-192.png",
    "/icons/icon-512.png",
    "/icons/maskable-512.png",
];

/// The files the worker keeps: the build's (hashed: a site served with
/// plain names is a development one, whose files change under the same
/// name, so none of them is kept) and [`ALWAYS`].
pub fn assets(site: &Site) -> Vec<String> {
    let built = site
        .hashes
        .as_ref()
        .and_then(|file| std::fs::read_to_string(file).ok())
        .and_then(|text| hashed_names(&text).ok())
        .unwrap_or_default();
    built
        .into_iter()
        .map(|name| format!("/{PKG_DIR}/{name}"))
        .chain(ALWAYS.map(str::to_owned))
        .collect()
}

/// The worker's script for `site`.
pub fn script(site: &Site) -> String {
    let assets = assets(site);
    let listed = serde_json::to_string(&assets).unwrap_or_else(|_| "[]".to_owned());
    // A development site's names never change: its worker is new with each
    // start instead.
    let started = if site.hashes.is_some() {
        String::new()
    } else {
        format!("{:?}", std::time::SystemTime::now())
    };
    let build = Sha256::digest(format!("{listed}{started}").as_bytes());
    let build: String = build[..8]
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    include_str!("worker.js")
        .replace("__BUILD__", &build)
        .replace("__ASSETS__", &listed)
}

/// The offline page: the site's stylesheet and no WebAssembly (none may
/// meet an address it was not rendered for: the worker shows it for any);
/// its one script asks the server every few seconds and reloads once it
/// answers, so Parley is back as soon as it can be reached. Nobody's data
/// is in it.
pub fn offline_page(site: &Site) -> String {
    let stylesheet = assets(site)
        .into_iter()
        .find(|path| path.starts_with("/pkg/") && path.ends_with(".css"))
        .unwrap_or_else(|| format!("/{PKG_DIR}/{}.css", super::OUTPUT_NAME));
    format!(
        r#"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Offline · Parley</title>
<link rel="icon" href="/favicon.svg" type="image/svg+xml">
<link rel="manifest" href="/manifest.webmanifest">
<link rel="stylesheet" href="{stylesheet}">
<script src="{OFFLINE_SCRIPT}" defer></script>
</head>
<body>
<main class="app">
<section class="offline-card" role="status">
<h1>You're offline</h1>
<p>Parley will reconnect as soon as it can reach the server.</p>
<p><a href="/">Try again now</a></p>
</section>
</main>
</body>
</html>
"#
    )
}

/// `GET /offline`
pub async fn serve_offline(State(state): State<AppState>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        state.offline_page.to_string(),
    )
        .into_response()
}

/// `GET /offline.js`
pub async fn serve_offline_script() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        include_str!("offline.js"),
    )
        .into_response()
}

/// Serves the worker: never kept without asking (a browser checks it for
/// updates on every visit anyway).
pub async fn serve(State(state): State<AppState>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        state.service_worker.to_string(),
    )
        .into_response()
}
