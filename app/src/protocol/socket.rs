//! Socket.IO, namespace `/`, path `/socket.io/`. The handshake carries the
//! `parley_session` cookie (browsers) or `auth: {token}`.
//!
//! Client → server, every one with an ack ([`super::Ack`] of its reply):
//!
//! | event | payload | ok reply |
//! |---|---|---|
//! | `createChat`  | [`CreateChat`]  | [`Chat`] |
//! | `listChats`   | [`ListChats`]   | [`ChatPage`]: pinned first (first page only), then newest activity first |
//! | `joinRoom`    | [`JoinRoom`]    | [`RoomJoined`] |
//! | `leaveRoom`   | [`LeaveRoom`]   | [`Done`] |
//! | `sendMessage` | [`SendMessage`] | [`Message`] |
//! | `typing`      | [`Typing`]      | [`Done`] |
//! | `history`     | [`History`]     | `[Message]`, ascending seq |
//! | `markSeen`    | [`MarkSeen`]    | [`Done`] |
//! | `editMessage`   | [`EditMessage`]   | [`Message`] (edited) |
//! | `deleteMessage` | [`DeleteMessage`] | [`Message`] (deleted) |
//! | `react`         | [`React`]         | [`Message`] |
//! | `updateChat`    | [`UpdateChat`]    | [`Chat`] |
//! | `addMembers`    | [`AddMembers`]    | [`Chat`] |
//! | `removeMember`  | [`RemoveMember`]  | [`Chat`] |
//! | `leaveChat`     | [`LeaveChat`]     | [`Done`] |
//! | `setRole`       | [`SetRole`]       | [`Chat`] |
//! | `getSettings`   | [`GetSettings`]   | [`Settings`] |
//! | `updateSettings`| [`UpdateSettings`]| [`Settings`] |
//! | `blockUser`     | [`BlockUser`]     | [`Done`] |
//! | `updateChatPrefs` | [`UpdateChatPrefs`] | [`ChatSummary`] |
//! | `search`        | [`Search`]        | [`SearchResults`] |
//! | `createInviteLink` | [`CreateInviteLink`] | [`InviteLink`] |
//! | `revokeInviteLink` | [`RevokeInviteLink`] | [`Done`] |
//! | `inviteInfo`    | [`InviteInfo`]    | [`InvitePreview`] |
//! | `joinByInvite`  | [`JoinByInvite`]  | [`Chat`] |
//!
//! Server → client:
//!
//! | event | payload | sent to |
//! |---|---|---|
//! | `newMessage`   | [`NewMessage`] ([`Message`])      | the chat's room and every member's personal room, except the sending socket |
//! | `statusUpdate` | [`StatusUpdate`]                  | the chat's room and the members' personal rooms; a move that concerns only a message just sent: its sender's personal room |
//! | `showTyping`   | [`ShowTyping`]                    | the chat's room except the typer |
//! | `presence`     | [`Presence`]                      | users who share a chat with that user |
//! | `chatCreated`  | [`ChatCreated`] ([`ChatSummary`]) | every member's personal room |
//! | `messageUpdated` | [`MessageUpdated`] ([`Message`]) | the chat's room and every member's personal room (the changer's socket too), after an edit, a delete or a reaction change |
//! | `sessionEnded` | [`SessionEnded`]                  | the sockets of a session that ended (signed out, everywhere, password changed), just before they close |
//! | `resync`       | [`Resync`] (`{}`)                 | every socket of every node, when live delivery between nodes comes back after an interruption |
//! | `chatUpdated`  | [`ChatUpdated`] ([`ChatSummary`]) | each member's personal room, each with their own summary, after a group change (a removed or departed member too: their copy no longer lists them) or a change of their own chat preferences |

