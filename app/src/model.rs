//! Domain types: ids, users, and the values that are parsed once at the edge so
//! that an invalid one cannot exist further in.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// Declares an opaque id: a UUID on the inside, a plain string on the wire.
macro_rules! opaque_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self)
            }
        }
    };
}

opaque_id!(
    /// Identifies a person's account.
    UserId
);
opaque_id!(
    /// Identifies a chat (direct or group).
    ChatId
);
opaque_id!(
    /// Identifies a stored message.
    MessageId
);
opaque_id!(
    /// Identifies an uploaded photo or file.
    AttachmentId
);

/// A message's place in its chat: 1, 2, 3… with no gaps. Receipts are
/// watermarks over it.
pub type Seq = i64;

/// A person as others see them, with their presence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    /// Has at least one connected socket (several tabs count as one).
    #[serde(default)]
    pub online: bool,
    /// When their last socket went away; absent while online or never seen.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::timestamp::optional"
    )]
    pub last_seen_at: Option<DateTime<Utc>>,
    /// Runs this instance (see docs/PROTOCOL.md, "Instance admins"); on
    /// the wire only when true (`GET /api/me` always says, see `Me`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub admin: bool,
    /// Deactivated by an instance admin: cannot sign in; what they wrote
    /// stays, shown under their name.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deactivated: bool,
    /// Their profile photo (the large size; `?size=small` for the small
    /// one), when they have one and the reader may see it (see
    /// [`PhotoVisibility`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_url: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatKind {
    Direct,
    Group,
}

impl ChatKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Group => "group",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Chat {
    pub id: ChatId,
    pub kind: ChatKind,
    /// A group's name; direct chats have none (show the other person's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A group's description (formatted like a message), if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A group's photo (the large size; `?size=small` for the small one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_url: Option<String>,
    /// In the order they joined.
    pub members: Vec<ChatMember>,
}

impl Chat {
    /// The most people a group may have.
    pub const MAX_GROUP_MEMBERS: usize = 256;

    pub fn member(&self, user_id: UserId) -> Option<&ChatMember> {
        self.members.iter().find(|member| member.id == user_id)
    }

    pub fn is_admin(&self, user_id: UserId) -> bool {
        self.member(user_id)
            .is_some_and(|member| member.role == Role::Admin)
    }

    /// The first member who is not `me`: in a direct chat, the other person.
    pub fn other_member(&self, me: Option<&User>) -> Option<&User> {
        self.members
            .iter()
            .find(|member| Some(member.id) != me.map(|me| me.id))
            .map(|member| &member.user)
    }

    /// The name the chat goes by for `me`: the group's, or the other person's
    /// (their own, in a chat with nobody else left).
    pub fn title(&self, me: Option<&User>) -> String {
        match (&self.kind, &self.name) {
            (ChatKind::Group, Some(name)) => name.clone(),
            _ => self
                .other_member(me)
                .or(self.members.first().map(|member| &member.user))
                .map(|member| member.display_name.clone())
                .unwrap_or_default(),
        }
    }

    /// The picture the chat shows for `me`: the group's photo, or the other
    /// person's (as `me` may see it); initials where there is none.
    pub fn photo(&self, me: Option<UserId>) -> Option<&str> {
        match self.kind {
            ChatKind::Group => self.photo_url.as_deref(),
            ChatKind::Direct => (self.members.iter())
                .find(|member| Some(member.id) != me)?
                .photo_url
                .as_deref(),
        }
    }
}

/// What a member may do in a group: admins rename it, add and remove people
/// and appoint other admins. In a direct chat both are members.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    #[default]
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }

    /// The stored spelling back; anything unknown is the lesser role.
    pub fn parse(raw: &str) -> Self {
        if raw == Self::Admin.as_str() {
            Self::Admin
        } else {
            Self::Member
        }
    }
}

/// A person in a chat: who they are (flattened on the wire) and their role.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatMember {
    #[serde(flatten)]
    pub user: User,
    #[serde(default)]
    pub role: Role,
}

impl std::ops::Deref for ChatMember {
    type Target = User;

    fn deref(&self) -> &User {
        &self.user
    }
}

