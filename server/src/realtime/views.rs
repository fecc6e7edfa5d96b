//! Building what clients see from what the store holds: members with their
//! presence, messages with their status, and the authorization every event
//! starts with.

use super::{Cluster, Realtime, cluster::Listeners, dispatch::Ctx};
use crate::store::{ChatRecord, Member, MemberIds, StoredMessage, Watermarks};
use app::{
    model::{
        Body, Chat, ChatId, ChatMember, LastSeenVisibility, Message, Receipt, Seq, User, UserId,
    },
    protocol::{ApiError, ErrorCode, ReceiptKind, StatusUpdate},
};
use socketioxide::adapter::Adapter;
use std::collections::HashSet;

/// A chat the current user belongs to, with everyone's watermarks.
pub struct MemberOf {
    pub chat: ChatRecord,
    pub members: Vec<Member>,
}

impl MemberOf {
    pub fn member_ids(&self) -> Vec<UserId> {
        self.members.iter().map(|member| member.user.id).collect()
    }

    /// Everyone's watermarks, and who keeps their reading private.
    pub fn watermarks(&self) -> Watermarks {
        watermarks_of(&self.members)
    }

    /// The first seq `user_id` may read (what came before they joined is not theirs).
    pub fn visible_from(&self, user_id: UserId) -> Seq {
        self.members
            .iter()
            .find(|member| member.user.id == user_id)
            .map_or(Seq::MAX, |member| member.visible_from)
    }
}

/// What an event does in a chat, which decides who may do it. Every event
/// that names a chat says which, through [`Ctx::member_of`] or
/// [`Ctx::members_as_member`]: the one place each rule is enforced (see
/// docs/PROTOCOL.md, "Who may see and do what").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Reads the chat or changes only the reader's own view of it (join,
    /// history, leave, search, preferences, receipts): its members.
    Read,
    /// Reaches its other members with something new (a message, an edit, a
    /// delete, a reaction, typing): its members, and in a direct chat only
    /// while the other person has not blocked them (`blocked`).
    Reach,
}

impl<A: Adapter> Ctx<A> {
    pub fn me(&self) -> &User {
        &self.connection.user
    }

    /// The chat, if it exists (`not_found`) and the user may do `access` in
    /// it (`not_member`, `blocked`).
    pub async fn member_of(&self, chat_id: ChatId, access: Access) -> Result<MemberOf, ApiError> {
        let chat = self
            .realtime
            .store
            .chat(chat_id)
            .await?
            .ok_or_else(no_such_chat)?;
        let members = self.realtime.store.members(chat_id).await?;
        let direct = chat.kind == app::model::ChatKind::Direct;
        self.check_access(members.iter().map(|member| member.user.id), direct, access)?;
        Ok(MemberOf { chat, members })
    }

    /// Who is in the chat, if it exists and the user may do `access` in it:
    /// the same check without touching the database after the chat's first
    /// read (members are cached, see `Store::member_ids`).
    pub async fn members_as_member(
        &self,
        chat_id: ChatId,
        access: Access,
    ) -> Result<MemberIds, ApiError> {
        let members = self.realtime.store.member_ids(chat_id).await?;
        if members.is_empty() {
            return Err(no_such_chat());
        }
        self.check_access(members.iter().copied(), members.direct, access)?;
        Ok(members)
    }

    fn check_access(
        &self,
        members: impl Iterator<Item = UserId> + Clone,
        direct: bool,
        access: Access,
    ) -> Result<(), ApiError> {
        self.check_member(members.clone())?;
        if access == Access::Reach && direct && self.blocked_by_any(members) {
            return Err(super::chats::cannot_message());
        }
        Ok(())
    }

    /// The members `body` mentions with `@username`, in the order it names
    /// them: only in groups, only members. (No query unless there is an `@`.)
    pub async fn mentions_in(
        &self,
        body: &Body,
        direct: bool,
        members: &[UserId],
    ) -> Result<Vec<UserId>, ApiError> {
        if direct || !body.as_str().contains('@') {
            return Ok(Vec::new());
        }
        let names = app::search::mentioned(body.as_str());
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let users = self.realtime.store.find_users(&names).await?;
        Ok(names
            .iter()
            .filter_map(|name| users.iter().find(|user| user.username == name.as_str()))
            .map(|user| user.id)
            .filter(|id| members.contains(id))
            .collect())
    }

    /// Whether another member (of a direct chat) has blocked the user.
    /// Known without a query: blocking puts the blocked person's sockets in
    /// the blocker's `blocked-by` room, on every node (see `Cluster`).
    fn blocked_by_any(&self, mut members: impl Iterator<Item = UserId>) -> bool {
        let rooms = self.socket.rooms();
        members.any(|member| {
            member != self.me().id
                && rooms
                    .iter()
                    .any(|room| *room == Cluster::<A>::blocked_by_room(member))
        })
    }

    fn check_member(&self, mut members: impl Iterator<Item = UserId>) -> Result<(), ApiError> {
        if members.any(|member| member == self.me().id) {
            Ok(())
        } else {
            Err(ApiError::new(
                ErrorCode::NotMember,
                "you are not a member of this chat",
            ))
        }
    }
}

fn no_such_chat() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such chat")
}

impl<A: Adapter> Realtime<A> {
    /// The chat as `viewer` sees it: members with their roles and presence,
    /// less what each keeps from them (a last seen kept to oneself; presence
    /// and last seen hidden from someone they blocked).
    pub async fn chat_view(&self, chat: &ChatRecord, members: &[Member], viewer: UserId) -> Chat {
        let online = self.online_in(members).await;
        self.chat_view_given(chat, members, viewer, &online).await
    }