use super::{ClientEvent, ServerEvent};
/// The wire names which watermark moved (`statusUpdate`); the kind itself is
/// the domain's.
pub use crate::model::ReceiptKind;
use crate::model::{
    AttachmentId, Chat, ChatId, ChatKind, ChatSummary, GroupAdds, LastSeenVisibility, Message,
    MessageId, PhotoVisibility, Receipt, Role, Seq, Settings, UserId, Version,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The empty reply, `{}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Done {}

/// Starts a chat. A direct chat names exactly one other person; asking again for
/// the same two people returns the existing chat. A group needs a name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateChat {
    pub kind: ChatKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Usernames of the other members (the creator is always a member).
    pub members: Vec<String>,
}

/// A page of the asker's chat list. The first page (no `before`) holds every
/// pinned chat, then the `limit` chats of newest activity; each later page,
/// asked with the previous page's `next`, the `limit` after those.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListChats {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

impl ListChats {
    /// A screenful and more; the first HTML holds one such page (see
    /// docs/PERFORMANCE.md for its weight).
    pub const DEFAULT_LIMIT: u32 = 20;
    pub const MAX_LIMIT: u32 = 100;

    /// The first page.
    pub fn first() -> Self {
        Self::default()
    }

    /// The page after the one whose `next` this is.
    pub fn after(next: impl Into<String>) -> Self {
        Self {
            before: Some(next.into()),
            limit: None,
        }
    }
}

/// One page of a chat list.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatPage {
    pub chats: Vec<ChatSummary>,
    /// Pass back as `before` for the next page; absent on the last one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// Opens a chat: the socket enters its room (so messages arriving are "seen")
/// and everything in it is marked seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinRoom {
    pub chat_id: ChatId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RoomJoined {
    pub chat: Chat,
    /// The latest messages (at most [`Self::PAGE`]), ascending seq.
    pub messages: Vec<Message>,
    /// Every member's watermarks, for per-member "message info".
    pub receipts: Vec<Receipt>,
}

impl RoomJoined {
    /// The most messages `joinRoom` answers with: the latest page.
    pub const PAGE: usize = 50;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaveRoom {
    pub chat_id: ChatId,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendMessage {
    pub chat_id: ChatId,
    /// The sender's own id for this message; resending with it is safe.
    pub client_id: String,
    pub body: String,
    /// The message this one answers (of the same chat, not deleted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to_id: Option<MessageId>,
    /// 1–10 of the sender's own uploads to this chat, not yet sent; `body`
    /// may then be empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachment_ids: Vec<AttachmentId>,
}

impl SendMessage {
    /// A message that answers none.
    pub fn new(chat_id: ChatId, client_id: impl Into<String>, body: impl Into<String>) -> Self {
        Self {
            chat_id,
            client_id: client_id.into(),
            body: body.into(),
            reply_to_id: None,
            attachment_ids: Vec::new(),
        }
    }
}

/// Replaces a message's text (its author only; not once deleted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EditMessage {
    pub chat_id: ChatId,
    pub message_id: MessageId,
    pub body: String,
}

/// Deletes a message for everyone (its author only): its text and reactions
/// are erased; its place in the chat stays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeleteMessage {
    pub chat_id: ChatId,
    pub message_id: MessageId,
}

/// Puts (`on: true`) or takes back (`on: false`) one emoji on a message. Each
/// person has each emoji at most once on a message; asking for what already
/// is so changes and announces nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct React {
    pub chat_id: ChatId,
    pub message_id: MessageId,
    pub emoji: String,
    pub on: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Typing {
    pub chat_id: ChatId,
    pub is_typing: bool,
}

/// A page of messages. `beforeSeq` pages back, `afterSeq` catches up; with
/// neither, the latest (all ascending seq). `changedAfter` instead gives the
/// messages whose `version` is above it, ascending version: what changed
/// (new, edited, deleted, reacted to) since a client last looked. `limit`
/// defaults to 50 and is capped at 100.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct History {
    pub chat_id: ChatId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before_seq: Option<Seq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_seq: Option<Seq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changed_after: Option<Version>,
    /// Up to `limit` messages centred on this seq (where a search hit is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub around_seq: Option<Seq>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

impl History {
    pub const DEFAULT_LIMIT: u32 = 50;
    pub const MAX_LIMIT: u32 = 100;

    /// The latest page of a chat.
    pub fn latest(chat_id: ChatId) -> Self {
        Self {
            chat_id,
            before_seq: None,
            after_seq: None,
            changed_after: None,
            around_seq: None,
            limit: None,
        }
    }

    /// What changed in a chat after `version`, oldest change first.
    pub fn changed_after(chat_id: ChatId, version: Version) -> Self {
        Self {
            changed_after: Some(version),
            ..Self::latest(chat_id)
        }
    }
}

/// Everything up to `seq` has been on the reader's screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarkSeen {
    pub chat_id: ChatId,
    pub seq: Seq,
}

/// A message was stored in a chat of yours.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NewMessage(pub Message);

/// A message of yours changed: edited, deleted or reacted to. The whole
/// message as it now stands; replace what you hold if its `version` is newer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct MessageUpdated(pub Message);

/// A member's watermark advanced: every message up to `up_to_seq` is now
/// `status` for `user_id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusUpdate {
    pub chat_id: ChatId,
    pub user_id: UserId,
    pub status: ReceiptKind,
    pub up_to_seq: Seq,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShowTyping {
    pub chat_id: ChatId,
    pub user_id: UserId,
    pub username: String,
    pub is_typing: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Presence {
    pub user_id: UserId,
    pub online: bool,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::timestamp::optional"
    )]
    pub last_seen_at: Option<DateTime<Utc>>,
}

/// Why the server ended this socket's session (it disconnects the socket
/// right after): signed out on this or another device, signed out everywhere,
/// or the password changed elsewhere.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionEndReason {
    SignedOut,
    SignedOutEverywhere,
    PasswordChanged,
    /// An instance admin deactivated the account.
    Deactivated,
}

