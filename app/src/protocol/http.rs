//! HTTP (non-browser clients: bots, tests, the benchmark):
//!
//! | request | body | reply |
//! |---|---|---|
//! | `POST /api/auth/signup` | [`SignupRequest`] | 201 [`AuthReply`] |
//! | `POST /api/auth/login`  | [`LoginRequest`]  | 200 [`AuthReply`]; 401 `invalid_credentials` |
//! | `POST /api/auth/logout` | — (cookie or `Authorization: Bearer`) | 204 |
//! | `POST /api/auth/logout-all` | — (signed in) | 204: every session of the user ends |
//! | `POST /api/auth/password` | [`ChangePasswordRequest`] | 204: the other sessions end |
//! | `GET /api/me`           | — | 200 [`User`] (with `admin`) or 401 `unauthorized` |
//! | `POST /api/auth/reset`  | [`ResetPasswordRequest`] | 204; 410 `invalid_link` |
//! | `GET /api/push/key`     | — | [`PushKey`] |
//! | `POST /api/push/subscriptions` | [`PushSubscription`] (signed in) | 201; 400 `invalid_subscription` |
//! | `DELETE /api/push/subscriptions` | [`PushUnsubscribe`] (signed in) | 204 |
//! | `POST /api/me/photo` | the image's raw bytes | 200 [`PhotoSet`]; 413 `too_large`, 415 `unsupported_type` |
//! | `DELETE /api/me/photo` | — | 204 |
//! | `POST /api/chats/:chatId/photo` | the image's raw bytes (a group's admins; else 403 `not_admin`) | 200 [`PhotoSet`] |
//! | `DELETE /api/chats/:chatId/photo` | — (a group's admins) | 204 |
//! | `GET /api/users/:userId/photos/:version[?size=small]` | — (who may see it; else 404) | the JPEG |
//! | `GET /api/chats/:chatId/photos/:version[?size=small][&invite=]` | — (members, or a working invite link's holder; else 404) | the JPEG |
//!
//! Instance admins (anyone else: 403 `not_admin`):
//!
//! | request | body | reply |
//! |---|---|---|
//! | `GET /api/admin/users?query=&before=` | — | [`AdminUsersPage`] |
//! | `POST /api/admin/users/:userId/deactivate` | — | 204 |
//! | `POST /api/admin/users/:userId/reactivate` | — | 204 |
//! | `PUT /api/admin/users/:userId/admin` | [`SetAdminRequest`] | 204 |
//! | `POST /api/admin/users/:userId/reset-link` | — | [`ResetLink`] |
//! | `GET`/`PUT /api/admin/signup` | [`SignupSetting`] | [`SignupSetting`] |
//! | `GET /api/admin/invitations` | — | [`Invitations`] |
//! | `POST /api/admin/invitations` | [`NewInvitation`] | 201 [`InvitationCreated`] |
//! | `DELETE /api/admin/invitations/:token` | — | 204 |
//! | `GET /api/admin/audit?before=` | — | [`AuditPage`] |
//! | `GET /api/admin/figures` | — | [`InstanceFigures`] |
//!
//! Every error is an [`ErrorReply`](super::ErrorReply): `{"error": {"code", "message"}}`;
//! a throttled request is 429 `rate_limited` with `Retry-After` (seconds).

use crate::model::{SignupMode, User, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `POST /api/auth/signup`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignupRequest {
    pub username: String,
    pub password: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// An instance invitation's token (what `/join/<token>` carries): what
    /// sign-up needs when it is by invitation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation: Option<String>,
}

/// `POST /api/auth/login`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// `POST /api/auth/password`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// `POST /api/me/photo` and `POST /api/chats/:chatId/photo`: where the new
/// photo is served (the large size; `?size=small` for the small one).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PhotoSet {
    pub photo_url: String,
}

/// `PATCH /api/me`: how the person is shown to others.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateProfileRequest {
    pub display_name: String,
}

/// `GET /api/me` (and `PATCH`'s reply): the signed-in person, and whether
/// they are an instance admin, said either way.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    #[serde(flatten)]
    pub user: User,
    pub admin: bool,
}

impl From<User> for Me {
    fn from(mut user: User) -> Self {
        // Said once, here, rather than by the user's own (optional) field.
        let admin = std::mem::take(&mut user.admin);
        Self { user, admin }
    }
}

