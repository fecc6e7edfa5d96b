//! `createChat` and `listChats`, and the chat summaries everything else
//! announces with `chatUpdated`.

use super::{
    Realtime,
    dispatch::Ctx,
    paging::{page_limit, page_start},
    projection::{chat_view_with, watermarks_of, with_status},
};
use crate::store::{
    Blocks, ChatCursor, ChatRecord, Member, Membership, StoreError, StoredMessage, Unread,
};
use app::{
    model::{Chat, ChatId, ChatKind, ChatSummary, GroupName, Seq, User, UserId, Username},
    protocol::{
        ApiError, ChatCreated, ChatPage, ChatUpdated, CreateChat, ErrorCode, ListChats, RoomJoined,
    },
};
use futures::future::try_join;
use socketioxide::adapter::Adapter;
use std::collections::{HashMap, HashSet};

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
                return Err(crate::refusals::cannot_message());
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
                    &ChatCreated(ChatSummary::new(view, member.user.id, None, 0)),
                )
                .await;
        }
    }
    Ok(ctx
        .realtime
        .chat_view_given(&chat, &members, me, &online)
        .await)
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

/// A page of the user's chat list: pinned ones first (on the first page),
/// then by newest activity; archived ones too (flagged: the list shows them
/// under "Archived").
pub async fn list_chats<A: Adapter>(ctx: Ctx<A>, request: ListChats) -> Result<ChatPage, ApiError> {
    let limit = page_limit(
        request.limit,
        ListChats::DEFAULT_LIMIT,
        ListChats::MAX_LIMIT,
    )?;
    let before = page_start(request.before.as_deref(), ChatCursor::decode)?;
    ctx.realtime.chat_page(ctx.me().id, before, limit).await
}

/// See [`Realtime::summary_reads`].
struct SummaryReads {
    blocks: Blocks,
    latest: HashMap<ChatId, StoredMessage>,
}

/// One chat of a list being summarised: the chat, the reader's standing in
/// it, and its members.
pub struct Listed<'a> {
    pub chat: &'a ChatRecord,
    pub mine: Membership,
    pub members: &'a [Member],
}

impl<A: Adapter> Realtime<A> {
    /// A page of `user`'s chat list (see `Store::chat_page`). The same
    /// number of reads whatever the number of chats, on the page or in all.
    pub async fn chat_page(
        &self,
        user: UserId,
        before: Option<ChatCursor>,
        limit: u64,
    ) -> Result<ChatPage, ApiError> {
        let (rows, next) = self.store.chat_page(user, before, limit).await?;
        let ids: Vec<ChatId> = rows.iter().map(|(chat, _)| chat.id).collect();
        let readable: Vec<(ChatId, Seq)> = rows
            .iter()
            .map(|(chat, mine)| (chat.id, mine.visible_from))
            .collect();
        // Side by side: each takes its own connection of the read pool.
        let (members, read) = try_join(
            self.store.members_in(&ids),
            self.summary_reads(user, &readable),
        )
        .await?;
        let everyone: Vec<UserId> = members
            .values()
            .flatten()
            .map(|member| member.user.id)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let online = self.cluster.online_among(&everyone).await;
        let listed: Vec<Listed<'_>> = rows
            .iter()
            .map(|(chat, mine)| Listed {
                chat,
                mine: *mine,
                members: members.get(&chat.id).map_or(&[], Vec::as_slice),
            })
            .collect();
        Ok(ChatPage {
            chats: self.summarise(user, &listed, &online, read).await?,
            next: next.map(ChatCursor::encode),
        })
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
        let Some(mine) = mine else {
            let view = self.chat_view_given(chat, members, user, online).await;
            return Ok(ChatSummary::new(view, user, None, 0));
        };
        let listed = [Listed {
            chat,
            mine,
            members,
        }];
        let mut summaries = self.summaries(user, &listed, online).await?;
        // One summary per chat listed: there is one.
        summaries
            .pop()
            .ok_or_else(|| ApiError::new(ErrorCode::Internal, "no summary"))
    }

