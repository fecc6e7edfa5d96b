//! Who is looking at the page. The server resolves the session cookie once per
//! request (see the server's `auth::middleware`) and leaves the answer in the
//! request's extensions as a [`Viewer`]; pages read it through [`current_user`].

use crate::model::User;
use leptos::prelude::*;

/// The signed-in person of this request, if any. Server only.
#[cfg(feature = "ssr")]
#[derive(Clone, Debug, Default)]
pub struct Viewer(pub Option<User>);

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
