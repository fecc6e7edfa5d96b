//! `createChat` and `listChats`.

use super::{dispatch::Ctx, views::with_status};
use crate::store::{ChatRecord, Page};
use app::{
    model::{Chat, ChatKind, ChatSummary, GroupName, Receipt, User, UserId, Username},
    protocol::{ApiError, ChatCreated, CreateChat, ErrorCode, ListChats},
};
use socketioxide::adapter::Adapter;

/// The most people a group may start with, its creator included.
pub const MAX_GROUP_MEMBERS: usize = 256;

pub async fn create_chat<A: Adapter>(ctx: Ctx<A>, request: CreateChat) -> Result<Chat, ApiError> {
    let others = other_members(&ctx, &request.members).await?;
    let me = ctx.me().id;
    let (chat, created) = match request.kind {
        ChatKind::Direct => {
            let [other] = others.as_slice() else {
                return Err(ApiError::new(
                    ErrorCode::InvalidMembers,
                    "a direct chat is with exactly one other person",
                ));
            };
            ctx.realtime.store.direct_chat(me, other.id).await?
        }
        ChatKind::Group => {
            let name = GroupName::parse(request.name.as_deref().unwrap_or_default())?;
            if others.is_empty() || others.len() + 1 > MAX_GROUP_MEMBERS {
                return Err(ApiError::new(
                    ErrorCode::InvalidMembers,
                    format!("a group has 2–{MAX_GROUP_MEMBERS} members, you included"),
                ));
            }
            let members: Vec<UserId> = std::iter::once(me)
                .chain(others.iter().map(|user| user.id))
                .collect();
            (
                ctx.realtime.store.create_group(&name, &members).await?,
                true,
            )
        }
    };
    let members = ctx.realtime.store.members(chat.id).await?;
    let view = ctx.realtime.chat_view(&chat, &members).await;
    if created {
        let summary = ChatSummary {
            chat: view.clone(),
            last_message: None,
            unread_count: 0,
        };
        let member_ids: Vec<UserId> = members.iter().map(|member| member.user.id).collect();
        ctx.realtime
            .cluster
            .emit_to_users(&member_ids, &ChatCreated(summary))
            .await;
    }
    Ok(view)
}

/// The named users other than the creator, each once; `user_not_found` names
/// any that do not exist.
async fn other_members<A: Adapter>(
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
    if wanted.len() > MAX_GROUP_MEMBERS {
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

pub async fn list_chats<A: Adapter>(
    ctx: Ctx<A>,
    _: ListChats,
) -> Result<Vec<ChatSummary>, ApiError> {
    let chats = ctx.realtime.store.chats_of(ctx.me().id).await?;
    let mut summaries = Vec::with_capacity(chats.len());
    for (chat, mine) in chats {
        summaries.push(summary(&ctx, &chat, mine).await?);
    }
    Ok(summaries)
}

async fn summary<A: Adapter>(
    ctx: &Ctx<A>,
    chat: &ChatRecord,
    mine: Receipt,
) -> Result<ChatSummary, ApiError> {
    let store = &ctx.realtime.store;
    let members = store.members(chat.id).await?;
    let receipts: Vec<Receipt> = members.iter().map(|member| member.receipt).collect();
    let last_message = store
        .messages(chat.id, Page::Latest, 1)
        .await?
        .pop()
        .map(|message| with_status(message, &receipts));
    Ok(ChatSummary {
        chat: ctx.realtime.chat_view(chat, &members).await,
        last_message,
        unread_count: store
            .unread_count(chat.id, ctx.me().id, mine.seen_seq)
            .await?,
    })
}
