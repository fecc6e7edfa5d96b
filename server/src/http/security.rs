//! Security headers on every response, and the one guard on every request
//! that changes something ([`refuse_foreign_writes`]). Pages get a Content-Security-Policy
//! with a fresh nonce per response: the page's one inline script (Leptos'
//! hydration) carries it, and nothing else inline may run. WebAssembly needs
//! `'wasm-unsafe-eval'`; the socket connects to this same origin.

use super::HttpError;
use crate::auth::OriginPolicy;
use app::protocol::{ApiError, ErrorCode};
use app::ui::CspNonce;
use axum::{
    extract::{Request, State},
    http::{HeaderName, HeaderValue, Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use rand::RngCore;
use std::sync::Arc;

/// What the policy allows beyond this origin (in development, the live-reload
/// socket of `cargo leptos watch`).
#[derive(Clone, Debug, Default)]
pub struct Policy {
    extra_connect: Arc<str>,
}

impl Policy {
    /// Adds `ws://host:port` for cargo-leptos' live reload when it is watching.
    pub fn new(site_addr: std::net::SocketAddr, reload_port: u32) -> Self {
        let watching = std::env::var_os("LEPTOS_WATCH").is_some();
        let extra_connect = if watching {
            format!(" ws://{}:{reload_port}", site_addr.ip())
        } else {
            String::new()
        };
        Self {
            extra_connect: extra_connect.into(),
        }
    }

    fn header(&self, nonce: &str) -> Option<HeaderValue> {
        HeaderValue::from_str(&format!(
            "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
             style-src 'self'; img-src 'self' data:; connect-src 'self'{}; \
             worker-src 'self'; manifest-src 'self'; \
             object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            self.extra_connect
        ))
        .ok()
    }
}

fn fresh_nonce() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    STANDARD.encode(bytes)
}

pub async fn security_headers(
    State(policy): State<Policy>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = fresh_nonce();
    // The page shell renders its scripts with this nonce (see app::ui::shell).
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if let Some(csp) = policy.header(&nonce) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    let fixed: [(HeaderName, &str); 3] = [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
}

/// A request that changes something (any method but GET, HEAD and OPTIONS) is
/// taken only from Parley's own pages or an allowed origin (`--allowed-origins`):
/// a page elsewhere cannot act with someone's cookie (sign them out, post a
/// form, upload into their chats). One layer over every route, the JSON API
/// and the forms alike, so a new route cannot forget it. A request with no
/// `Origin` passes: browsers send one with every cross-origin request, and
/// bots and other programs hold their own token.
pub async fn refuse_foreign_writes(
    State(origins): State<OriginPolicy>,
    request: Request,
    next: Next,
) -> Response {
    let reads = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if reads || origins.permits(request.headers()) {
        return next.run(request).await;
    }
    HttpError::from(ApiError::new(
        ErrorCode::OriginNotAllowed,
        "only Parley's own pages may change anything here",
    ))
    .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_run_only_from_here_or_with_the_nonce() {
        let csp = Policy::default().header("abc").unwrap();
        let csp = csp.to_str().unwrap();
        assert!(csp.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval';"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline"));
    }

    #[test]
    fn nonces_differ() {
        assert_ne!(fresh_nonce(), fresh_nonce());
        assert_eq!(STANDARD.decode(fresh_nonce()).unwrap().len(), 16);
    }
}
