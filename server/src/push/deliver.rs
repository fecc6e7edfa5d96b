//! One push: whether there is still something to tell, what it says (as the
//! recipient may read it), encrypted for the device (`aes128gcm`) and signed
//! (VAPID), sent, and what the push service's answer means for its row.

use super::{Sender, endpoint};
use crate::store::{OwedPush, PushKey, StoreError, now_ms};
use app::{
    media::preview,
    model::{ChatKind, UserId},
    protocol::{PushPayload, PushSubscriptionKeys},
};
use reqwest::{StatusCode, header::HeaderMap};
use std::time::Duration;
use web_push_native::WebPushBuilder;

/// The longest one push may take, connecting included.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// How long a push service keeps a push for a device that is away: a chat
/// message still matters the next morning (and VAPID's token lives no
/// longer than a day).
const TTL: Duration = Duration::from_secs(12 * 60 * 60);
/// Tries before a push is given up (a service that keeps failing).
const MAX_ATTEMPTS: i32 = 5;
/// The longest a service's `Retry-After` is waited for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60 * 60);

/// What became of a push.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// The service no longer knows the device: it is unsubscribed.
    Removed,
    /// Given up: refused, or failed too often.
    Failed,
    /// To be tried again after this long.
    Retried(Duration),
    /// Nothing to tell any more (deleted, muted, no longer a member), or the
    /// lease ran out before a turn came (another node may take it).
    Skipped,
}

impl Outcome {
    pub fn label(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Removed => "removed",
            Self::Failed => "failed",
            Self::Retried(_) => "retried",
            Self::Skipped => "skipped",
        }
    }
}

/// What a push service's answer means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    /// 404, 410: the subscription is gone.
    Gone,
    /// 413: the payload is too large for this service.
    TooLarge,
    /// 429 or 5xx (or no answer): again later, after this long if it said.
    Later(Option<Duration>),
    /// Anything else (400, 401, 403 …): trying again will not help.
    Refused,
}

impl Verdict {
    pub fn of(status: StatusCode, headers: &HeaderMap) -> Self {
        match status.as_u16() {
            200..=299 => Self::Accepted,
            404 | 410 => Self::Gone,
            413 => Self::TooLarge,
            429 | 500..=599 => Self::Later(retry_after(headers)),
            _ => Self::Refused,
        }
    }
}

/// `Retry-After` in seconds (the services send seconds), bounded.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds).min(MAX_RETRY_AFTER))
}

/// How long before try `attempts + 1`: doubling from two seconds.
fn backoff(attempts: i32) -> Duration {
    Duration::from_secs(2u64.saturating_pow(attempts.clamp(1, 12) as u32))
}

/// Sends the push `key` (taken until `lease_until`) and settles its row.
pub(super) async fn one(
    sender: &Sender,
    key: PushKey,
    lease_until: i64,
) -> Result<Outcome, StoreError> {
    let store = &sender.store;
    let Some(owed) = store.owed_push(key).await? else {
        return Ok(Outcome::Skipped);
    };
    let Some(told) = what_to_tell(sender, &owed).await? else {
        store.push_done(key).await?;
        return Ok(Outcome::Skipped);
    };
    let host = reqwest::Url::parse(&owed.endpoint)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
        .unwrap_or_default();
    let _turn = sender.service(&host).acquire_owned().await;
    if now_ms() + TIMEOUT.as_millis() as i64 > lease_until {
        // Waited too long for a turn: the lease may run out mid-send. Give
        // it back, due now, for whoever is free.
        store.push_later(key, now_ms(), owed.attempts).await?;
        return Ok(Outcome::Skipped);
    }
    let mut verdict = post(sender, &owed, &told, &told.payload).await;
    if verdict == Verdict::TooLarge {
        // The smallest a push can say.
        let smaller = told.without_preview();
        verdict = post(sender, &owed, &told, &smaller).await;
    }
    let attempts = owed.attempts + 1;
    Ok(match verdict {
        Verdict::Accepted => {
            store.push_done(key).await?;
            Outcome::Sent
        }
        Verdict::Gone => {
            store.drop_subscription(owed.subscription).await?;
            Outcome::Removed
        }
        Verdict::Later(after) if attempts < MAX_ATTEMPTS => {
            let after = after.unwrap_or_else(|| backoff(attempts));
            store
                .push_later(key, now_ms() + after.as_millis() as i64, attempts)
                .await?;
            Outcome::Retried(after)
        }
        Verdict::Later(_) | Verdict::TooLarge | Verdict::Refused => {
            tracing::warn!(?verdict, host, "a push was given up");
            store.push_done(key).await?;
            Outcome::Failed
        }
    })
}

