//! Profile and group photos over HTTP. `POST /api/me/photo` and
//! `POST /api/chats/:chatId/photo` take the raw bytes (the group's: its
//! admins, asked before anything is decoded), counted with uploads, one of
//! the person's upload turns; `DELETE` takes a photo away. A replaced
//! photo's files go. `GET /api/users/:id/photos/:version` and
//! `GET /api/chats/:id/photos/:version` serve one to those who may see it
//! (`Store::user_photo_for`, `Store::chat_photo_for`), anyone else and any
//! other version 404, cached for good (the version names the bytes).

use super::{
    HttpError,
    attachments::{
        Ranged, SERVED_CSP, UPLOAD_DEADLINE, body_of, if_none_match, refuse_if_too_many,
    },
};
use crate::{http::Authenticated, state::AppState, store::PhotoOf};
use app::{
    model::{ChatId, UserId},
    protocol::{ApiError, ErrorCode, PhotoSet},
};
use axum::{
    Json,
    body::Body,
    extract::{Path, Query, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;

pub async fn set_mine(
    State(state): State<AppState>,
    Authenticated { user, .. }: Authenticated,
    body: Body,
) -> Result<Json<PhotoSet>, HttpError> {
    let owner = PhotoOf::User(user.id);
    let version = receive(&state, user.id, owner, body).await?;
    let replaced = state.store.set_user_photo(user.id, Some(&version)).await;
    settle(&state, owner, &version, replaced).await
}

pub async fn remove_mine(
    State(state): State<AppState>,
    Authenticated { user, .. }: Authenticated,
) -> Result<StatusCode, HttpError> {
    let replaced = state
        .store
        .set_user_photo(user.id, None)
        .await
        .map_err(ApiError::from)?;
    forget(&state, PhotoOf::User(user.id), replaced).await;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn set_group(
    State(state): State<AppState>,
    Authenticated { user, .. }: Authenticated,
    Path(chat_id): Path<String>,
    body: Body,
) -> Result<Json<PhotoSet>, HttpError> {
    let chat_id = parse_chat(&chat_id)?;
    state
        .store
        .check_group_admin(chat_id, user.id)
        .await
        .map_err(ApiError::from)?;
    let owner = PhotoOf::Chat(chat_id);
    let version = receive(&state, user.id, owner, body).await?;
    let before = state.store.chat_photo(chat_id).await;
    let changed = state
        .groups
        .set_photo(user.id, chat_id, Some(&version))
        .await;
    let replaced = match (changed, before) {
        (Ok(_), Ok(before)) => Ok(before.filter(|before| *before != version)),
        (Ok(_), Err(error)) => Err(error),
        (Err(error), _) => {
            state.media.delete(owner.keys(&version)).await;
            return Err(error.into());
        }
    };
    settle(&state, owner, &version, replaced).await
}

pub async fn remove_group(
    State(state): State<AppState>,
    Authenticated { user, .. }: Authenticated,
    Path(chat_id): Path<String>,
) -> Result<StatusCode, HttpError> {
    let chat_id = parse_chat(&chat_id)?;
    let before = state
        .store
        .chat_photo(chat_id)
        .await
        .map_err(ApiError::from)?;
    state.groups.set_photo(user.id, chat_id, None).await?;
    forget(&state, PhotoOf::Chat(chat_id), before).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The photo's bytes received and stored (within the upload allowance, in
/// one of the person's turns, before the deadline); its version.
async fn receive(
    state: &AppState,
    uploader: UserId,
    owner: PhotoOf,
    body: Body,
) -> Result<String, HttpError> {
    refuse_if_too_many(state, &uploader.to_string()).await?;
    let media = &state.media;
    let received = tokio::time::timeout(UPLOAD_DEADLINE, async {
        let _turn = media.turn(uploader).await;
        let _receiving = state.metrics.upload_receiving();
        media.receive_photo(owner, body.into_data_stream()).await
    })
    .await
    .map_err(|_| ApiError::new(ErrorCode::BadRequest, "the upload took too long"))?;
    Ok(received.map_err(ApiError::from)?)
}

/// The answer once the new version is the owner's: where it is served; the
/// version it `replaced` goes. When it could not be stored, its files go.
async fn settle(
    state: &AppState,
    owner: PhotoOf,
    version: &str,
    replaced: Result<Option<String>, crate::store::StoreError>,
) -> Result<Json<PhotoSet>, HttpError> {
    match replaced {
        Ok(replaced) => {
            forget(state, owner, replaced).await;
            Ok(Json(PhotoSet {
                photo_url: owner.url(version),
            }))
        }
        Err(error) => {
            state.media.delete(owner.keys(version)).await;
            Err(ApiError::from(error).into())
        }
    }
}

/// Deletes the files of a version no longer in use.
async fn forget(state: &AppState, owner: PhotoOf, version: Option<String>) {
    if let Some(version) = version {
        state.media.delete(owner.keys(&version)).await;
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct Served {
    /// `small` for the small size.
    #[serde(default)]
    size: Option<String>,
    /// An invite link's token: its holder may see the group's photo.
    #[serde(default)]
    invite: Option<String>,
}

pub async fn user_photo(
    State(state): State<AppState>,
    Authenticated { user, .. }: Authenticated,
    Path((owner, version)): Path<(String, String)>,
    Query(asked): Query<Served>,
    headers: axum::http::HeaderMap,
) -> Result<Response, HttpError> {
    let owner: UserId = owner.parse().map_err(|_| not_found())?;
    let current = state
        .store
        .user_photo_for(owner, user.id)
        .await
        .map_err(ApiError::from)?;
    serve(
        &state,
        PhotoOf::User(owner),
        current,
        &version,
        &asked,
        &headers,
    )
    .await
}

pub async fn chat_photo(
    State(state): State<AppState>,
    Authenticated { user, .. }: Authenticated,
    Path((chat_id, version)): Path<(String, String)>,
    Query(asked): Query<Served>,
    headers: axum::http::HeaderMap,
) -> Result<Response, HttpError> {
    let chat_id: ChatId = chat_id.parse().map_err(|_| not_found())?;
    let current = state
        .store
        .chat_photo_for(chat_id, user.id, asked.invite.as_deref())
        .await
        .map_err(ApiError::from)?;
    serve(
        &state,
        PhotoOf::Chat(chat_id),
        current,
        &version,
        &asked,
        &headers,
    )
    .await
}

/// The asked size of `version`, when it is the `current` one the reader may
/// see; else 404 (whatever the reason, so nothing is learnt from it).
async fn serve(
    state: &AppState,
    owner: PhotoOf,
    current: Option<String>,
    version: &str,
    asked: &Served,
    headers: &axum::http::HeaderMap,
) -> Result<Response, HttpError> {
    if current.as_deref() != Some(version) {
        return Err(not_found());
    }
    let small = asked.size.as_deref() == Some("small");
    let [large_key, small_key] = owner.keys(version);
    let (key, etag) = if small {
        (small_key, format!("\"{version}-small\""))
    } else {
        (large_key, format!("\"{version}\""))
    };
    let mut response = if if_none_match(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body_of(state, &key, Ranged::Whole, None).await?
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::ETAG, etag.as_str()),
        (header::CONTENT_TYPE, "image/jpeg"),
        (
            header::CACHE_CONTROL,
            "private, max-age=31536000, immutable",
        ),
        (header::CONTENT_SECURITY_POLICY, SERVED_CSP),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
    Ok(response)
}

fn parse_chat(raw: &str) -> Result<ChatId, HttpError> {
    raw.parse()
        .map_err(|_| HttpError::from(ApiError::new(ErrorCode::NotFound, "no such chat")))
}

fn not_found() -> HttpError {
    ApiError::new(ErrorCode::NotFound, "no such photo").into()
}