impl SessionEndReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SignedOut => "signed_out",
            Self::SignedOutEverywhere => "signed_out_everywhere",
            Self::PasswordChanged => "password_changed",
            Self::Deactivated => "deactivated",
        }
    }

    pub fn parse(reason: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(reason.to_owned())).ok()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionEnded {
    pub reason: SessionEndReason,
}

/// Live delivery between the server's nodes was interrupted (Redis went
/// away, for all nodes or for one) and is back: something may have been
/// stored that this socket was not sent. Catch up as after a reconnect: the
/// chat list's first page, and the open chat's changes since what you hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resync {}

/// You are a member of a new chat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChatCreated(pub ChatSummary);

/// Renames a group, or changes its description (admins): what is absent
/// stays as it is; an empty description takes it away.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateChat {
    pub chat_id: ChatId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl UpdateChat {
    /// A new name.
    pub fn rename(chat_id: ChatId, name: impl Into<String>) -> Self {
        Self {
            chat_id,
            name: Some(name.into()),
            description: None,
        }
    }

    /// A new description (empty: none).
    pub fn describe(chat_id: ChatId, description: impl Into<String>) -> Self {
        Self {
            chat_id,
            name: None,
            description: Some(description.into()),
        }
    }
}

/// Adds people to a group by username (admins). They see the chat from the
/// "added" line on, not what was said before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddMembers {
    pub chat_id: ChatId,
    pub members: Vec<String>,
}

/// Takes someone out of a group (admins).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RemoveMember {
    pub chat_id: ChatId,
    pub user_id: UserId,
}

/// Leaves a group (anyone). The last admin leaving makes the longest-standing
/// member an admin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaveChat {
    pub chat_id: ChatId,
}

/// Makes a member an admin or takes it back (admins).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetRole {
    pub chat_id: ChatId,
    pub user_id: UserId,
    pub role: Role,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetSettings {}

/// Any subset of [`Settings`]; what is absent stays as it is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_receipts: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub typing_indicators: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<LastSeenVisibility>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_adds: Option<GroupAdds>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_preview: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_photo: Option<PhotoVisibility>,
}

/// Blocks (`blocked: true`) or unblocks someone: a blocked person cannot start
/// a direct chat with you or send in yours, and sees neither your presence nor
/// your last seen. Shared groups go on as before.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BlockUser {
    pub user_id: UserId,
    pub blocked: bool,
}

/// Makes the group's invite link (admins). A group has one at a time: making
/// another stops the one before at once (a "reset").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateInviteLink {
    pub chat_id: ChatId,
    /// Stops working this many hours from now (absent: never).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_hours: Option<u32>,
    /// Stops working after this many joins (absent: any number).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<u32>,
}

/// A group's invite link: `url` is `/invite/<token>` on this instance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteLink {
    pub token: String,
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_uses: Option<u32>,
}

impl InviteLink {
    /// Where a link's page is, under the instance's address.
    pub fn path(token: &str) -> String {
        format!("/invite/{token}")
    }
}

/// Stops the group's invite link (admins); `{}` whether or not there was one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RevokeInviteLink {
    pub chat_id: ChatId,
}

/// What an invite link leads to, before joining.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InviteInfo {
    pub token: String,
}

/// The group behind an invite link, as someone about to join sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InvitePreview {
    pub chat_id: ChatId,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo_url: Option<String>,
    pub member_count: u32,
}