    /// Which members are online: asked once for a chat, however many
    /// members' views are then built from it.
    pub async fn online_in(&self, members: &[Member]) -> HashSet<UserId> {
        let ids: Vec<UserId> = members.iter().map(|member| member.user.id).collect();
        self.cluster.online_among(&ids).await
    }

    /// [`Self::chat_view`], with who is `online` already known.
    pub async fn chat_view_given(
        &self,
        chat: &ChatRecord,
        members: &[Member],
        viewer: UserId,
        online: &HashSet<UserId>,
    ) -> Chat {
        let ids: Vec<UserId> = members.iter().map(|member| member.user.id).collect();
        let blockers = self
            .store
            .blockers_of(viewer, &ids)
            .await
            .unwrap_or_else(|error| {
                tracing::warn!(%error, "cannot read blocks; hiding presence");
                ids.clone()
            });
        chat_view_with(chat, members, viewer, online, &blockers)
    }

    /// Announces that `user_id`'s `kind` watermark reached `up_to_seq`, to
    /// nobody who blocked them. A
    /// "seen" is announced as what each listener may know: "delivered" when
    /// `user_id` keeps their reading private, or to a listener who keeps
    /// their own (`private`, see `Watermarks`).
    pub async fn announce_receipt(
        &self,
        chat_id: ChatId,
        audience: Audience<'_>,
        user_id: UserId,
        status: ReceiptKind,
        up_to_seq: Seq,
        private: &[UserId],
    ) {
        let update = |status| StatusUpdate {
            chat_id,
            user_id,
            status,
            up_to_seq,
        };
        let listeners: &[UserId] = match &audience {
            Audience::Chat { members } => members,
            Audience::Sender(sender) => std::slice::from_ref(sender),
        };
        // Never to whoever blocked `user_id` (see `Cluster::emit_from`).
        let cluster = &self.cluster;
        let seen = status == ReceiptKind::Seen;
        if !seen || private.is_empty() {
            let to = match audience {
                Audience::Chat { members } => Listeners::Chat {
                    chat: chat_id,
                    members,
                },
                Audience::Sender(_) => Listeners::Users(listeners),
            };
            cluster.emit_from(user_id, to, &update(status)).await;
            return;
        }
        let (blind, told): (Vec<UserId>, Vec<UserId>) = listeners
            .iter()
            .partition(|&&listener| private.contains(&listener) || private.contains(&user_id));
        cluster
            .emit_from(user_id, Listeners::Users(&told), &update(ReceiptKind::Seen))
            .await;
        cluster
            .emit_from(
                user_id,
                Listeners::Users(&blind),
                &update(ReceiptKind::Delivered),
            )
            .await;
    }
}

/// Who hears of a watermark's move: whoever's ticks it changes.
#[derive(Clone, Copy, Debug)]
pub enum Audience<'a> {
    /// The chat's room and every member: the move covers messages of anyone's.
    Chat { members: &'a [UserId] },
    /// Only the sender of the one message the move covers (all their devices).
    Sender(UserId),
}

/// The members' watermarks, and who among them keeps their reading private.
pub fn watermarks_of(members: &[Member]) -> Watermarks {
    Watermarks {
        receipts: members.iter().map(|member| member.receipt).collect(),
        private: members
            .iter()
            .filter(|member| !member.settings.read_receipts)
            .map(|member| member.user.id)
            .collect(),
    }
}

/// Stored messages with their status under these watermarks.
pub fn with_statuses(messages: Vec<StoredMessage>, watermarks: &Watermarks) -> Vec<Message> {
    messages
        .into_iter()
        .map(|message| with_status(message, watermarks))
        .collect()
}

/// A stored message with its status under these watermarks, as its sender
/// may see it.
pub fn with_status(message: StoredMessage, watermarks: &Watermarks) -> Message {
    let status = watermarks.status(message.sender_id, message.seq);
    message.with_status(status)
}

/// The receipts `viewer` may see: nobody's "seen" when they keep their own
/// private, else everyone's but those who keep theirs.
pub fn receipts_for(watermarks: &Watermarks, viewer: UserId) -> Vec<Receipt> {
    if watermarks.is_private(viewer) {
        let everyone: Vec<UserId> = watermarks.receipts.iter().map(|r| r.user_id).collect();
        app::status::published_receipts(&watermarks.receipts, &everyone)
    } else {
        watermarks.published()
    }
}

impl<A: Adapter> Realtime<A> {
    /// A stored message with its status as its chat's watermarks stand now.
    pub async fn with_current_status(&self, message: StoredMessage) -> Result<Message, ApiError> {
        let watermarks = self.store.receipts(message.chat_id).await?;
        Ok(with_status(message, &watermarks))
    }
}

/// The chat as `viewer` sees it, with who is `online` and who has blocked
/// them (`blockers`: they hide their presence from the viewer) known.
pub fn chat_view_with(
    chat: &ChatRecord,
    members: &[Member],
    viewer: UserId,
    online: &HashSet<UserId>,
    blockers: &[UserId],
) -> Chat {
    let members = members
        .iter()
        .map(|member| {
            let mut user = member.user.clone();
            let hidden = user.id != viewer && blockers.contains(&user.id);
            user.online = !hidden && online.contains(&user.id);
            let keeps_last_seen =
                user.id != viewer && member.settings.last_seen == LastSeenVisibility::Nobody;
            if user.online || hidden || keeps_last_seen {
                user.last_seen_at = None;
            }
            ChatMember {
                user,
                role: member.role,
            }
        })
        .collect();
    Chat {
        id: chat.id,
        kind: chat.kind,
        name: chat.name.clone(),
        members,
    }
}
