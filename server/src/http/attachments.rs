//! Photos and files over HTTP: `POST /api/chats/:chatId/attachments` takes
//! the raw bytes (members only, rate-limited per person, capped, sniffed);
//! `GET /api/attachments/:id[/thumbnail]` serves them back to those who may
//! read them (anyone else: 404), with ranges, an `ETag`, and headers that
//! keep a browser from running anything in them.

use super::HttpError;
use crate::{http::Authenticated, media::Received, state::AppState, store::NewAttachment};
use app::{
    media::{Attachment, clean_name},
    model::{AttachmentId, ChatId},
    protocol::{ApiError, ErrorCode},
};
use axum::{
    Json,
    body::Body,
    extract::{Path, RawQuery, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::Utc;
use object_store::GetRange;
use uuid::Uuid;

/// The longest an upload may take: 25 MB at 0.5 Mbit/s, with room to spare.
pub(super) const UPLOAD_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// Nothing in what is served may run: no scripts, no plugins, no frames;
/// a sandbox besides.
pub(super) const SERVED_CSP: &str = "default-src 'none'; img-src 'self'; media-src 'self'; \
                          style-src 'unsafe-inline'; sandbox";

pub async fn upload(
    State(state): State<AppState>,
    Authenticated { user, .. }: Authenticated,
    Path(chat_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<Attachment>), HttpError> {
    let chat_id: ChatId = chat_id.parse().map_err(|_| not_found())?;
    if state.store.membership(chat_id, user.id).await?.is_none() {
        return Err(ApiError::new(ErrorCode::NotMember, "you are not in this chat").into());
    }
    refuse_if_too_many(&state, &user.id.to_string()).await?;
    let media = &state.media;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > media.max_bytes()) {
        return Err(ApiError::from(crate::media::MediaError::TooLarge(media.max_bytes())).into());
    }
    let id = AttachmentId(Uuid::now_v7());
    // A deadline, so a client trickling bytes cannot hold a turn for ever.
    let received = tokio::time::timeout(UPLOAD_DEADLINE, async {
        let _turn = media.turn(user.id).await;
        let _receiving = state.metrics.upload_receiving();
        let quota = state.settings.unsent_upload_bytes();
        let unsent = state.store.unsent_bytes(user.id).await?;
        if unsent + declared.unwrap_or(0) > quota {
            return Err(over_quota(quota));
        }
        let received = media.receive(id, body.into_data_stream()).await?;
        // Others of theirs may have landed meanwhile.
        if state.store.unsent_bytes(user.id).await? + received.size > quota {
            media.delete(received.keys()).await;
            return Err(over_quota(quota));
        }
        Ok(received)
    })
    .await
    .map_err(|_| ApiError::new(ErrorCode::BadRequest, "the upload took too long"))??;
    let name = clean_name(&file_name(query.as_deref()));
    let added = state
        .store
        .add_attachment(new_attachment(id, chat_id, user.id, &name, &received))
        .await;
    match added {
        Ok(attachment) => Ok((StatusCode::CREATED, Json(attachment))),
        Err(error) => {
            media.delete(received.keys()).await;
            Err(error.into())
        }
    }
}

/// A person's unsent uploads would pass `quota` bytes.
fn over_quota(quota: u64) -> ApiError {
    ApiError::new(
        ErrorCode::TooLarge,
        format!(
            "your unsent uploads would pass {} MB; send or remove some first",
            quota / 1_000_000
        ),
    )
}

fn new_attachment<'a>(
    id: AttachmentId,
    chat_id: ChatId,
    uploader_id: app::model::UserId,
    name: &'a str,
    received: &'a Received,
) -> NewAttachment<'a> {
    NewAttachment {
        id,
        chat_id,
        uploader_id,
        name,
        content_type: received.content_type,
        size: received.size,
        width: received.width,
        height: received.height,
        object_key: &received.object_key,
        thumbnail_key: received.thumbnail_key.as_deref(),
    }
}

