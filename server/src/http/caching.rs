//! How long browsers may keep what they get. Assets whose name carries a hash
//! of their content (release builds: `parley.<hash>.wasm`) never change under
//! that name: a year, immutable. Every other asset and every page is
//! revalidated each time (`no-cache`: kept, but asked about, and answered
//! `304` when unchanged); pages are `private` as well, since they hold the
//! signed-in person's data.
//!
//! An asset is the same file brotli'd, gzipped or as it is, by the request's
//! `Accept-Encoding`: each says so (`Vary`), so that no cache between hands
//! one encoding to a browser that asked for another. (On-the-fly compression
//! says it by itself; a release's precompressed files are sent as they are.)

use axum::{
    extract::Request,
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";
const PRIVATE_PAGE: &str = "private, no-cache";

pub async fn cache_control(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    if is_asset(&path) && !response.headers().contains_key(header::VARY) {
        response
            .headers_mut()
            .insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if response.headers().contains_key(header::CACHE_CONTROL) {
        return response;
    }
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    let policy = if is_html {
        Some(PRIVATE_PAGE)
    } else if is_asset(&path) {
        Some(if is_hashed(&path) || is_versioned(&path) {
            IMMUTABLE
        } else {
            REVALIDATE
        })
    } else {
        None
    };
    if let Some(policy) = policy {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

/// The site's static files (the API and the socket decide for themselves).
pub(super) fn is_asset(path: &str) -> bool {
    path.starts_with("/pkg/")
        || path.starts_with("/vendor/")
        || path.starts_with("/favicon")
        || path.starts_with("/icons/")
        || path == "/manifest.webmanifest"
}

/// `name.<hash>.ext`: a middle part of at least 8 letters, digits, `-`, `_`.
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() >= 3
        && parts[1..parts.len() - 1].iter().any(|part| {
            part.len() >= 8
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// A vendored file under its version (`/vendor/socket.io-4.8.1.min.js`).
fn is_versioned(path: &str) -> bool {
    path.strip_prefix("/vendor/").is_some_and(|name| {
        name.split('-')
            .skip(1)
            .any(|part| part.starts_with(|c: char| c.is_ascii_digit()) && part.contains('.'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_with_a_content_hash_are_immutable() {
        assert!(is_hashed("/pkg/parley.3f9a1c0b7d2e4f61.wasm"));
        assert!(is_hashed("/pkg/parley.Xk3_9aZ-01bc.css"));
        assert!(!is_hashed("/pkg/parley.wasm"));
        assert!(!is_hashed("/pkg/parley_bg.wasm"));
        assert!(!is_hashed("/vendor/socket.io.min.js"));
        assert!(is_versioned("/vendor/socket.io-4.8.1.min.js"));
        assert!(!is_versioned("/vendor/socket.io.min.js"));
        assert!(is_asset("/vendor/socket.io.min.js") && !is_asset("/api/me"));
    }
}