/// Joins the group behind an invite link. Members hear `chatUpdated` and a
/// `joined_by_link` line; the joiner reads from that line on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinByInvite {
    pub token: String,
}

/// The reader's own choices for a chat; what is absent stays as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateChatPrefs {
    pub chat_id: ChatId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archived: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marked_unread: Option<bool>,
}

impl UpdateChatPrefs {
    /// A change of nothing yet, to fill in.
    pub fn of(chat_id: ChatId) -> Self {
        Self {
            chat_id,
            muted: None,
            pinned: None,
            archived: None,
            marked_unread: None,
        }
    }
}

/// A chat of yours changed (its name, members or roles, or your own
/// preferences for it), or you left it or were removed: then `chat.members`
/// no longer lists you, and the chat leaves your list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChatUpdated(pub ChatSummary);

/// Finds messages by their words, in the chats the user is in (from when
/// they joined), newest first. `before` is the `next` of the previous page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Search {
    pub query: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<ChatId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub before: Option<String>,
}

impl Search {
    pub const DEFAULT_LIMIT: u32 = 20;
    pub const MAX_LIMIT: u32 = 50;

    pub fn new(query: impl Into<String>) -> Self {
        Self {
            query: query.into(),
            chat_id: None,
            limit: None,
            before: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchResults {
    pub results: Vec<SearchHit>,
    /// Pass back as `before` for the next page; absent on the last one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub message: Message,
    pub chat: ChatRef,
    /// Plain text, the matching words marked (never HTML).
    pub snippet: Vec<crate::search::SnippetPart>,
}

/// Which chat a hit is in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatRef {
    pub id: ChatId,
    pub kind: ChatKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

macro_rules! client_events {
    ($($event:ty => $name:literal, $reply:ty;)*) => {
        $(impl ClientEvent for $event {
            const NAME: &'static str = $name;
            type Reply = $reply;
        })*
        /// Every client → server event name.
        pub const CLIENT_EVENTS: &[&str] = &[$($name),*];

        /// Calls `visitor` once with each client → server event's type (for
        /// what must hold of every event, such as its decoding).
        pub fn visit_client_events(visitor: &mut impl ClientEventVisitor) {
            $(visitor.visit::<$event>();)*
        }
    };
}

/// Something done for each client event type (see [`visit_client_events`]).
pub trait ClientEventVisitor {
    fn visit<E: ClientEvent>(&mut self);
}

macro_rules! server_events {
    ($($event:ty => $name:literal;)*) => {
        $(impl ServerEvent for $event {
            const NAME: &'static str = $name;
        })*
        /// Every server → client event name.
        pub const SERVER_EVENTS: &[&str] = &[$($name),*];
    };
}

client_events! {
    CreateChat => "createChat", Chat;
    ListChats => "listChats", ChatPage;
    JoinRoom => "joinRoom", RoomJoined;
    LeaveRoom => "leaveRoom", Done;
    SendMessage => "sendMessage", Message;
    Typing => "typing", Done;
    History => "history", Vec<Message>;
    MarkSeen => "markSeen", Done;
    EditMessage => "editMessage", Message;
    DeleteMessage => "deleteMessage", Message;
    React => "react", Message;
    UpdateChat => "updateChat", Chat;
    AddMembers => "addMembers", Chat;
    RemoveMember => "removeMember", Chat;
    LeaveChat => "leaveChat", Done;
    SetRole => "setRole", Chat;
    GetSettings => "getSettings", Settings;
    UpdateSettings => "updateSettings", Settings;
    BlockUser => "blockUser", Done;
    UpdateChatPrefs => "updateChatPrefs", ChatSummary;
    Search => "search", SearchResults;
    CreateInviteLink => "createInviteLink", InviteLink;
    RevokeInviteLink => "revokeInviteLink", Done;
    InviteInfo => "inviteInfo", InvitePreview;
    JoinByInvite => "joinByInvite", Chat;
}

server_events! {
    NewMessage => "newMessage";
    StatusUpdate => "statusUpdate";
    ShowTyping => "showTyping";
    Presence => "presence";
    ChatCreated => "chatCreated";
    SessionEnded => "sessionEnded";
    MessageUpdated => "messageUpdated";
    ChatUpdated => "chatUpdated";
    Resync => "resync";
}

#[cfg(test)]
mod tests {
    //! Golden JSON: what other clients rely on.
    use super::*;
    use crate::model::{MessageStatus, Reaction, ReplyTo};
    use serde_json::json;
    use uuid::Uuid;

    const CHAT: &str = "00000000-0000-0000-0000-00000000000c";
    const USER: &str = "00000000-0000-0000-0000-00000000000a";

    fn chat_id() -> ChatId {
        CHAT.parse().unwrap()
    }

    #[test]
    fn send_message_payload_is_camel_case() {
        let payload: SendMessage =
            serde_json::from_value(json!({"chatId": CHAT, "clientId": "c-1", "body": "hi"}))
                .unwrap();
        assert_eq!(
            payload,
            SendMessage {
                chat_id: chat_id(),
                client_id: "c-1".into(),
                body: "hi".into(),
                reply_to_id: None,
                attachment_ids: Vec::new(),
            }
        );
        let with_photo: SendMessage = serde_json::from_value(json!({
            "chatId": CHAT, "clientId": "c-2", "body": "",
            "attachmentIds": ["00000000-0000-0000-0000-000000000009"]
        }))
        .unwrap();
        assert_eq!(
            with_photo.attachment_ids,
            vec![AttachmentId(Uuid::from_u128(9))]
        );
    }

    #[test]
    fn an_attachment_looks_like_the_spec() {
        let id = AttachmentId(Uuid::from_u128(9));
        let photo = crate::media::Attachment {
            id,
            name: "beach.jpg".into(),
            content_type: "image/jpeg".into(),
            size: 123_456,
            width: Some(1600),
            height: Some(1200),
            url: crate::media::Attachment::url_of(id),
            thumbnail_url: Some(crate::media::Attachment::thumbnail_url_of(id)),
        };
        assert_eq!(
            serde_json::to_value(&photo).unwrap(),
            json!({
                "id": "00000000-0000-0000-0000-000000000009",
                "name": "beach.jpg",
                "contentType": "image/jpeg",
                "size": 123456,
                "width": 1600,
                "height": 1200,
                "url": "/api/attachments/00000000-0000-0000-0000-000000000009",
                "thumbnailUrl": "/api/attachments/00000000-0000-0000-0000-000000000009/thumbnail"
            })
        );
    }

    #[test]
    fn a_message_looks_like_the_spec() {
        let message = Message {
            id: MessageId(Uuid::from_u128(1)),
            chat_id: chat_id(),
            seq: 7,
            sender_id: USER.parse().unwrap(),
            client_id: "c-1".into(),
            body: "hello".into(),
            created_at: "2026-11-25T10:00:00Z".parse().unwrap(),
            status: MessageStatus::Delivered,
            version: 9,
            edited_at: None,
            deleted_at: None,
            reply_to: None,
            reactions: Vec::new(),
            kind: Default::default(),
            system: None,
            mentions: Vec::new(),
            attachments: Vec::new(),
        };
        assert_eq!(
            serde_json::to_value(NewMessage(message)).unwrap(),
            json!({
                "id": "00000000-0000-0000-0000-000000000001",
                "chatId": CHAT,
                "seq": 7,
                "senderId": USER,
                "clientId": "c-1",
                "body": "hello",
                "createdAt": "2026-11-25T10:00:00Z",
                "status": "delivered",
                "version": 9,
                "reactions": [],
                "kind": "text",
                "mentions": [],
                "attachments": []
            })
        );
    }

    #[test]
    fn an_edited_reply_with_reactions_looks_like_the_spec() {
        let mine: UserId = USER.parse().unwrap();
        let target = MessageId(Uuid::from_u128(1));
        let reply = Message {
            id: MessageId(Uuid::from_u128(2)),
            chat_id: chat_id(),
            seq: 8,
            sender_id: mine,
            client_id: "c-2".into(),
            body: "yes".into(),
            created_at: "2026-11-25T10:00:00Z".parse().unwrap(),
            status: MessageStatus::Seen,
            version: 12,
            edited_at: Some("2026-11-25T10:05:00Z".parse().unwrap()),
            deleted_at: None,
            reply_to: Some(ReplyTo::quoting(target, mine, &"é".repeat(150), false)),
            reactions: vec![Reaction {
                emoji: "👍🏽".into(),
                user_ids: vec![mine],
            }],
            kind: Default::default(),
            system: None,
            mentions: Vec::new(),
            attachments: Vec::new(),
        };
        let json = serde_json::to_value(MessageUpdated(reply)).unwrap();
        assert_eq!(json["editedAt"], "2026-11-25T10:05:00Z");
        assert_eq!(
            json["replyTo"],
            json!({"messageId": target, "senderId": USER, "excerpt": "é".repeat(100)})
        );
        assert_eq!(
            json["reactions"],
            json!([{"emoji": "👍🏽", "userIds": [USER]}])
        );
        let gone = ReplyTo::quoting(target, mine, "secret", true);
        assert_eq!(
            serde_json::to_value(gone).unwrap(),
            json!({"messageId": target, "senderId": USER, "deleted": true})
        );
        // Said before the reader joined: neither its words nor its author.
        assert_eq!(
            serde_json::to_value(ReplyTo::unavailable(target)).unwrap(),
            json!({"messageId": target, "unavailable": true})
        );
    }

    #[test]
    fn edit_delete_and_react_take_the_documented_payloads() {
        let message = "00000000-0000-0000-0000-000000000001";
        let edit: EditMessage =
            serde_json::from_value(json!({"chatId": CHAT, "messageId": message, "body": "fixed"}))
                .unwrap();
        assert_eq!(edit.body, "fixed");
        let react: React = serde_json::from_value(
            json!({"chatId": CHAT, "messageId": message, "emoji": "👍", "on": true}),
        )
        .unwrap();
        assert!(react.on);
        let history: History =
            serde_json::from_value(json!({"chatId": CHAT, "changedAfter": 41})).unwrap();
        assert_eq!(history, History::changed_after(chat_id(), 41));
        let reply: SendMessage = serde_json::from_value(
            json!({"chatId": CHAT, "clientId": "c", "body": "b", "replyToId": message}),
        )
        .unwrap();
        assert_eq!(reply.reply_to_id, Some(MessageId(Uuid::from_u128(1))));
    }

    #[test]
    fn status_update_and_typing_look_like_the_spec() {
        let update = StatusUpdate {
            chat_id: chat_id(),
            user_id: USER.parse().unwrap(),
            status: ReceiptKind::Seen,
            up_to_seq: 3,
        };
        assert_eq!(
            serde_json::to_value(update).unwrap(),
            json!({"chatId": CHAT, "userId": USER, "status": "seen", "upToSeq": 3})
        );
        let typing: Typing =
            serde_json::from_value(json!({"chatId": CHAT, "isTyping": true})).unwrap();
        assert!(typing.is_typing);
    }

    #[test]
    fn history_bounds_are_optional() {
        let history: History = serde_json::from_value(json!({"chatId": CHAT})).unwrap();
        assert_eq!(
            (history.before_seq, history.after_seq, history.limit),
            (None, None, None)
        );
        let list: ListChats = serde_json::from_value(json!({})).unwrap();
        assert_eq!(list, ListChats::first());
        let list: ListChats = serde_json::from_value(json!({"before": "x", "limit": 5})).unwrap();
        assert_eq!((list.before.as_deref(), list.limit), (Some("x"), Some(5)));
    }

    #[test]
    fn create_chat_takes_a_kind_and_usernames() {
        let create: CreateChat = serde_json::from_value(
            json!({"kind": "group", "name": "Crew", "members": ["mike", "sara"]}),
        )
        .unwrap();
        assert_eq!(create.kind, ChatKind::Group);
        assert_eq!(create.members, ["mike", "sara"]);
        assert!(
            serde_json::from_value::<CreateChat>(json!({"kind": "channel", "members": []}))
                .is_err()
        );
    }

    #[test]
    fn session_ended_names_its_reason() {
        let ended = SessionEnded {
            reason: SessionEndReason::SignedOutEverywhere,
        };
        assert_eq!(
            serde_json::to_value(ended).unwrap(),
            json!({"reason": "signed_out_everywhere"})
        );
        for reason in [
            SessionEndReason::SignedOut,
            SessionEndReason::SignedOutEverywhere,
            SessionEndReason::PasswordChanged,
        ] {
            assert_eq!(SessionEndReason::parse(reason.as_str()), Some(reason));
        }
    }

    #[test]
    fn group_and_privacy_events_take_the_documented_payloads() {
        let user = USER;
        let role: SetRole =
            serde_json::from_value(json!({"chatId": CHAT, "userId": user, "role": "admin"}))
                .unwrap();
        assert_eq!(role.role, Role::Admin);
        let settings: UpdateSettings =
            serde_json::from_value(json!({"lastSeen": "nobody"})).unwrap();
        assert_eq!(settings.last_seen, Some(LastSeenVisibility::Nobody));
        assert_eq!(settings.read_receipts, None);
        assert_eq!(
            serde_json::to_value(Settings::default()).unwrap(),
            json!({"readReceipts": true, "typingIndicators": true, "lastSeen": "everyone",
                   "groupAdds": "everyone", "notificationPreview": true,
                   "profilePhoto": "contacts"})
        );
        let adds: UpdateSettings =
            serde_json::from_value(json!({"groupAdds": "contacts"})).unwrap();
        assert_eq!(adds.group_adds, Some(GroupAdds::Contacts));
        let prefs: UpdateChatPrefs =
            serde_json::from_value(json!({"chatId": CHAT, "pinned": true})).unwrap();
        assert_eq!(
            prefs,
            UpdateChatPrefs {
                pinned: Some(true),
                ..UpdateChatPrefs::of(chat_id())
            }
        );
    }

    #[test]
    fn a_system_message_and_a_member_look_like_the_spec() {
        use crate::model::{ChatMember, MessageKind, SystemAction, SystemEvent, User};
        let event = SystemEvent {
            action: SystemAction::Added,
            actor_id: USER.parse().unwrap(),
            user_ids: vec![USER.parse().unwrap()],
            name: None,
            role: None,
            actor_name: "Harley".into(),
            user_names: vec!["Harley".into()],
        };
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            json!({"action": "added", "actorId": USER, "userIds": [USER],
                   "actorName": "Harley", "userNames": ["Harley"]})
        );
        let message: Message = serde_json::from_value(json!({
            "id": USER, "chatId": CHAT, "seq": 1, "senderId": USER, "clientId": "s",
            "body": "", "createdAt": "2026-11-25T10:00:00Z", "status": "sent",
            "kind": "system", "system": event,
        }))
        .unwrap();
        assert_eq!(message.kind, MessageKind::System);
        let member = ChatMember {
            user: User {
                id: USER.parse().unwrap(),
                username: "harley".into(),
                display_name: "Harley".into(),
                online: false,
                last_seen_at: None,
                admin: false,
                deactivated: false,
                photo_url: None,
            },
            role: Role::Admin,
        };
        assert_eq!(
            serde_json::to_value(&member).unwrap(),
            json!({"id": USER, "username": "harley", "displayName": "Harley", "online": false, "role": "admin"})
        );
    }

    #[test]
    fn every_event_is_in_the_protocol_document() {
        let document = include_str!("../../../docs/PROTOCOL.md");
        for name in CLIENT_EVENTS.iter().chain(SERVER_EVENTS) {
            assert!(
                document.contains(&format!("| `{name}` |")),
                "{name} has no row in docs/PROTOCOL.md"
            );
        }
    }

    #[test]
    fn event_names_are_unique() {
        let mut names: Vec<_> = CLIENT_EVENTS.iter().chain(SERVER_EVENTS).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), CLIENT_EVENTS.len() + SERVER_EVENTS.len());
    }
}