/// `?name=…`, percent-decoded ("file" when absent).
fn file_name(query: Option<&str>) -> String {
    query
        .and_then(|query| {
            serde_urlencoded::from_str::<Vec<(String, String)>>(query)
                .ok()?
                .into_iter()
                .find_map(|(key, value)| (key == "name").then_some(value))
        })
        .unwrap_or_else(|| "file".to_owned())
}

/// Counts the upload against the person's allowance (shared by every node).
pub(super) async fn refuse_if_too_many(state: &AppState, user: &str) -> Result<(), HttpError> {
    let now = Utc::now();
    let rule = state.settings.upload_rule();
    let attempts = state
        .store
        .count_attempt(&format!("upload:{user}"), &rule, now)
        .await?;
    match attempts.blocked_for(now) {
        None => Ok(()),
        Some(wait) => Err(HttpError {
            error: ApiError::new(ErrorCode::RateLimited, "too many uploads; wait a little"),
            retry_after: Some(crate::auth::retry_after_secs(wait)),
        }),
    }
}

pub async fn download(
    State(state): State<AppState>,
    Authenticated { user, .. }: Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    serve(&state, user.id, &id, Variant::Original, &headers).await
}

pub async fn thumbnail(
    State(state): State<AppState>,
    Authenticated { user, .. }: Authenticated,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, HttpError> {
    serve(&state, user.id, &id, Variant::Thumbnail, &headers).await
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    Original,
    Thumbnail,
}

async fn serve(
    state: &AppState,
    reader: app::model::UserId,
    id: &str,
    variant: Variant,
    headers: &HeaderMap,
) -> Result<Response, HttpError> {
    let id: AttachmentId = id.parse().map_err(|_| not_found())?;
    let stored = state
        .store
        .readable_attachment(id, reader)
        .await?
        .ok_or_else(not_found)?;
    let (key, content_type, size, etag) = match variant {
        Variant::Original => (
            stored.object_key,
            stored.attachment.content_type.clone(),
            Some(stored.attachment.size),
            format!("\"{id}\""),
        ),
        Variant::Thumbnail => {
            let key = stored.thumbnail_key.ok_or_else(not_found)?;
            let content_type = thumbnail_type(&key).to_owned();
            (key, content_type, None, format!("\"{id}-thumbnail\""))
        }
    };
    let mut response = if if_none_match(headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let range = match (
            size,
            headers.get(header::RANGE).and_then(|v| v.to_str().ok()),
        ) {
            (Some(size), Some(asked)) => byte_range(asked, size),
            _ => Ranged::Whole,
        };
        body_of(state, &key, range, size).await?
    };
    let headers = response.headers_mut();
    let mut set = |name, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set(header::ETAG, &etag);
    set(header::CONTENT_TYPE, &content_type);
    set(
        header::CACHE_CONTROL,
        "private, max-age=31536000, immutable",
    );
    set(header::CONTENT_SECURITY_POLICY, SERVED_CSP);
    set(
        header::CONTENT_DISPOSITION,
        &disposition(&stored.attachment.name, app::media::is_image(&content_type)),
    );
    if size.is_some() {
        set(header::ACCEPT_RANGES, "bytes");
    }
    Ok(response)
}

/// The bytes, all or the asked range, streamed from the store.
pub(super) async fn body_of(
    state: &AppState,
    key: &str,
    range: Ranged,
    size: Option<u64>,
) -> Result<Response, HttpError> {
    let (status, get_range, content_range) = match (range, size) {
        (Ranged::Part { first, last }, Some(size)) => (
            StatusCode::PARTIAL_CONTENT,
            Some(GetRange::Bounded(first..last + 1)),
            Some(format!("bytes {first}-{last}/{size}")),
        ),
        (Ranged::Unsatisfiable, Some(size)) => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{size}")) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return Ok(response);
        }
        _ => (StatusCode::OK, None, None),
    };
    let got = state
        .media
        .read(key, get_range)
        .await
        .map_err(ApiError::from)?;
    let length = got.range.end - got.range.start;
    let mut response = (status, Body::from_stream(got.into_stream())).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if let Some(content_range) = content_range.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(header::CONTENT_RANGE, content_range);
    }
    Ok(response)
}

