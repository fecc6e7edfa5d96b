//! `createChat` and `listChats`, and the chat summaries everything else
//! announces with `chatUpdated`.

use super::{Realtime, dispatch::Ctx, views::with_status};
use crate::store::{ChatRecord, Member, Membership, Page, Unread};
use app::{
    model::{Chat, ChatId, ChatKind, ChatSummary, GroupName, User, UserId, Username},
    protocol::{ApiError, ChatCreated, ChatUpdated, CreateChat, ErrorCode, ListChats, RoomJoined},
};
use socketioxide::adapter::Adapter;
use std::{cmp::Reverse, collections::HashSet};

pub async fn create_chat<A: Adapter>(ctx: Ctx<A>, request: CreateChat) -> Result<Chat, ApiError> {
    let others = other_members(&ctx, &request.members).await?;
    let me = ctx.me().id;
    let store = &ctx.realtime.store;
    let (chat, created) = match request.kind {
        ChatKind::Direct => {
            let [other] = others.as_slice() else {
                return Err(ApiError::new(
                    ErrorCode::InvalidMembers,
                    "a direct chat is with exactly one other person",
                ));
            };
            if store.has_blocked(other.id, me).await? {
                return Err(cannot_message());
            }
            store.direct_chat(me, other.id).await?
        }
        ChatKind::Group => {
            let name = GroupName::parse(request.name.as_deref().unwrap_or_default())?;
            if others.is_empty() || others.len() + 1 > Chat::MAX_GROUP_MEMBERS {
                return Err(ApiError::new(
                    ErrorCode::InvalidMembers,
                    format!(
                        "a group has 2–{} members, you included",
                        Chat::MAX_GROUP_MEMBERS
                    ),
                ));
            }
            super::groups::consent_to_join(&ctx, &others).await?;
            let members: Vec<UserId> = std::iter::once(me)
                .chain(others.iter().map(|user| user.id))
                .collect();
            (store.create_group(&name, &members).await?, true)
        }
    };
    let members = store.members(chat.id).await?;
    let online = ctx.realtime.online_in(&members).await;
    if created {
        for member in &members {
            let view = ctx
                .realtime
                .chat_view_given(&chat, &members, member.user.id, &online)
                .await;
            ctx.realtime
                .cluster
                .emit_to_users(
                    &[member.user.id],
                    &ChatCreated(ChatSummary::new(view, None, 0)),
                )
                .await;
        }
    }
    Ok(ctx
        .realtime
        .chat_view_given(&chat, &members, me, &online)
        .await)
}

/// What a blocked person is told: no more than that.
pub fn cannot_message() -> ApiError {
    ApiError::new(ErrorCode::Blocked, "you can't message this person")
}

/// The named users other than the actor, each once; `user_not_found` names
/// any that do not exist.
pub async fn other_members<A: Adapter>(
    ctx: &Ctx<A>,
    usernames: &[String],
) -> Result<Vec<User>, ApiError> {
    let mut wanted: Vec<Username> = Vec::new();
    let mut unknown: Vec<&str> = Vec::new();
    for raw in usernames {
        match Username::parse(raw) {
            Ok(name) if name.as_str() == ctx.me().username => {}
            Ok(name) if !wanted.contains(&name) => wanted.push(name),
            Ok(_) => {}
            // A name that breaks the rules cannot belong to anyone.
            Err(_) => unknown.push(raw),
        }
    }
    if wanted.len() > Chat::MAX_GROUP_MEMBERS {
        return Err(ApiError::new(ErrorCode::InvalidMembers, "too many members"));
    }
    let found = ctx.realtime.store.find_users(&wanted).await?;
    unknown.extend(
        wanted
            .iter()
            .filter(|name| !found.iter().any(|user| user.username == name.as_str()))
            .map(Username::as_str),
    );
    if !unknown.is_empty() {
        return Err(ApiError::new(
            ErrorCode::UserNotFound,
            format!("no such user: {}", unknown.join(", ")),
        ));
    }
    Ok(found)
}

/// The user's chats: pinned ones first, then by newest activity; archived
/// ones too (flagged: the list shows them under "Archived").
pub async fn list_chats<A: Adapter>(
    ctx: Ctx<A>,
    _: ListChats,
) -> Result<Vec<ChatSummary>, ApiError> {
    ctx.realtime.chats_of(ctx.me().id).await
}

