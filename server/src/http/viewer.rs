//! Who is making an HTTP request: [`Authenticated`] for the API (401 for
//! strangers), [`resolve_viewer`] for the pages (strangers are "nobody").

use crate::{
    auth::{AuthError, session_token},
    http::HttpError,
    state::AppState,
};
use app::{model::User, ui::Viewer};
use axum::{
    extract::{FromRequestParts, Request, State},
    http::{Method, request::Parts},
    middleware::Next,
    response::{IntoResponse, Redirect, Response},
};

/// A request from a signed-in user; refuses with 401 otherwise.
pub struct Authenticated {
    pub user: User,
    pub token: crate::auth::SessionToken,
}

impl FromRequestParts<AppState> for Authenticated {
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = session_token(&parts.headers).ok_or(AuthError::Unauthorized)?;
        let user = state.auth.authenticate(&token).await?;
        Ok(Self { user, token })
    }
}

/// A request from a signed-in instance admin: the one place the admin
/// routes (JSON and the Admin page's forms) are guarded. Anyone else
/// signed in is refused with 403 `not_admin`; strangers with 401.
pub struct AdminOnly(pub User);

impl FromRequestParts<AppState> for AdminOnly {
    type Rejection = HttpError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Authenticated { user, .. } = Authenticated::from_request_parts(parts, state).await?;
        if !user.admin {
            return Err(crate::refusals::not_admin().into());
        }
        Ok(Self(user))
    }
}

/// Middleware for the pages: resolves the viewer once and leaves it in the
/// request's extensions for the Leptos components (see `app::ui::current_user`).
/// A broken or expired session is simply "nobody signed in". Pages that need a
/// signed-in person send strangers to /login, and the sign-in pages send a
/// signed-in person home.
pub async fn resolve_viewer(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    // A file of the site is the same for everyone: no session look-up for
    // it (a browser sends the cookie with each of a page's twenty files).
    if super::caching::is_asset(request.uri().path()) {
        return next.run(request).await;
    }
    let viewer = match session_token(request.headers()) {
        Some(token) => state.auth.authenticate(&token).await.ok(),
        None => None,
    };
    if request.method() == Method::GET
        && let Some(target) = page_redirect(request.uri().path(), viewer.is_some())
    {
        return Redirect::to(target).into_response();
    }
    let from = super::client_addr(
        request.headers(),
        request.extensions(),
        state.settings.trust_forwarded_for,
    );
    request.extensions_mut().insert(app::ui::RequestFrom(from));
    request.extensions_mut().insert(Viewer(viewer));
    request.extensions_mut().insert(state.chats.clone());
    request.extensions_mut().insert(state.instance.clone());
    next.run(request).await
}

fn page_redirect(path: &str, signed_in: bool) -> Option<&'static str> {
    let private = path == "/"
        || path.starts_with("/chats/")
        || path == "/account"
        || path == "/settings"
        || path == "/admin";
    let sign_in_page = path == "/login" || path == "/signup" || path.starts_with("/join/");
    match (signed_in, private, sign_in_page) {
        (false, true, _) => Some("/login"),
        (true, _, true) => Some("/"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::page_redirect;

    #[test]
    fn strangers_go_to_login_and_members_go_home() {
        assert_eq!(page_redirect("/", false), Some("/login"));
        assert_eq!(page_redirect("/chats/abc", false), Some("/login"));
        assert_eq!(page_redirect("/account", false), Some("/login"));
        assert_eq!(page_redirect("/admin", false), Some("/login"));
        assert_eq!(page_redirect("/join/abc", true), Some("/"));
        assert_eq!(page_redirect("/reset/abc", true), None);
        assert_eq!(page_redirect("/login", true), Some("/"));
        assert_eq!(page_redirect("/signup", true), Some("/"));
        assert_eq!(page_redirect("/login", false), None);
        assert_eq!(page_redirect("/", true), None);
        assert_eq!(page_redirect("/pkg/parley.css", false), None);
    }
}