/// A chat as the chat list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatSummary {
    pub chat: Chat,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message: Option<Message>,
    /// Messages after the reader's seen watermark that others sent.
    pub unread_count: u64,
    /// The reader's own choices for this chat, the same on all their devices.
    #[serde(default)]
    pub muted: bool,
    /// Pinned chats come first in the list (at most [`ChatSummary::MAX_PINNED`]).
    #[serde(default)]
    pub pinned: bool,
    /// Out of the main list until a message arrives (a muted chat stays archived).
    #[serde(default)]
    pub archived: bool,
    /// Shows as unread until the reader opens it.
    #[serde(default)]
    pub marked_unread: bool,
    /// A direct chat whose other person the reader has blocked.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub blocked: bool,
    /// Unread messages that mention the reader.
    #[serde(default)]
    pub mention_count: u64,
    /// The chat's picture as the reader sees it when it was sent: the
    /// group's photo, or the other person's ([`Chat::photo`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_url: Option<String>,
    /// A group's description as it was sent (the same as `chat.description`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl ChatSummary {
    pub const MAX_PINNED: usize = 5;

    /// A chat as `reader` sees it before any choice of theirs.
    pub fn new(
        chat: Chat,
        reader: UserId,
        last_message: Option<Message>,
        unread_count: u64,
    ) -> Self {
        Self {
            photo_url: chat.photo(Some(reader)).map(str::to_owned),
            description: chat.description.clone(),
            chat,
            last_message,
            unread_count,
            muted: false,
            pinned: false,
            archived: false,
            marked_unread: false,
            blocked: false,
            mention_count: 0,
        }
    }
}

/// How far a message has got, as its sender sees it. Ordered: sent < delivered < seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    /// Stored; the recipient has no device online.
    Sent,
    /// On a device of the recipient's.
    Delivered,
    /// On the recipient's screen with the chat open.
    Seen,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: MessageId,
    pub chat_id: ChatId,
    pub seq: Seq,
    pub sender_id: UserId,
    /// The sender's own id for the message, which makes resending safe.
    pub client_id: String,
    pub body: String,
    #[serde(deserialize_with = "crate::timestamp::deserialize")]
    pub created_at: DateTime<Utc>,
    /// The lowest status over the members other than the sender.
    pub status: MessageStatus,
    /// The chat's version when this message last changed (created, edited,
    /// deleted or reacted to): strictly increasing within a chat, never reused.
    /// (Read as 0 from a server that predates versions.)
    #[serde(default)]
    pub version: Version,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::timestamp::optional"
    )]
    pub edited_at: Option<DateTime<Utc>>,
    /// Deleted for everyone: `body` is empty and `reactions` too; `seq`,
    /// sender and status stay.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::timestamp::optional"
    )]
    pub deleted_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<ReplyTo>,
    /// In the order each emoji was first used; empty when none.
    #[serde(default)]
    pub reactions: Vec<Reaction>,
    /// `system` for a change to the group (its `body` is empty).
    #[serde(default)]
    pub kind: MessageKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<SystemEvent>,
    /// Members of the group named with `@username` in `body` (none in
    /// direct chats), as the server resolved them.
    #[serde(default)]
    pub mentions: Vec<UserId>,
    /// Photos and files, in the order they were attached; empty when none
    /// (and once deleted).
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MessageKind {
    #[default]
    Text,
    System,
}

/// A change to a group, as a line in its timeline: "Harley added Sara".
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemEvent {
    pub action: SystemAction,
    /// Who did it (for `left`, who left).
    pub actor_id: UserId,
    /// Whom it was done to (empty for `renamed` and `left`).
    #[serde(default)]
    pub user_ids: Vec<UserId>,
    /// The new name, for `renamed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The role given, for `role`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Display names at the time, so the line reads right even once someone
    /// has left the group: the actor's, and one per `userIds`.
    #[serde(default)]
    pub actor_name: String,
    #[serde(default)]
    pub user_names: Vec<String>,
}