impl<A: Adapter> Realtime<A> {
    /// `user`'s chats as their list shows them: pinned first, then newest
    /// activity first.
    pub async fn chats_of(&self, user: UserId) -> Result<Vec<ChatSummary>, ApiError> {
        let chats = self.store.chats_of(user).await?;
        let mut listed = Vec::with_capacity(chats.len());
        for (chat, mine) in chats {
            let members = self.store.members(chat.id).await?;
            let online = self.online_in(&members).await;
            let summary = self
                .summary(&chat, &members, user, Some(mine), &online)
                .await?;
            // A message stored after the chats were read is newer activity
            // than the chat's row says.
            let activity = summary
                .last_message
                .as_ref()
                .map_or(chat.last_activity_at, |last| {
                    last.created_at.max(chat.last_activity_at)
                });
            listed.push((activity, summary));
        }
        listed.sort_by_key(|(activity, summary)| (!summary.pinned, Reverse(*activity)));
        Ok(listed.into_iter().map(|(_, summary)| summary).collect())
    }

    /// The chat as `user` lists it. `mine` is their standing in it, `None`
    /// once they are no longer a member (then the summary tells them so: it
    /// does not list them).
    pub async fn summary(
        &self,
        chat: &ChatRecord,
        members: &[Member],
        user: UserId,
        mine: Option<Membership>,
        online: &HashSet<UserId>,
    ) -> Result<ChatSummary, ApiError> {
        let view = self.chat_view_given(chat, members, user, online).await;
        let Some(mine) = mine else {
            return Ok(ChatSummary::new(view, None, 0));
        };
        let store = &self.store;
        let watermarks = super::views::watermarks_of(members);
        let last_message = store
            .messages(chat.id, Page::Latest, 1, mine.visible_from)
            .await?
            .pop()
            .map(|message| with_status(message, &watermarks));
        // Counted through the message shown, never past it (see `Unread`).
        let unread = last_message.as_ref().map(|last| Unread {
            seen_seq: mine.receipt.seen_seq,
            through: last.seq,
        });
        let unread_count = match unread {
            Some(unread) => store.unread_count(chat.id, user, unread).await?,
            None => 0,
        };
        let mention_count = match (chat.kind, unread) {
            (ChatKind::Group, Some(unread)) if unread_count > 0 => {
                store.mention_count(chat.id, user, unread).await?
            }
            _ => 0,
        };
        let blocked = match (chat.kind, view.members.iter().find(|m| m.id != user)) {
            (ChatKind::Direct, Some(other)) => store.has_blocked(user, other.id).await?,
            _ => false,
        };
        let prefs = mine.prefs;
        Ok(ChatSummary {
            muted: prefs.muted,
            pinned: prefs.pinned_at.is_some(),
            archived: prefs.is_archived(chat.last_activity_at),
            marked_unread: prefs.marked_unread,
            blocked,
            mention_count,
            ..ChatSummary::new(view, last_message, unread_count)
        })
    }

    /// Tells each of `users` (all their devices) how the chat now stands for
    /// them, with `chatUpdated`.
    pub async fn announce_chat(&self, chat: &ChatRecord, members: &[Member], users: &[UserId]) {
        let online = self.online_in(members).await;
        for &user in users {
            let mine = match self.store.membership(chat.id, user).await {
                Ok(mine) => mine,
                Err(error) => {
                    tracing::warn!(%error, "cannot read a membership to announce a chat");
                    continue;
                }
            };
            match self.summary(chat, members, user, mine, &online).await {
                Ok(summary) => {
                    self.cluster
                        .emit_to_users(&[user], &ChatUpdated(summary))
                        .await
                }
                Err(error) => tracing::warn!(%error.message, "cannot build a chat summary"),
            }
        }
    }
}

/// The pages' view of the same list and of the open chat (the first HTML of
/// `/` and `/chats/:id`).
impl<A: Adapter> app::ui::ChatSource for Realtime<A> {
    fn chats_of(&self, user: UserId) -> app::ui::PageData<'_, Vec<ChatSummary>> {
        Box::pin(async move {
            Realtime::chats_of(self, user)
                .await
                .map_err(|error| error.message)
        })
    }

    fn opened_by(
        &self,
        user: UserId,
        chat_id: ChatId,
    ) -> app::ui::PageData<'_, Option<RoomJoined>> {
        Box::pin(async move {
            self.opened_by(user, chat_id)
                .await
                .map_err(|error| error.message)
        })
    }
}

impl<A: Adapter> Realtime<A> {
    /// The chat as `user` would open it, for a page's first HTML (`None`:
    /// not theirs). Nothing is marked seen: the page's `joinRoom` does that
    /// once it runs.
    async fn opened_by(
        &self,
        user: UserId,
        chat_id: ChatId,
    ) -> Result<Option<RoomJoined>, ApiError> {
        let Some(chat) = self.store.chat(chat_id).await? else {
            return Ok(None);
        };
        let members = self.store.members(chat_id).await?;
        if !members.iter().any(|member| member.user.id == user) {
            return Ok(None);
        }
        let member_of = super::views::MemberOf { chat, members };
        super::rooms::opened(self, &member_of, user).await.map(Some)
    }
}
