//! Who may do what in a chat: every event that names one goes through
//! [`Ctx::member_of`] or [`Ctx::members_as_member`] with its [`Access`], the
//! one place the membership and block rules are enforced (docs/PROTOCOL.md,
//! "Who may see and do what").

use super::{Cluster, Realtime, dispatch::Ctx};
use crate::{
    refusals::{cannot_message, no_such_chat},
    store::{ChatRecord, Member, MemberIds, Watermarks},
};
use app::{
    model::{Body, ChatId, Seq, User, UserId},
    protocol::{ApiError, ErrorCode},
};
use socketioxide::adapter::Adapter;

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
        super::projection::watermarks_of(&self.members)
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
        let member_of = self.realtime.member_of(self.me().id, chat_id).await?;
        let direct = member_of.chat.kind == app::model::ChatKind::Direct;
        self.check_access(member_of.member_ids().into_iter(), direct, access)?;
        Ok(member_of)
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
        check_member(self.me().id, members.clone())?;
        if access == Access::Reach && direct && self.blocked_by_any(members) {
            return Err(cannot_message());
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
}

impl<A: Adapter> Realtime<A> {
    /// The chat with its members, if it exists (`not_found`) and `user` is
    /// one of them (`not_member`): the membership rule, for a socket's events
    /// ([`Ctx::member_of`]) and a page's first HTML alike.
    pub async fn member_of(&self, user: UserId, chat_id: ChatId) -> Result<MemberOf, ApiError> {
        let chat = self.store.chat(chat_id).await?.ok_or_else(no_such_chat)?;
        let members = self.store.members(chat_id).await?;
        check_member(user, members.iter().map(|member| member.user.id))?;
        Ok(MemberOf { chat, members })
    }
}

fn check_member(user: UserId, mut members: impl Iterator<Item = UserId>) -> Result<(), ApiError> {
    if members.any(|member| member == user) {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::NotMember,
            "you are not a member of this chat",
        ))
    }
}
