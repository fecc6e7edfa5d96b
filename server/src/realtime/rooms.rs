//! `joinRoom`, `leaveRoom`, `markSeen` and `history`: opening a chat, closing
//! it, reading it.

use super::{
    Cluster,
    access::{Access, MemberOf},
    dispatch::Ctx,
    projection::{receipts_for, with_statuses},
    receipts::Audience,
    typing::announce_typing,
};
use crate::store::Page;
use app::{
    model::{Message, Seq, UserId},
    protocol::{
        ApiError, Done, ErrorCode, History, JoinRoom, LeaveRoom, MarkSeen, ReceiptKind, RoomJoined,
    },
    status::raise_receipt,
};
use socketioxide::adapter::Adapter;

pub async fn join_room<A: Adapter>(ctx: Ctx<A>, request: JoinRoom) -> Result<RoomJoined, ApiError> {
    let mut member_of = ctx.member_of(request.chat_id, Access::Read).await?;
    let me = ctx.me().id;
    ctx.socket.join([
        Cluster::<A>::chat_room(request.chat_id),
        Cluster::<A>::viewer_room(request.chat_id, me),
    ]);
    // Read after joining the room: a message sent meanwhile either found
    // this socket in the room (and landed seen) or committed before this read
    // (and is marked seen here); the browser marks a direct one that slips
    // between the two (`Live::see_if_missed`).
    let last_seq = ctx
        .realtime
        .store
        .chat(request.chat_id)
        .await?
        .map_or(member_of.chat.last_seq, |chat| chat.last_seq);
    mark_seen_up_to(&ctx, &mut member_of, last_seq).await?;
    let store = &ctx.realtime.store;
    // Opening the chat is reading it: it is no longer marked unread, on any
    // of the reader's devices.
    if store.clear_marked_unread(request.chat_id, me).await? {
        ctx.realtime
            .announce_chat(&member_of.chat, &member_of.members, &[me])
            .await;
    }
    opened(&ctx.realtime, &member_of, me).await
}

/// The chat as `me` opens it: its latest page with everyone's ticks. The
/// answer to `joinRoom`, and the open chat in a page's first HTML.
pub async fn opened<A: Adapter>(
    realtime: &super::Realtime<A>,
    member_of: &MemberOf,
    me: UserId,
) -> Result<RoomJoined, ApiError> {
    let watermarks = member_of.watermarks();
    let messages = realtime
        .store
        .messages(
            member_of.chat.id,
            Page::Latest,
            RoomJoined::PAGE as u64,
            member_of.visible_from(me),
        )
        .await?;
    Ok(RoomJoined {
        chat: realtime
            .chat_view(&member_of.chat, &member_of.members, me)
            .await,
        messages: with_statuses(messages, &watermarks),
        receipts: receipts_for(&watermarks, me),
    })
}

pub async fn leave_room<A: Adapter>(ctx: Ctx<A>, request: LeaveRoom) -> Result<Done, ApiError> {
    ctx.members_as_member(request.chat_id, Access::Read).await?;
    let me = ctx.me().id;
    ctx.socket.leave([
        Cluster::<A>::chat_room(request.chat_id),
        Cluster::<A>::viewer_room(request.chat_id, me),
    ]);
    if ctx.connection.stop_typing(request.chat_id) {
        announce_typing(&ctx, request.chat_id, false).await;
    }
    Ok(Done {})
}

pub async fn mark_seen<A: Adapter>(ctx: Ctx<A>, request: MarkSeen) -> Result<Done, ApiError> {
    let mut member_of = ctx.member_of(request.chat_id, Access::Read).await?;
    // Nobody can have seen what does not exist yet.
    let up_to = request.seq.min(member_of.chat.last_seq);
    mark_seen_up_to(&ctx, &mut member_of, up_to).await?;
    Ok(Done {})
}

/// Advances the user's seen watermark (and delivered with it), announces it if
/// it moved, and keeps `member_of`'s receipts in step.
async fn mark_seen_up_to<A: Adapter>(
    ctx: &Ctx<A>,
    member_of: &mut MemberOf,
    up_to: Seq,
) -> Result<(), ApiError> {
    if up_to < 1 {
        return Ok(());
    }
    let me = ctx.me().id;
    let chat_id = member_of.chat.id;
    let moved = ctx
        .realtime
        .store
        .advance_receipt(chat_id, me, ReceiptKind::Seen, up_to)
        .await?;
    if let Some(receipt) = member_of
        .members
        .iter_mut()
        .find(|member| member.user.id == me)
        .map(|m| &mut m.receipt)
    {
        raise_receipt(receipt, ReceiptKind::Seen, up_to);
    }
    if let Some(kind) = moved {
        ctx.realtime
            .announce_receipt(
                chat_id,
                Audience::Chat {
                    members: &member_of.member_ids(),
                },
                me,
                kind,
                up_to,
                &member_of.watermarks().private,
            )
            .await;
    }
    Ok(())
}

fn alone(what: &str) -> ApiError {
    ApiError::new(
        ErrorCode::BadRequest,
        format!("{what} goes alone, without beforeSeq, afterSeq or another page"),
    )
}

pub async fn history<A: Adapter>(ctx: Ctx<A>, request: History) -> Result<Vec<Message>, ApiError> {
    let member_of = ctx.member_of(request.chat_id, Access::Read).await?;
    let limit = request.limit.unwrap_or(History::DEFAULT_LIMIT);
    if limit == 0 {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "limit must be at least 1",
        ));
    }
    let limit = u64::from(limit.min(History::MAX_LIMIT));
    let page = match (
        request.around_seq,
        request.changed_after,
        request.before_seq,
        request.after_seq,
    ) {
        (Some(seq), None, None, None) => Page::Around(seq),
        (Some(_), ..) => return Err(alone("aroundSeq")),
        (None, Some(version), None, None) => Page::ChangedAfter(version),
        (None, Some(_), ..) => return Err(alone("changedAfter")),
        (None, None, None, None) => Page::Latest,
        (None, None, Some(before), None) => Page::Before(before),
        (None, None, before, Some(after)) => Page::After { after, before },
    };
    let from = member_of.visible_from(ctx.me().id);
    let messages = ctx
        .realtime
        .store
        .messages(request.chat_id, page, limit, from)
        .await?;
    Ok(with_statuses(messages, &member_of.watermarks()))
}
