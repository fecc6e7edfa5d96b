//! The HTML form posts behind /signup, /login and the sign-out button. They
//! answer with redirects (post/redirect/get), so they work without WebAssembly.

use super::HttpError;
use super::cookie::{cleared_session_cookie, session_cookie};
use crate::{
    auth::{AuthError, session_token},
    state::AppState,
};
use app::protocol::{ApiError, ErrorCode};
use axum::{
    Form,
    extract::State,
    http::HeaderMap,
    response::{IntoResponse, Redirect, Response},
};
use axum_extra::extract::CookieJar;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignupForm {
    username: String,
    password: String,
    #[serde(default)]
    display_name: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
}

pub async fn signup(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<SignupForm>,
) -> Response {
    if !state.origins.permits(&headers) {
        return foreign_origin();
    }
    let result = state
        .auth
        .signup(&form.username, form.password, form.display_name.as_deref())
        .await;
    signed_in_or_back(&state, jar, result, "/signup", &form.username)
}

pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    if !state.origins.permits(&headers) {
        return foreign_origin();
    }
    let result = state.auth.login(&form.username, form.password).await;
    signed_in_or_back(&state, jar, result, "/login", &form.username)
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar) -> Response {
    if !state.origins.permits(&headers) {
        return foreign_origin();
    }
    if let Some(token) = session_token(&headers)
        && let Err(error) = state.auth.logout(&token).await
    {
        tracing::warn!(%error, "logout: session not deleted");
    }
    (
        jar.add(cleared_session_cookie(&state)),
        Redirect::to("/login"),
    )
        .into_response()
}

/// Success: set the cookie and go to the chat list. Failure: back to the form
/// with the error code and the username to refill.
fn signed_in_or_back(
    state: &AppState,
    jar: CookieJar,
    result: Result<crate::auth::SignedIn, AuthError>,
    form_path: &str,
    username: &str,
) -> Response {
    match result {
        Ok(signed_in) => {
            let jar = jar.add(session_cookie(state, signed_in.token.as_str()));
            (jar, Redirect::to("/")).into_response()
        }
        Err(error) => {
            let error = ApiError::from(error);
            let username: String = username.chars().take(64).collect();
            let query = serde_urlencoded::to_string([
                ("error", error.code.as_str()),
                ("username", &username),
            ])
            .unwrap_or_default();
            Redirect::to(&format!("{form_path}?{query}")).into_response()
        }
    }
}

fn foreign_origin() -> Response {
    HttpError(ApiError::new(
        ErrorCode::OriginNotAllowed,
        "this form may only be posted from Parley's own pages",
    ))
    .into_response()
}
