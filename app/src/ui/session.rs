//! Who is looking at the page. The server resolves the session cookie once per
//! request (see the server's `auth::middleware`) and leaves the answer in the
//! request's extensions as a [`Viewer`]; pages read it through [`current_user`].

use crate::model::User;
use leptos::prelude::*;

/// The signed-in person of this request, if any. Server only.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, Default)]
pub struct Viewer(pub Option<User>);

/// The Content-Security-Policy nonce the server chose for this response (it
/// puts the same one in the header). Server only.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug)]
pub struct CspNonce(pub String);

/// Renders this response's inline scripts with the server's nonce (which
/// `leptos_axum` would otherwise pick by itself, unknown to the header).
#[cfg(feature = "ssr")]
pub fn adopt_csp_nonce() {
    let nonce = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned());
    if let Some(CspNonce(nonce)) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(nonce));
    }
}

/// The signed-in person, or `None`.
#[server]
pub async fn current_user() -> Result<Option<User>, ServerFnError> {
    let parts: http::request::Parts =
        use_context().ok_or_else(|| ServerFnError::new("no request in context"))?;
    Ok(parts
        .extensions
        .get::<Viewer>()
        .and_then(|viewer| viewer.0.clone()))
}
