//! The HTML form posts behind /signup, /login and the sign-out button. They
//! answer with redirects (post/redirect/get), so they work without WebAssembly.

use super::HttpError;
use super::api::{password_changed, reset_and_end, sign_out, sign_out_everywhere};
use super::client_addr::ClientAddr;
use super::cookie::{cleared_session_cookie, session_cookie};
use crate::{
    auth::{AuthError, retry_after_secs, session_token},
    state::AppState,
};
use app::protocol::{ApiError, SessionEndReason};
use axum::{
    Form,
    extract::{Path, State},
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
    /// From `/join/<token>`.
    #[serde(default)]
    invitation: Option<String>,
    /// Where to go once signed up (see [`onward`]).
    #[serde(default)]
    next: Option<String>,
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    /// Where to go once signed in (see [`onward`]).
    #[serde(default)]
    next: Option<String>,
}

/// Where a form goes on to after signing in or up: the page it was asked
/// for if that is one a person may be sent to (a group's invite link),
/// else the chat list. Anything else is dropped, never followed.
fn onward(next: Option<&str>) -> Next {
    Next(next.and_then(app::ui::onward))
}

/// A page to go on to, checked; carried back to the form on a failure.
struct Next(Option<String>);

impl Next {
    fn after_success(&self) -> &str {
        self.0.as_deref().unwrap_or("/")
    }
}

pub async fn signup(
    State(state): State<AppState>,
    ClientAddr(from): ClientAddr,
    jar: CookieJar,
    Form(form): Form<SignupForm>,
) -> Response {
    let result = state
        .auth
        .signup(
            &form.username,
            form.password,
            form.display_name.as_deref(),
            form.invitation.as_deref(),
            from,
        )
        .await;
    // Back to the page the form was on: the invitation's, or /signup.
    let form_path = match form.invitation.as_deref().filter(|token| !token.is_empty()) {
        // (Tokens are URL-safe base64: anything else is dropped, not echoed.)
        Some(token) => format!("/join/{}", url_safe(token)),
        None => "/signup".to_owned(),
    };
    let next = onward(form.next.as_deref());
    signed_in_or_back(&state, jar, result, &form_path, &form.username, &next)
}

/// The characters of `token` a URL-safe base64 token has, at most 64.
fn url_safe(token: &str) -> String {
    token
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .take(64)
        .collect()
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(from): ClientAddr,
    jar: CookieJar,
    Form(form): Form<LoginForm>,
) -> Response {
    let result = state.auth.login(&form.username, form.password, from).await;
    let next = onward(form.next.as_deref());
    signed_in_or_back(&state, jar, result, "/login", &form.username, &next)
}

/// Signs this browser out: the session and its sockets (other tabs go to the
/// sign-in page) end.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap, jar: CookieJar) -> Response {
    if let Some(token) = session_token(&headers)
        && let Err(failed) = sign_out(&state, &token).await
    {
        // The cookie goes anyway; the session expires by itself.
        tracing::warn!(cause = ?failed.error.cause, "sign-out: session not ended");
    }
    signed_out(&state, jar, SessionEndReason::SignedOut)
}

