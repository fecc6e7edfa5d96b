//! Web Push subscriptions (see `push/`): the key a page subscribes with, and
//! a device subscribed or unsubscribed under the session that asks.

use super::{ApiJson, Authenticated, HttpError};
use crate::{push::check_subscription, state::AppState, store::NewSubscription};
use app::protocol::{PushKey, PushSubscription, PushUnsubscribe};
use axum::{Json, extract::State, http::StatusCode};

/// `GET /api/push/key`: the instance's VAPID public key.
pub async fn key(State(state): State<AppState>) -> Json<PushKey> {
    Json(PushKey {
        public_key: state.push.vapid.public_key().to_owned(),
    })
}

/// `POST /api/push/subscriptions`: this device is told of messages while
/// Parley is closed, until the session ends or it unsubscribes.
pub async fn subscribe(
    State(state): State<AppState>,
    Authenticated { user, token }: Authenticated,
    ApiJson(subscription): ApiJson<PushSubscription>,
) -> Result<StatusCode, HttpError> {
    check_subscription(&subscription, state.push.config.allow_http_loopback)?;
    let session_hash = token.hash();
    state
        .store
        .subscribe(NewSubscription {
            user_id: user.id,
            session_hash: &session_hash,
            endpoint: &subscription.endpoint,
            p256dh: &subscription.keys.p256dh,
            auth: &subscription.keys.auth,
        })
        .await?;
    Ok(StatusCode::CREATED)
}

/// `DELETE /api/push/subscriptions`: this device is told no more.
pub async fn unsubscribe(
    State(state): State<AppState>,
    Authenticated { user, .. }: Authenticated,
    ApiJson(request): ApiJson<PushUnsubscribe>,
) -> Result<StatusCode, HttpError> {
    state.store.unsubscribe(user.id, &request.endpoint).await?;
    Ok(StatusCode::NO_CONTENT)
}
