//! The JSON API for non-browser clients (bots, tests, the benchmark).

use super::{ApiJson, HttpError, client_addr::ClientAddr};
use crate::{
    auth::{SignedIn, session_token},
    http::Authenticated,
    realtime::Sessions,
    state::AppState,
};
use app::{
    model::{DisplayName, User},
    protocol::{
        ApiError, AuthReply, ChangePasswordRequest, LoginRequest, Me, ResetPasswordRequest,
        SessionEndReason, SignupRequest, UpdateProfileRequest,
    },
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
    ClientAddr(from): ClientAddr,
    ApiJson(request): ApiJson<SignupRequest>,
) -> Result<(StatusCode, Json<AuthReply>), HttpError> {
    let signed_in = state
        .auth
        .signup(
            &request.username,
            request.password,
            request.display_name.as_deref(),
            request.invitation.as_deref(),
            from,
        )
        .await?;
    Ok((StatusCode::CREATED, reply(signed_in)))
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(from): ClientAddr,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Json<AuthReply>, HttpError> {
    let signed_in = state
        .auth
        .login(&request.username, request.password, from)
        .await?;
    Ok(reply(signed_in))
}

/// Ends the session the request carries, and its sockets. Idempotent: no
/// session, still 204.
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<StatusCode, HttpError> {
    if let Some(token) = session_token(&headers) {
        sign_out(&state, &token).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every session of the user, and every socket of theirs, on every node.
pub async fn logout_all(
    State(state): State<AppState>,
    Authenticated { user, .. }: Authenticated,
) -> Result<StatusCode, HttpError> {
    sign_out_everywhere(&state, &user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Changes the password; every other session of the user ends.
pub async fn change_password(
    State(state): State<AppState>,
    Authenticated { user, token }: Authenticated,
    ApiJson(request): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, HttpError> {
    let ended = state
        .auth
        .change_password(
            &user,
            &token,
            request.current_password,
            request.new_password,
        )
        .await?;
    password_changed(&state, ended).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Ends the sockets of the sessions a password change ended.
pub async fn password_changed(state: &AppState, ended: Vec<String>) {
    state
        .sockets
        .end(Sessions::Tokens(ended), SessionEndReason::PasswordChanged)
        .await;
}

/// Sets a new password through a one-time reset link.
pub async fn reset_password(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<ResetPasswordRequest>,
) -> Result<StatusCode, HttpError> {
    reset_and_end(&state, &request.token, request.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets the password a reset link is for, and ends that person's sessions'
/// sockets (the sessions ended with the reset).
pub async fn reset_and_end(
    state: &AppState,
    token: &str,
    new_password: String,
) -> Result<(), crate::auth::AuthError> {
    let user = state.auth.reset_password(token, new_password).await?;
    state
        .sockets
        .end(Sessions::OfUser(user), SessionEndReason::PasswordChanged)
        .await;
    Ok(())
}

pub async fn me(Authenticated { user, .. }: Authenticated) -> Json<Me> {
    Json(user.into())
}

/// Changes the display name; the user as they now are.
pub async fn update_me(
    State(state): State<AppState>,
    Authenticated { mut user, .. }: Authenticated,
    ApiJson(request): ApiJson<UpdateProfileRequest>,
) -> Result<Json<Me>, HttpError> {
    let name = DisplayName::parse(&request.display_name).map_err(ApiError::from)?;
    state
        .store
        .set_display_name(user.id, &name)
        .await
        .map_err(ApiError::from)?;
    user.display_name = name.as_str().to_owned();
    Ok(Json(user.into()))
}

/// Ends one session and its sockets (the page's form and the API alike).
pub async fn sign_out(
    state: &AppState,
    token: &crate::auth::SessionToken,
) -> Result<(), HttpError> {
    let ended = state.auth.logout(token).await?;
    state
        .sockets
        .end(Sessions::Tokens(vec![ended]), SessionEndReason::SignedOut)
        .await;
    Ok(())
}

/// Ends every session of `user` and their sockets.
pub async fn sign_out_everywhere(state: &AppState, user: &User) -> Result<(), HttpError> {
    state.auth.logout_everywhere(user.id).await?;
    state
        .sockets
        .end(
            Sessions::OfUser(user.id),
            SessionEndReason::SignedOutEverywhere,
        )
        .await;
    Ok(())
}