#[cfg(test)]
mod documented {
    //! docs/PROTOCOL.md is the contract other clients read: every event the
    //! code knows has its row there (the new-event checklist in
    //! docs/ARCHITECTURE.md; the server's side is `every_client_event_is_served`).
    use super::{CLIENT_EVENTS, SERVER_EVENTS};

    fn protocol_md() -> String {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/PROTOCOL.md");
        std::fs::read_to_string(path).expect("docs/PROTOCOL.md is readable")
    }

    fn rows(doc: &str) -> Vec<&str> {
        doc.lines()
            .filter_map(|line| line.strip_prefix("| `"))
            .filter_map(|rest| rest.split_once('`').map(|(name, _)| name))
            .collect()
    }

    #[test]
    fn every_event_has_its_row_in_protocol_md() {
        let doc = protocol_md();
        let rows = rows(&doc);
        let missing: Vec<&&str> = CLIENT_EVENTS
            .iter()
            .chain(SERVER_EVENTS)
            .filter(|name| !rows.contains(name))
            .collect();
        assert!(
            missing.is_empty(),
            "no row in docs/PROTOCOL.md for {missing:?}"
        );
    }

    #[test]
    fn a_row_is_found_by_its_first_cell_only() {
        let rows = rows("| `joinRoom` | `{chatId}` |\n| text `typing` |\n`x`");
        assert_eq!(rows, vec!["joinRoom"]);
    }
}
