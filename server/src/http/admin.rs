//! The instance admins' JSON API (docs/PROTOCOL.md, "Instance admins"):
//! every route takes an [`AdminOnly`], so a request from anyone else is
//! refused (403 `not_admin`) before it is read.

use super::{ApiJson, HttpError, viewer::AdminOnly};
use crate::{
    admin::{Actor, AdminError},
    realtime::Sessions,
    state::AppState,
};
use app::{
    model::UserId,
    protocol::{
        AdminUsersPage, AuditPage, InstanceFigures, InvitationCreated, Invitations, NewInvitation,
        ResetLink, SessionEndReason, SetAdminRequest, SignupSetting,
    },
};
use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
};
use serde::Deserialize;

/// A user id from the path; one that is not an id names nobody.
pub fn user_id(raw: &str) -> Result<UserId, HttpError> {
    raw.parse::<UserId>()
        .map_err(|_| HttpError::from(AdminError::NoSuchUser))
}

#[derive(Debug, Default, Deserialize)]
pub struct UsersQuery {
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    before: Option<String>,
}

pub async fn users(
    State(state): State<AppState>,
    _: AdminOnly,
    Query(asked): Query<UsersQuery>,
) -> Result<Json<AdminUsersPage>, HttpError> {
    Ok(Json(
        state
            .admin
            .users(asked.query.as_deref(), asked.before.as_deref())
            .await?,
    ))
}

pub async fn deactivate(
    State(state): State<AppState>,
    AdminOnly(me): AdminOnly,
    Path(user): Path<String>,
) -> Result<StatusCode, HttpError> {
    deactivate_and_end(&state, Actor::Admin(&me), user_id(&user)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Deactivates `user` and ends their sockets on every node at once (the
/// page's form and the API alike).
pub async fn deactivate_and_end(
    state: &AppState,
    by: Actor<'_>,
    user: UserId,
) -> Result<(), HttpError> {
    state.admin.deactivate(by, user).await?;
    state
        .sockets
        .end(Sessions::OfUser(user), SessionEndReason::Deactivated)
        .await;
    Ok(())
}

pub async fn reactivate(
    State(state): State<AppState>,
    AdminOnly(me): AdminOnly,
    Path(user): Path<String>,
) -> Result<StatusCode, HttpError> {
    state
        .admin
        .reactivate(Actor::Admin(&me), user_id(&user)?)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn set_admin(
    State(state): State<AppState>,
    AdminOnly(me): AdminOnly,
    Path(user): Path<String>,
    ApiJson(request): ApiJson<SetAdminRequest>,
) -> Result<StatusCode, HttpError> {
    state
        .admin
        .set_admin(Actor::Admin(&me), user_id(&user)?, request.admin)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn reset_link(
    State(state): State<AppState>,
    AdminOnly(me): AdminOnly,
    Path(user): Path<String>,
) -> Result<Json<ResetLink>, HttpError> {
    let user = user_id(&user)?;
    Ok(Json(state.admin.reset_link(Actor::Admin(&me), user).await?))
}

pub async fn signup(
    State(state): State<AppState>,
    _: AdminOnly,
) -> Result<Json<SignupSetting>, HttpError> {
    let mode = state.admin.signup_mode().await?;
    Ok(Json(SignupSetting { mode }))
}

pub async fn set_signup(
    State(state): State<AppState>,
    AdminOnly(me): AdminOnly,
    ApiJson(request): ApiJson<SignupSetting>,
) -> Result<Json<SignupSetting>, HttpError> {
    state
        .admin
        .set_signup_mode(Actor::Admin(&me), request.mode)
        .await?;
    Ok(Json(request))
}

pub async fn invitations(
    State(state): State<AppState>,
    _: AdminOnly,
) -> Result<Json<Invitations>, HttpError> {
    Ok(Json(state.admin.invitations().await?))
}

pub async fn invite(
    State(state): State<AppState>,
    AdminOnly(me): AdminOnly,
    ApiJson(request): ApiJson<NewInvitation>,
) -> Result<(StatusCode, Json<InvitationCreated>), HttpError> {
    let created = state.admin.invite(Actor::Admin(&me), request).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

pub async fn revoke(
    State(state): State<AppState>,
    AdminOnly(me): AdminOnly,
    Path(token): Path<String>,
) -> Result<StatusCode, HttpError> {
    state.admin.revoke(Actor::Admin(&me), &token).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    #[serde(default)]
    before: Option<String>,
}

pub async fn audit(
    State(state): State<AppState>,
    _: AdminOnly,
    Query(asked): Query<AuditQuery>,
) -> Result<Json<AuditPage>, HttpError> {
    Ok(Json(
        state.admin.audit_trail(asked.before.as_deref()).await?,
    ))
}

pub async fn figures(
    State(state): State<AppState>,
    _: AdminOnly,
) -> Result<Json<InstanceFigures>, HttpError> {
    let sockets = state.sockets.connected().await;
    Ok(Json(state.admin.figures(sockets).await?))
}