    /// Each listed chat as `user` lists it, in the same order: their latest
    /// message, unread and mention counts, blocks and presence. Four reads
    /// (and the latest messages' decoration) for any number of chats.
    pub async fn summaries(
        &self,
        user: UserId,
        listed: &[Listed<'_>],
        online: &HashSet<UserId>,
    ) -> Result<Vec<ChatSummary>, ApiError> {
        let readable: Vec<(ChatId, Seq)> = listed
            .iter()
            .map(|listed| (listed.chat.id, listed.mine.visible_from))
            .collect();
        let read = self.summary_reads(user, &readable).await?;
        self.summarise(user, listed, online, read).await
    }

    /// What the summaries need that does not hang on anything else read
    /// (the user's blocks, each chat's latest message it may read), read
    /// side by side.
    async fn summary_reads(
        &self,
        user: UserId,
        readable: &[(ChatId, Seq)],
    ) -> Result<SummaryReads, StoreError> {
        let (blocks, latest) = try_join(
            self.store.blocks_of(user),
            self.store.latest_messages(readable),
        )
        .await?;
        Ok(SummaryReads { blocks, latest })
    }

    /// [`Self::summaries`] from what [`Self::summary_reads`] read.
    async fn summarise(
        &self,
        user: UserId,
        listed: &[Listed<'_>],
        online: &HashSet<UserId>,
        read: SummaryReads,
    ) -> Result<Vec<ChatSummary>, ApiError> {
        let store = &self.store;
        let SummaryReads { blocks, mut latest } = read;
        // Counted through the message shown, never past it (see `Unread`).
        let unread: Vec<(ChatId, Unread)> = listed
            .iter()
            .filter_map(|listed| {
                let last = latest.get(&listed.chat.id)?;
                Some((
                    listed.chat.id,
                    Unread {
                        seen_seq: listed.mine.receipt.seen_seq,
                        through: last.seq,
                    },
                ))
            })
            .collect();
        let unread_counts = store.unread_counts(user, &unread).await?;
        let in_groups_with_unread: Vec<(ChatId, Unread)> = unread
            .iter()
            .filter(|(chat, _)| {
                unread_counts.contains_key(chat)
                    && listed
                        .iter()
                        .any(|l| l.chat.id == *chat && l.chat.kind == ChatKind::Group)
            })
            .copied()
            .collect();
        let mention_counts = store.mention_counts(user, &in_groups_with_unread).await?;
        Ok(listed
            .iter()
            .map(|listed| {
                let Listed {
                    chat,
                    mine,
                    members,
                } = *listed;
                let view = chat_view_with(chat, members, user, online, &blocks.blockers);
                let last_message = latest
                    .remove(&chat.id)
                    .map(|message| with_status(message, &watermarks_of(members)));
                let blocked = chat.kind == ChatKind::Direct
                    && view
                        .members
                        .iter()
                        .any(|m| m.id != user && blocks.blocked.contains(&m.id));
                let prefs = mine.prefs;
                ChatSummary {
                    muted: prefs.muted,
                    pinned: prefs.pinned_at.is_some(),
                    archived: prefs.is_archived(chat.last_activity_at),
                    marked_unread: prefs.marked_unread,
                    blocked,
                    mention_count: mention_counts.get(&chat.id).copied().unwrap_or(0),
                    ..ChatSummary::new(
                        view,
                        user,
                        last_message,
                        unread_counts.get(&chat.id).copied().unwrap_or(0),
                    )
                }
            })
            .collect())
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
    fn first_chats(&self, user: UserId) -> app::ui::PageData<'_, ChatPage> {
        Box::pin(async move {
            let limit = u64::from(ListChats::DEFAULT_LIMIT);
            self.chat_page(user, None, limit)
                .await
                .map_err(|error| error.message)
        })
    }

    fn invite(
        &self,
        user: UserId,
        from: std::net::IpAddr,
        token: String,
    ) -> app::ui::PageData<'_, Result<app::protocol::InvitePreview, ApiError>> {
        Box::pin(async move {
            let answer = async {
                let link = self.working_invite(user, from, &token).await?;
                self.invite_preview(&link).await
            };
            match answer.await {
                // The page cannot be drawn: the server's fault, said as such.
                Err(failed) if failed.is_failure() => Err(failed.message),
                answer => Ok(answer),
            }
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
        let member_of = match self.member_of(user, chat_id).await {
            Ok(member_of) => member_of,
            // Not theirs (or gone): the page shows the list alone.
            Err(refused) if matches!(refused.code, ErrorCode::NotFound | ErrorCode::NotMember) => {
                return Ok(None);
            }
            Err(error) => return Err(error),
        };
        super::rooms::opened(self, &member_of, user).await.map(Some)
    }
}
