//! The JSON API for non-browser clients (bots, tests, the benchmark).

use super::{ApiJson, HttpError};
use crate::{
    auth::{Authenticated, SignedIn, session_token},
    state::AppState,
};
use app::{
    model::User,
    protocol::{AuthReply, LoginRequest, SignupRequest},
};
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
};

fn reply(signed_in: SignedIn) -> Json<AuthReply> {
    Json(AuthReply {
        token: signed_in.token.as_str().to_owned(),
        user: signed_in.user,
    })
}

pub async fn signup(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<SignupRequest>,
) -> Result<(StatusCode, Json<AuthReply>), HttpError> {
    let signed_in = state
        .auth
        .signup(
            &request.username,
            request.password,
            request.display_name.as_deref(),
        )
        .await?;
    Ok((StatusCode::CREATED, reply(signed_in)))
}

pub async fn login(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Json<AuthReply>, HttpError> {
    let signed_in = state
        .auth
        .login(&request.username, request.password)
        .await?;
    Ok(reply(signed_in))
}

/// Ends the session the request carries. Idempotent: no session, still 204.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<StatusCode, HttpError> {
    if let Some(token) = session_token(&headers) {
        state.auth.logout(&token).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

pub async fn me(Authenticated { user, .. }: Authenticated) -> Json<User> {
    Json(user)
}