/// `POST /api/auth/reset`: a new password through a one-time link an
/// instance admin made (`/reset/<token>`). Every session of the person ends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetPasswordRequest {
    pub token: String,
    pub new_password: String,
}

/// An account as an instance admin sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminUser {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub admin: bool,
    pub deactivated: bool,
    #[serde(deserialize_with = "crate::timestamp::deserialize")]
    pub created_at: DateTime<Utc>,
}

/// `GET /api/admin/users`: newest first; `next` is the `before` of the
/// next page, absent on the last.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdminUsersPage {
    pub users: Vec<AdminUser>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// `PUT /api/admin/users/:userId/admin`
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetAdminRequest {
    pub admin: bool,
}

/// `GET`/`PUT /api/admin/signup`
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignupSetting {
    pub mode: SignupMode,
}

/// `POST /api/admin/invitations`: absent `maxUses` is any number of uses,
/// absent `expiresInHours` never expires.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewInvitation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_hours: Option<u32>,
}

/// The link to hand out: `url` is `<public URL>/join/<token>`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvitationCreated {
    pub token: String,
    pub url: String,
}

/// An instance invitation, as the Admin page lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Invitation {
    pub token: String,
    pub url: String,
    pub uses: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<u32>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::timestamp::optional"
    )]
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked: bool,
    /// Whether it still lets someone sign up (not revoked, expired or used up).
    pub usable: bool,
    #[serde(deserialize_with = "crate::timestamp::deserialize")]
    pub created_at: DateTime<Utc>,
}

/// `GET /api/admin/invitations`: newest first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitations {
    pub invitations: Vec<Invitation>,
}

/// `POST /api/admin/users/:userId/reset-link`: a one-time link to set a
/// new password, valid 24 hours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResetLink {
    pub token: String,
    pub url: String,
    #[serde(deserialize_with = "crate::timestamp::deserialize")]
    pub expires_at: DateTime<Utc>,
}

/// One admin action: who (`actor`, a username; absent: the command line),
/// what (`action`), to whom or what (`target`), and when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub id: i64,
    #[serde(deserialize_with = "crate::timestamp::deserialize")]
    pub at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    pub action: AuditAction,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// What an admin did.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    AccountCreated,
    Deactivated,
    Reactivated,
    MadeAdmin,
    AdminRemoved,
    ResetLinkMade,
    SignupModeSet,
    InvitationCreated,
    InvitationRevoked,
}

impl AuditAction {
    pub const ALL: [Self; 9] = [
        Self::AccountCreated,
        Self::Deactivated,
        Self::Reactivated,
        Self::MadeAdmin,
        Self::AdminRemoved,
        Self::ResetLinkMade,
        Self::SignupModeSet,
        Self::InvitationCreated,
        Self::InvitationRevoked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccountCreated => "account_created",
            Self::Deactivated => "deactivated",
            Self::Reactivated => "reactivated",
            Self::MadeAdmin => "made_admin",
            Self::AdminRemoved => "admin_removed",
            Self::ResetLinkMade => "reset_link_made",
            Self::SignupModeSet => "signup_mode_set",
            Self::InvitationCreated => "invitation_created",
            Self::InvitationRevoked => "invitation_revoked",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|action| action.as_str() == raw)
    }

    /// As the Admin page says it.
    pub fn label(self) -> &'static str {
        match self {
            Self::AccountCreated => "created the account",
            Self::Deactivated => "deactivated",
            Self::Reactivated => "reactivated",
            Self::MadeAdmin => "made admin",
            Self::AdminRemoved => "removed admin from",
            Self::ResetLinkMade => "made a password-reset link for",
            Self::SignupModeSet => "set sign-up to",
            Self::InvitationCreated => "created invitation",
            Self::InvitationRevoked => "revoked invitation",
        }
    }
}

/// `GET /api/admin/audit`: newest first; `next` as in [`AdminUsersPage`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// `GET /api/admin/figures`: what the instance holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstanceFigures {
    /// Accounts, deactivated ones included.
    pub people: u64,
    pub deactivated: u64,
    pub messages: u64,
    /// Bytes of uploads kept.
    pub storage_bytes: u64,
    /// Sockets connected, on every node.
    pub sockets: u64,
}