/// "Sign out everywhere": every session and socket of the user ends.
pub async fn logout_all(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Response {
    let user = match session_token(&headers) {
        Some(token) => state.auth.authenticate(&token).await.ok(),
        None => None,
    };
    if let Some(user) = user
        && let Err(failed) = sign_out_everywhere(&state, &user).await
    {
        tracing::warn!(cause = ?failed.error.cause, "sign-out everywhere: sessions not ended");
    }
    signed_out(&state, jar, SessionEndReason::SignedOutEverywhere)
}

fn signed_out(state: &AppState, jar: CookieJar, reason: SessionEndReason) -> Response {
    (
        jar.add(cleared_session_cookie(state)),
        Redirect::to(&format!("/login?ended={}", reason.as_str())),
    )
        .into_response()
}

/// Success: set the cookie and go on (the chat list, or the page asked for).
/// Failure: back to the form with the error code and the username to refill.
fn signed_in_or_back(
    state: &AppState,
    jar: CookieJar,
    result: Result<crate::auth::SignedIn, AuthError>,
    form_path: &str,
    username: &str,
    next: &Next,
) -> Response {
    match result {
        Ok(signed_in) => {
            let jar = jar.add(session_cookie(state, signed_in.token.as_str()));
            (jar, Redirect::to(next.after_success())).into_response()
        }
        Err(error) => back_with(form_path, error, Some(username), next.0.as_deref()),
    }
}

/// Back to the form at `form_path` with `?error=<code>` (and `retry=<seconds>`
/// when throttled, `username` to refill and `next` to go on to when given).
fn back_with(
    form_path: &str,
    error: AuthError,
    username: Option<&str>,
    next: Option<&str>,
) -> Response {
    let retry = match &error {
        AuthError::Throttled { retry_after } => retry_after_secs(*retry_after).to_string(),
        _ => String::new(),
    };
    let error = HttpError::from(error);
    let username: Option<String> = username.map(|name| name.chars().take(64).collect());
    let mut query = vec![("error", error.error.code.as_str())];
    if let Some(username) = &username {
        query.push(("username", username));
    }
    if !retry.is_empty() {
        query.push(("retry", &retry));
    }
    if let Some(next) = next {
        query.push(("next", next));
    }
    let query = serde_urlencoded::to_string(query).unwrap_or_default();
    Redirect::to(&format!("{form_path}?{query}")).into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetForm {
    new_password: String,
}

/// `/reset/:token`'s form: the new password is set and every session of
/// the person ends; they sign in with it.
pub async fn reset_password(
    State(state): State<AppState>,
    Path(token): Path<String>,
    Form(form): Form<ResetForm>,
) -> Response {
    match reset_and_end(&state, &token, form.new_password).await {
        Ok(()) => Redirect::to("/login?reset=1").into_response(),
        Err(error) => back_with(&format!("/reset/{}", url_safe(&token)), error, None, None),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

/// The account page's "change password": the other sessions end (their tabs
/// go to the sign-in page); this one stays.
pub async fn change_password(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<PasswordForm>,
) -> Response {
    let (user, token) = match signed_in_poster(&state, &headers).await {
        Ok(signed_in) => signed_in,
        Err(refused) => return refused,
    };
    let changed = state
        .auth
        .change_password(&user, &token, form.current_password, form.new_password)
        .await;
    match changed {
        Ok(ended) => {
            password_changed(&state, ended).await;
            Redirect::to("/account?changed=1").into_response()
        }
        Err(error) => back_with("/account", error, None, None),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProfileForm {
    display_name: String,
}

/// The settings page's "display name".
pub async fn change_display_name(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ProfileForm>,
) -> Response {
    let (user, _) = match signed_in_poster(&state, &headers).await {
        Ok(signed_in) => signed_in,
        Err(refused) => return refused,
    };
    let Ok(name) = app::model::DisplayName::parse(&form.display_name) else {
        return Redirect::to("/account?error=invalid_display_name").into_response();
    };
    match state.store.set_display_name(user.id, &name).await {
        Ok(()) => Redirect::to("/account?renamed=1").into_response(),
        Err(error) => HttpError::from(ApiError::from(error)).into_response(),
    }
}

/// Who posted a settings form, signed in (the origin was checked for every
/// post: `refuse_foreign_writes`); else off to sign in.
async fn signed_in_poster(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<(app::model::User, crate::auth::SessionToken), Response> {
    let Some(token) = session_token(headers) else {
        return Err(Redirect::to("/login").into_response());
    };
    match state.auth.authenticate(&token).await {
        Ok(user) => Ok((user, token)),
        Err(_) => Err(Redirect::to("/login").into_response()),
    }
}