fn not_found() -> HttpError {
    ApiError::new(ErrorCode::NotFound, "no such attachment").into()
}

fn thumbnail_type(key: &str) -> &'static str {
    if key.ends_with(".png") {
        "image/png"
    } else {
        "image/jpeg"
    }
}

pub(super) fn if_none_match(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        })
}

/// What a `Range` header asks of a file of `size` bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ranged {
    /// No range (or one we do not serve, such as several: then all of it).
    Whole,
    /// Bytes `first..=last`.
    Part {
        first: u64,
        last: u64,
    },
    Unsatisfiable,
}

fn byte_range(header: &str, size: u64) -> Ranged {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return Ranged::Whole;
    };
    if spec.contains(',') {
        return Ranged::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Ranged::Whole;
    };
    let number = |text: &str| text.trim().parse::<u64>().ok();
    let (first, last) = match (first.trim().is_empty(), number(first), number(last)) {
        // bytes=-N: the last N bytes.
        (true, _, Some(suffix)) if suffix > 0 => {
            (size.saturating_sub(suffix), size.saturating_sub(1))
        }
        (true, _, _) => return Ranged::Unsatisfiable,
        (false, Some(first), None) if last.trim().is_empty() => (first, size.saturating_sub(1)),
        (false, Some(first), Some(last)) if first <= last => {
            (first, last.min(size.saturating_sub(1)))
        }
        _ => return Ranged::Whole,
    };
    if size == 0 || first >= size {
        return Ranged::Unsatisfiable;
    }
    Ranged::Part { first, last }
}

/// `inline` for photos, `attachment` (a download) for everything else; the
/// name as typed, RFC 5987-encoded, with a plain-ASCII fallback.
fn disposition(name: &str, inline: bool) -> String {
    let kind = if inline { "inline" } else { "attachment" };
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in name.bytes() {
        if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_read_as_rfc_9110_says() {
        assert_eq!(
            byte_range("bytes=0-99", 1000),
            Ranged::Part { first: 0, last: 99 }
        );
        assert_eq!(
            byte_range("bytes=900-", 1000),
            Ranged::Part {
                first: 900,
                last: 999
            }
        );
        assert_eq!(
            byte_range("bytes=-100", 1000),
            Ranged::Part {
                first: 900,
                last: 999
            }
        );
        assert_eq!(
            byte_range("bytes=-5000", 1000),
            Ranged::Part {
                first: 0,
                last: 999
            }
        );
        assert_eq!(
            byte_range("bytes=990-2000", 1000),
            Ranged::Part {
                first: 990,
                last: 999
            }
        );
        assert_eq!(byte_range("bytes=1000-", 1000), Ranged::Unsatisfiable);
        assert_eq!(byte_range("bytes=-0", 1000), Ranged::Unsatisfiable);
        assert_eq!(byte_range("bytes=0-1,5-6", 1000), Ranged::Whole);
        assert_eq!(byte_range("bytes=9-3", 1000), Ranged::Whole);
        assert_eq!(byte_range("items=0-1", 1000), Ranged::Whole);
        assert_eq!(byte_range("bytes=x-y", 1000), Ranged::Whole);
    }

    #[test]
    fn names_are_quoted_safely_in_the_disposition() {
        assert_eq!(
            disposition("report.pdf", false),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        assert_eq!(
            disposition("a\"b é.png", true),
            "inline; filename=\"a_b _.png\"; filename*=UTF-8''a%22b%20%C3%A9.png"
        );
    }

    #[test]
    fn the_upload_name_comes_from_the_query() {
        assert_eq!(
            file_name(Some("name=caf%C3%A9%20menu.pdf")),
            "café menu.pdf"
        );
        assert_eq!(file_name(Some("other=1")), "file");
        assert_eq!(file_name(None), "file");
    }
}