/// A push worth sending: what it says and how it is sent.
struct Told {
    payload: PushPayload,
    /// Collapses a chat's pushes at the service (RFC 8030 `Topic`).
    topic: String,
    urgent: bool,
}

impl Told {
    fn without_preview(&self) -> PushPayload {
        let PushPayload::Message {
            chat_id,
            message_id,
            sender_name,
            chat_name,
            ..
        } = &self.payload;
        PushPayload::Message {
            chat_id: *chat_id,
            message_id: *message_id,
            sender_name: sender_name.clone(),
            chat_name: chat_name.clone(),
            preview: PushPayload::NO_PREVIEW.to_owned(),
        }
    }
}

/// What the push says, or `None` when there is nothing to tell: the message
/// was deleted or is the group's own note, the recipient left, muted the
/// chat (a mention still tells) or blocked the sender.
async fn what_to_tell(sender: &Sender, owed: &OwedPush) -> Result<Option<Told>, StoreError> {
    let store = &sender.store;
    let message = &owed.message;
    let recipient: UserId = owed.user_id;
    if message.deleted_at.is_some() || message.system.is_some() {
        return Ok(None);
    }
    let Some(membership) = store.membership(message.chat_id, recipient).await? else {
        return Ok(None);
    };
    let mentioned = message.mentions.contains(&recipient);
    if membership.prefs.muted && !mentioned {
        return Ok(None);
    }
    if store.has_blocked(recipient, message.sender_id).await? {
        return Ok(None);
    }
    let (Some(chat), Some(author)) = (
        store.chat(message.chat_id).await?,
        store.user(message.sender_id).await?,
    ) else {
        return Ok(None);
    };
    let shows_preview = store.settings(recipient).await?.notification_preview;
    let preview = if shows_preview {
        PushPayload::first_line(&preview(&message.body, &message.attachments))
    } else {
        PushPayload::NO_PREVIEW.to_owned()
    };
    let group = chat.kind == ChatKind::Group;
    Ok(Some(Told {
        payload: PushPayload::Message {
            chat_id: message.chat_id,
            message_id: message.id,
            sender_name: author.display_name,
            chat_name: if group { chat.name } else { None },
            preview,
        },
        topic: message.chat_id.0.simple().to_string(),
        urgent: !group || mentioned,
    }))
}

/// Encrypts `payload` for the device, signs, posts; what the answer means.
async fn post(sender: &Sender, owed: &OwedPush, told: &Told, payload: &PushPayload) -> Verdict {
    let request = match encrypted(sender, owed, told, payload) {
        Ok(request) => request,
        Err(error) => {
            tracing::warn!(%error, "cannot encrypt a push");
            return Verdict::Refused;
        }
    };
    match sender.client.execute(request).await {
        Ok(answer) => Verdict::of(answer.status(), answer.headers()),
        Err(error) => {
            tracing::debug!(%error, "a push service did not answer");
            Verdict::Later(None)
        }
    }
}

/// The push as an HTTP request: RFC 8291's body, RFC 8292's signature,
/// RFC 8030's `TTL`, `Topic` and `Urgency`.
fn encrypted(
    sender: &Sender,
    owed: &OwedPush,
    told: &Told,
    payload: &PushPayload,
) -> anyhow::Result<reqwest::Request> {
    // Checked again: an endpoint stored under other rules, or tampered with.
    let url = endpoint::check_endpoint(&owed.endpoint, sender.config.allow_http_loopback)?;
    let (public_key, auth) = endpoint::keys(&PushSubscriptionKeys {
        p256dh: owed.p256dh.clone(),
        auth: owed.auth.clone(),
    })?;
    let body = serde_json::to_vec(payload)?;
    let request = WebPushBuilder::new(url.as_str().parse()?, public_key, auth)
        .with_valid_duration(TTL)
        .with_vapid(sender.vapid.key_pair(), &sender.config.contact)
        .build(body)?;
    let mut request = reqwest::Request::try_from(request.map(reqwest::Body::from))?;
    let headers = request.headers_mut();
    headers.insert("Topic", told.topic.parse()?);
    headers.insert(
        "Urgency",
        if told.urgent { "high" } else { "normal" }.parse()?,
    );
    Ok(request)
}
