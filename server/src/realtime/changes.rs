//! `editMessage`, `deleteMessage` and `react`: changing a message after the
//! fact. Authorize (a member; the author for edits and deletes), commit the
//! change as the chat's next version, announce `messageUpdated` to the chat's
//! room and every member's personal room (the changer's socket too), then ack
//! with the message as it now stands.

use super::{
    access::{Access, MemberOf},
    dispatch::Ctx,
    projection::with_status,
};
use crate::store::{Change, Changed, Member};
use app::{
    model::{Body, Emoji, Message, MessageId, Seq, UserId},
    protocol::{ApiError, DeleteMessage, EditMessage, MessageUpdated, React},
};
use socketioxide::adapter::Adapter;

pub async fn edit_message<A: Adapter>(
    ctx: Ctx<A>,
    request: EditMessage,
) -> Result<Message, ApiError> {
    let body = Body::parse(&request.body)?;
    let member_of = ctx.member_of(request.chat_id, Access::Reach).await?;
    let direct = member_of.chat.kind == app::model::ChatKind::Direct;
    let mentions = ctx
        .mentions_in(&body, direct, &member_of.member_ids())
        .await?;
    change(
        &ctx,
        &member_of,
        request.message_id,
        Change::Edit(&body, &mentions),
    )
    .await
}

pub async fn delete_message<A: Adapter>(
    ctx: Ctx<A>,
    request: DeleteMessage,
) -> Result<Message, ApiError> {
    let member_of = ctx.member_of(request.chat_id, Access::Reach).await?;
    change(&ctx, &member_of, request.message_id, Change::Delete).await
}

pub async fn react<A: Adapter>(ctx: Ctx<A>, request: React) -> Result<Message, ApiError> {
    let emoji = Emoji::parse(&request.emoji)?;
    let change_to = Change::React {
        emoji: &emoji,
        on: request.on,
    };
    let member_of = ctx.member_of(request.chat_id, Access::Reach).await?;
    change(&ctx, &member_of, request.message_id, change_to).await
}

/// Applies `change` by the current user, who may reach `member_of`'s chat.
async fn change<A: Adapter>(
    ctx: &Ctx<A>,
    member_of: &MemberOf,
    message_id: MessageId,
    change: Change<'_>,
) -> Result<Message, ApiError> {
    let me = ctx.me().id;
    let chat_id = member_of.chat.id;
    let store = &ctx.realtime.store;
    // What was said before someone joined is not theirs to read or change.
    let visible_from = member_of.visible_from(me);
    let Changed {
        message,
        changed,
        removed_files,
    } = store
        .change_message(chat_id, message_id, me, visible_from, change)
        .await
        .map_err(ApiError::from)?;
    // A deleted message's photos and files go with it.
    ctx.realtime.media.delete(removed_files).await;
    let watermarks = member_of.watermarks();
    if changed {
        // Only those who can read it hear of it, and a quote of what was
        // said before someone joined as they may read it.
        let (seq, quoted_seq) = (message.seq, message.quoted_seq);
        let (whole, quote_hidden): (Vec<&Member>, Vec<&Member>) = member_of
            .members
            .iter()
            .filter(|member| member.visible_from <= seq)
            .partition(|member| quoted_seq.is_none_or(|quoted| member.visible_from <= quoted));
        let ids = |members: Vec<&Member>| -> Vec<UserId> {
            members.iter().map(|member| member.user.id).collect()
        };
        let cluster = &ctx.realtime.cluster;
        if !quote_hidden.is_empty() {
            let hidden = message.clone().quote_as_read_from(Seq::MAX);
            cluster
                .emit_to_users(
                    &ids(quote_hidden),
                    &MessageUpdated(with_status(hidden, &watermarks)),
                )
                .await;
        }
        cluster
            .emit_to_users(
                &ids(whole),
                &MessageUpdated(with_status(message.clone(), &watermarks)),
            )
            .await;
    }
    Ok(with_status(
        message.quote_as_read_from(visible_from),
        &watermarks,
    ))
}