impl SystemEvent {
    /// The line as the timeline shows it to `me`: "Harley added Sara", "You
    /// left", "Mike made Sara an admin".
    pub fn describe(&self, me: Option<UserId>) -> String {
        let name = |id: UserId, name: &str| {
            if Some(id) == me {
                "You".to_owned()
            } else if name.is_empty() {
                "Someone".to_owned()
            } else {
                name.to_owned()
            }
        };
        let actor = name(self.actor_id, &self.actor_name);
        let people = self
            .user_ids
            .iter()
            .enumerate()
            .map(|(at, &id)| {
                let named = name(id, self.user_names.get(at).map_or("", String::as_str));
                if named == "You" {
                    "you".to_owned()
                } else {
                    named
                }
            })
            .collect::<Vec<_>>()
            .join(", ");
        match self.action {
            SystemAction::Renamed => format!(
                "{actor} renamed the group to “{}”",
                self.name.as_deref().unwrap_or_default()
            ),
            SystemAction::Added => format!("{actor} added {people}"),
            SystemAction::Removed => format!("{actor} removed {people}"),
            SystemAction::Left => format!("{actor} left"),
            SystemAction::Role if self.role == Some(Role::Admin) => {
                format!("{actor} made {people} an admin")
            }
            SystemAction::Role => format!("{actor} removed {people} as admin"),
            SystemAction::JoinedByLink => format!("{actor} joined using this group's invite link"),
            SystemAction::Description if self.name.is_some() => {
                format!("{actor} changed the group description")
            }
            SystemAction::Description => format!("{actor} removed the group description"),
            SystemAction::Photo if self.name.is_some() => {
                format!("{actor} changed the group photo")
            }
            SystemAction::Photo => format!("{actor} removed the group photo"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SystemAction {
    Renamed,
    Added,
    Removed,
    Left,
    Role,
    /// Someone joined through the group's invite link (the actor is they).
    #[serde(rename = "joined_by_link")]
    JoinedByLink,
    /// An admin changed (or took away) the group's description.
    Description,
    /// An admin changed the group's photo (`name`: its new URL), or took it
    /// away (no `name`).
    Photo,
}

impl Message {
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// How a reply to this message quotes it, as it stands now.
    pub fn quoted(&self) -> ReplyTo {
        ReplyTo::quoting(self.id, self.sender_id, &self.body, self.is_deleted())
    }
}

/// Who may create an account on this instance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SignupMode {
    /// Anyone who finds the address.
    #[default]
    Open,
    /// Only with an instance invitation link (`/join/<token>`).
    Invite,
    /// Nobody; admins create accounts (`parley admin create`).
    Closed,
}

impl SignupMode {
    pub const ALL: [Self; 3] = [Self::Open, Self::Invite, Self::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Invite => "invite",
            Self::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|mode| mode.as_str() == raw)
    }
}

impl std::str::FromStr for SignupMode {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw).ok_or_else(|| format!("`{raw}` is not open, invite or closed"))
    }
}

/// Who may see when a person was last online.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LastSeenVisibility {
    #[default]
    Everyone,
    Nobody,
}

impl LastSeenVisibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Everyone => "everyone",
            Self::Nobody => "nobody",
        }
    }

    /// The stored spelling back; anything unknown is the private choice.
    pub fn parse(raw: &str) -> Self {
        if raw == Self::Everyone.as_str() {
            Self::Everyone
        } else {
            Self::Nobody
        }
    }
}

/// Who may put a person into a group.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupAdds {
    #[default]
    Everyone,
    /// People they share a direct chat with where they have written.
    Contacts,
    Nobody,
}

impl GroupAdds {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Everyone => "everyone",
            Self::Contacts => "contacts",
            Self::Nobody => "nobody",
        }
    }

    /// The stored spelling back; anything unknown is the most private choice.
    pub fn parse(raw: &str) -> Self {
        [Self::Everyone, Self::Contacts]
            .into_iter()
            .find(|choice| choice.as_str() == raw)
            .unwrap_or(Self::Nobody)
    }
}

/// Who may see a person's profile photo. Never someone they blocked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PhotoVisibility {
    /// Anyone signed in to the instance.
    Everyone,
    /// People who share a chat with them.
    #[default]
    Contacts,
    /// Only themselves.
    Nobody,
}

impl PhotoVisibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Everyone => "everyone",
            Self::Contacts => "contacts",
            Self::Nobody => "nobody",
        }
    }

    /// The stored spelling back; anything unknown is the most private choice.
    pub fn parse(raw: &str) -> Self {
        [Self::Everyone, Self::Contacts]
            .into_iter()
            .find(|choice| choice.as_str() == raw)
            .unwrap_or(Self::Nobody)
    }

    /// Whether the photo shows to someone else (its owner always sees it):
    /// never to someone the owner blocked, else as chosen.
    pub fn shows(self, shares_a_chat: bool, blocked_by_owner: bool) -> bool {
        !blocked_by_owner
            && match self {
                Self::Everyone => true,
                Self::Contacts => shares_a_chat,
                Self::Nobody => false,
            }
    }
}