/// The reply to a successful sign-up or login: a bearer token and who it is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthReply {
    pub token: String,
    pub user: User,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_push_says_what_docs_protocol_says_and_previews_the_first_line() {
        use crate::model::{ChatId, MessageId};
        let chat = ChatId(uuid::Uuid::from_u128(1));
        let message = MessageId(uuid::Uuid::from_u128(2));
        let direct = PushPayload::Message {
            chat_id: chat,
            message_id: message,
            sender_name: "Harley".into(),
            chat_name: None,
            preview: PushPayload::first_line("  Dinner at eight?\nI'll book"),
        };
        assert_eq!(
            serde_json::to_value(&direct).unwrap(),
            json!({"type": "message", "chatId": chat, "messageId": message,
                   "senderName": "Harley", "preview": "Dinner at eight?"})
        );
        let long = "a".repeat(200);
        let cut = PushPayload::first_line(&long);
        assert_eq!(cut.chars().count(), PushPayload::PREVIEW_CHARS);
        assert!(cut.ends_with('…'));
        assert_eq!(PushPayload::first_line(&"é".repeat(120)), "é".repeat(120));
    }

    #[test]
    fn signup_display_name_is_optional_and_camel_case() {
        let request: SignupRequest = serde_json::from_value(
            json!({"username": "mike", "password": "pw", "displayName": "Mike"}),
        )
        .unwrap();
        assert_eq!(request.display_name.as_deref(), Some("Mike"));
        let bare: SignupRequest =
            serde_json::from_value(json!({"username": "mike", "password": "pw"})).unwrap();
        assert_eq!(bare.display_name, None);
    }

    #[test]
    fn me_always_says_whether_one_is_an_admin() {
        let user = User {
            id: crate::model::UserId(uuid::Uuid::nil()),
            username: "mike".into(),
            display_name: "Mike".into(),
            online: false,
            last_seen_at: None,
            admin: false,
            deactivated: false,
            photo_url: None,
        };
        let plain = serde_json::to_value(&user).unwrap();
        assert_eq!(plain.get("admin"), None, "members carry it only when true");
        let me = serde_json::to_value(Me::from(user.clone())).unwrap();
        assert_eq!(me["admin"], json!(false));
        let admin = Me::from(User {
            admin: true,
            ..user
        });
        let json = serde_json::to_string(&admin).unwrap();
        assert_eq!(json.matches("\"admin\"").count(), 1, "{json}");
        assert!(serde_json::from_str::<Me>(&json).unwrap().admin);
    }
}

/// `GET /api/push/key`: the instance's VAPID public key, for
/// `PushManager.subscribe({applicationServerKey})`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushKey {
    /// base64url (unpadded) of the 65-byte uncompressed P-256 point.
    pub public_key: String,
}

/// `POST /api/push/subscriptions`: what the browser's
/// `PushSubscription.toJSON()` gives. The subscription belongs to the session
/// that sends it, and ends with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushSubscription {
    pub endpoint: String,
    pub keys: PushSubscriptionKeys,
}

/// A subscription's keys, base64url as the browser gives them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushSubscriptionKeys {
    /// The browser's P-256 public key (65 bytes, uncompressed).
    pub p256dh: String,
    /// The shared authentication secret (16 bytes).
    pub auth: String,
}

/// `DELETE /api/push/subscriptions`
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushUnsubscribe {
    pub endpoint: String,
}

/// What a push carries (encrypted, `aes128gcm`) to the service worker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum PushPayload {
    /// A message arrived in a chat the person does not have open.
    #[serde(rename_all = "camelCase")]
    Message {
        chat_id: crate::model::ChatId,
        message_id: crate::model::MessageId,
        sender_name: String,
        /// The group's name; absent for a direct chat.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        chat_name: Option<String>,
        /// The message's first line (at most [`PushPayload::PREVIEW_CHARS`]
        /// characters), or "New message" when the person turned previews off.
        preview: String,
    },
}

impl PushPayload {
    pub const PREVIEW_CHARS: usize = 120;
    /// The preview when previews are off (and what a push too large for its
    /// service is cut down to).
    pub const NO_PREVIEW: &'static str = "New message";

    /// The first line of `text`, at most [`Self::PREVIEW_CHARS`] characters
    /// (an ellipsis ends one cut short).
    pub fn first_line(text: &str) -> String {
        let line = text.trim().lines().next().unwrap_or_default().trim_end();
        if line.chars().count() <= Self::PREVIEW_CHARS {
            return line.to_owned();
        }
        let mut cut: String = line.chars().take(Self::PREVIEW_CHARS - 1).collect();
        cut.push('…');
        cut
    }
}