/// A person's privacy choices; all open by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Settings {
    /// Off: others see at most "delivered" from you, and you see nobody's "seen".
    pub read_receipts: bool,
    /// Off: nobody is told when you type.
    pub typing_indicators: bool,
    pub last_seen: LastSeenVisibility,
    /// Who may add them to groups.
    #[serde(default)]
    pub group_adds: GroupAdds,
    /// Off: a push notification says "New message", not what it says.
    #[serde(default = "default_true")]
    pub notification_preview: bool,
    /// Who may see their profile photo.
    #[serde(default)]
    pub profile_photo: PhotoVisibility,
}

fn default_true() -> bool {
    true
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            read_receipts: true,
            typing_indicators: true,
            last_seen: LastSeenVisibility::Everyone,
            group_adds: GroupAdds::Everyone,
            notification_preview: true,
            profile_photo: PhotoVisibility::Contacts,
        }
    }
}

/// A chat's change counter (see [`Message::version`]).
pub type Version = i64;

/// The message a reply answers: the first characters of its current body,
/// `deleted` once it is, or `unavailable` to a reader who may not see it (it
/// was said before they joined): then neither its words nor its author.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyTo {
    pub message_id: MessageId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender_id: Option<UserId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unavailable: bool,
}

impl ReplyTo {
    /// How many characters of the target's words (without formatting
    /// markers) a quote carries.
    pub const EXCERPT_CHARS: usize = 100;

    pub fn quoting(message_id: MessageId, sender_id: UserId, body: &str, deleted: bool) -> Self {
        Self {
            message_id,
            sender_id: Some(sender_id),
            excerpt: (!deleted).then(|| {
                crate::format::plain(body)
                    .chars()
                    .take(Self::EXCERPT_CHARS)
                    .collect()
            }),
            deleted,
            unavailable: false,
        }
    }

    /// The quote as a reader who may not see its target reads it.
    pub fn unavailable(message_id: MessageId) -> Self {
        Self {
            message_id,
            sender_id: None,
            excerpt: None,
            deleted: false,
            unavailable: true,
        }
    }
}

/// One emoji on a message and who put it there, in the order they did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reaction {
    pub emoji: String,
    pub user_ids: Vec<UserId>,
}

impl Reaction {
    /// How many different emoji one person may put on one message.
    pub const MAX_PER_USER: usize = 20;
}

/// Which watermark moved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiptKind {
    Delivered,
    /// Seen implies delivered: a member's delivered watermark is never below it.
    Seen,
}

/// One member's watermarks in a chat: everything up to `delivered_seq` reached a
/// device of theirs, everything up to `seen_seq` was on their screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Receipt {
    pub user_id: UserId,
    pub delivered_seq: Seq,
    pub seen_seq: Seq,
}

/// Why a value from outside was refused. Each variant maps to one wire error code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("username must be 3–32 characters of a–z, 0–9, '_', '.' or '-'")]
    Username,
    #[error("password must be at least 8 characters (and at most 1024)")]
    Password,
    #[error("display name must be 1–64 characters")]
    DisplayName,
    #[error("a message must be 1–4000 characters (after trimming)")]
    Body,
    #[error("a client id must be 1–64 characters")]
    ClientId,
    #[error("a group name must be 1–64 characters")]
    GroupName,
    #[error("a group description is at most 500 characters")]
    GroupDescription,
    #[error("a reaction must be exactly one emoji")]
    Emoji,
}

/// A valid username: 3–32 of `[a-z0-9_.-]`, lower-cased on the way in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub const MIN_LEN: usize = 3;
    pub const MAX_LEN: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let name = raw.trim().to_lowercase();
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.-".contains(c);
        let length_ok = (Self::MIN_LEN..=Self::MAX_LEN).contains(&name.len());
        if length_ok && name.chars().all(allowed) {
            Ok(Self(name))
        } else {
            Err(ValidationError::Username)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password as typed: at least 8 characters. The upper bound keeps hashing
/// cheap for the server. Its `Debug` never prints the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;
    pub const MAX_CHARS: usize = 1024;

    pub fn parse(raw: String) -> Result<Self, ValidationError> {
        let chars = raw.chars().count();
        if (Self::MIN_CHARS..=Self::MAX_CHARS).contains(&chars) {
            Ok(Self(raw))
        } else {
            Err(ValidationError::Password)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// The name shown for a person: trimmed, 1–64 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let name = raw.trim();
        let chars = name.chars().count();
        if (1..=Self::MAX_CHARS).contains(&chars) && !name.chars().any(char::is_control) {
            Ok(Self(name.to_owned()))
        } else {
            Err(ValidationError::DisplayName)
        }
    }

    /// The display name a person gets when they did not choose one.
    pub fn from_username(username: &Username) -> Self {
        Self(username.as_str().to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A message body: trimmed, 1–4000 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Body(String);

impl Body {
    pub const MAX_CHARS: usize = 4000;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let body = raw.trim();
        let chars = body.chars().count();
        if (1..=Self::MAX_CHARS).contains(&chars) {
            Ok(Self(body.to_owned()))
        } else {
            Err(ValidationError::Body)
        }
    }

    /// A caption beside photos or files: may be empty.
    pub fn parse_caption(raw: &str) -> Result<Self, ValidationError> {
        if raw.trim().is_empty() {
            Ok(Self(String::new()))
        } else {
            Self::parse(raw)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The client's id for a message it sends (a UUID, say): 1–64 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientId(String);

impl ClientId {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let chars = raw.chars().count();
        if (1..=Self::MAX_CHARS).contains(&chars) && !raw.chars().any(char::is_control) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError::ClientId)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Exactly one emoji, as Unicode lists them: skin tones, flags, keycaps and
/// ZWJ sequences included (one grapheme each), text and pairs of emoji not.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Emoji(String);

impl Emoji {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        // The list has each emoji's fully qualified form; an unqualified
        // spelling (without U+FE0F) is stored as the listed one.
        emojis::get(raw)
            .map(|emoji| Self(emoji.as_str().to_owned()))
            .ok_or(ValidationError::Emoji)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A group's name: trimmed, 1–64 characters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupName(String);

impl GroupName {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        DisplayName::parse(raw)
            .map(|name| Self(name.0))
            .map_err(|_| ValidationError::GroupName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A group's description: trimmed, at most 500 characters; empty takes the
/// description away. Plain text, drawn like a message (links, formatting).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupDescription(String);

impl GroupDescription {
    pub const MAX_CHARS: usize = 500;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let trimmed = raw.trim();
        if trimmed.chars().count() > Self::MAX_CHARS {
            return Err(ValidationError::GroupDescription);
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// `None`: no description.
    pub fn as_stored(&self) -> Option<&str> {
        (!self.0.is_empty()).then_some(self.0.as_str())
    }
}

/// An uploaded photo or file. Served only to the chat's members.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attachment {
    pub id: AttachmentId,
    /// The file name it was uploaded under (for display and download).
    pub name: String,
    /// As sniffed from its bytes, never as the uploader declared it.
    pub content_type: String,
    /// Bytes, as served (an image after its re-encoding).
    pub size: u64,
    /// Pixels, for images: the page lays them out before they load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    pub url: String,
    /// At most [`crate::media::THUMBNAIL_EDGE`] pixels on the long side, for images.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
}

/// Shown inline (and thumbnailed).
pub fn is_image(content_type: &str) -> bool {
    matches!(
        content_type,
        "image/jpeg" | "image/png" | "image/webp" | "image/gif"
    )
}

impl Attachment {
    pub fn is_image(&self) -> bool {
        is_image(&self.content_type)
    }

    pub fn url_of(id: AttachmentId) -> String {
        format!("/api/attachments/{id}")
    }

    pub fn thumbnail_url_of(id: AttachmentId) -> String {
        format!("/api/attachments/{id}/thumbnail")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(n: u128, name: &str) -> ChatMember {
        ChatMember {
            user: User {
                id: UserId(Uuid::from_u128(n)),
                username: name.to_lowercase(),
                display_name: name.into(),
                online: false,
                last_seen_at: None,
                admin: false,
                deactivated: false,
                photo_url: None,
            },
            role: Role::Member,
        }
    }

    #[test]
    fn a_chat_is_called_by_its_group_name_or_the_other_person() {
        let (harley, mike) = (member(1, "Harley"), member(2, "Mike"));
        let direct = Chat {
            id: ChatId(Uuid::from_u128(9)),
            kind: ChatKind::Direct,
            name: None,
            description: None,
            photo_url: None,
            members: vec![harley.clone(), mike.clone()],
        };
        assert_eq!(direct.title(Some(&harley.user)), "Mike");
        assert_eq!(direct.title(Some(&mike.user)), "Harley");
        assert_eq!(direct.other_member(Some(&mike.user)), Some(&harley.user));
        let group = Chat {
            kind: ChatKind::Group,
            name: Some("Crew".into()),
            ..direct.clone()
        };
        assert_eq!(group.title(Some(&harley.user)), "Crew");
        // Mike left: the chat keeps Harley's own name rather than none.
        let alone = Chat {
            members: vec![harley.clone()],
            ..direct
        };
        assert_eq!(alone.other_member(Some(&harley.user)), None);
        assert_eq!(alone.title(Some(&harley.user)), "Harley");
    }

    #[test]
    fn system_lines_read_as_sentences() {
        let (harley, sara) = (UserId(Uuid::from_u128(1)), UserId(Uuid::from_u128(2)));
        let added = SystemEvent {
            action: SystemAction::Added,
            actor_id: harley,
            user_ids: vec![sara],
            name: None,
            role: None,
            actor_name: "Harley".into(),
            user_names: vec!["Sara".into()],
        };
        assert_eq!(added.describe(None), "Harley added Sara");
        assert_eq!(added.describe(Some(sara)), "Harley added you");
        assert_eq!(added.describe(Some(harley)), "You added Sara");
        let promoted = SystemEvent {
            action: SystemAction::Role,
            role: Some(Role::Admin),
            ..added.clone()
        };
        assert_eq!(promoted.describe(None), "Harley made Sara an admin");
        let renamed = SystemEvent {
            action: SystemAction::Renamed,
            name: Some("Crew".into()),
            user_ids: vec![],
            ..added
        };
        assert_eq!(renamed.describe(None), "Harley renamed the group to “Crew”");
    }

    #[test]
    fn usernames_are_lower_cased_and_trimmed() {
        assert_eq!(Username::parse("  Harley ").unwrap().as_str(), "harley");
        assert_eq!(
            Username::parse("mike.o-k_9").unwrap().as_str(),
            "mike.o-k_9"
        );
    }

    #[test]
    fn usernames_outside_the_rules_are_refused() {
        for bad in [
            "ab",
            "",
            "has space",
            "émile",
            "semi;colon",
            &"x".repeat(33),
        ] {
            assert_eq!(
                Username::parse(bad),
                Err(ValidationError::Username),
                "{bad:?}"
            );
        }
        assert!(Username::parse(&"x".repeat(32)).is_ok());
    }

    #[test]
    fn passwords_need_eight_characters() {
        assert!(Password::parse("1234567".into()).is_err());
        assert!(Password::parse("12345678".into()).is_ok());
        // characters, not bytes
        assert!(Password::parse("ééééééé".into()).is_err());
        assert!(Password::parse("x".repeat(1025)).is_err());
    }

    #[test]
    fn password_debug_hides_the_secret() {
        let password = Password::parse("hunter2hunter2".into()).unwrap();
        assert!(!format!("{password:?}").contains("hunter2"));
    }

    #[test]
    fn display_names_are_trimmed_and_bounded() {
        assert_eq!(DisplayName::parse("  Mike ").unwrap().as_str(), "Mike");
        assert!(DisplayName::parse("   ").is_err());
        assert!(DisplayName::parse(&"m".repeat(65)).is_err());
        assert!(DisplayName::parse("bell\u{7}").is_err());
    }

    #[test]
    fn bodies_are_trimmed_and_bounded_in_characters() {
        assert_eq!(Body::parse("  hi \n").unwrap().as_str(), "hi");
        assert_eq!(Body::parse(" \n\t "), Err(ValidationError::Body));
        assert_eq!(Body::parse_caption(" \n ").unwrap().as_str(), "");
        assert_eq!(
            Body::parse_caption(&"é".repeat(4001)),
            Err(ValidationError::Body)
        );
        assert!(Body::parse(&"é".repeat(4000)).is_ok());
        assert_eq!(Body::parse(&"é".repeat(4001)), Err(ValidationError::Body));
    }

    #[test]
    fn client_ids_are_short_and_printable() {
        assert!(ClientId::parse("3f2a-1").is_ok());
        assert!(ClientId::parse("").is_err());
        assert!(ClientId::parse(&"c".repeat(65)).is_err());
    }

    #[test]
    fn statuses_are_ordered_sent_delivered_seen() {
        assert!(MessageStatus::Sent < MessageStatus::Delivered);
        assert!(MessageStatus::Delivered < MessageStatus::Seen);
        assert_eq!(
            serde_json::to_string(&MessageStatus::Delivered).unwrap(),
            "\"delivered\""
        );
    }

    #[test]
    fn ids_are_plain_strings_on_the_wire() {
        let id = UserId(Uuid::nil());
        assert_eq!(
            serde_json::to_string(&id).unwrap(),
            "\"00000000-0000-0000-0000-000000000000\""
        );
    }
}
