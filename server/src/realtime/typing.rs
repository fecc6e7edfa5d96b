//! `typing`: relayed to the chat's room, never stored.

use super::{Cluster, access::Access, dispatch::Ctx};
use app::{
    model::ChatId,
    protocol::{ApiError, Done, ShowTyping, Typing},
};
use socketioxide::adapter::Adapter;

pub async fn typing<A: Adapter>(ctx: Ctx<A>, request: Typing) -> Result<Done, ApiError> {
    ctx.members_as_member(request.chat_id, Access::Reach)
        .await?;
    // Kept to oneself: nobody hears it (and so nothing to stop later).
    if !ctx
        .realtime
        .store
        .settings(ctx.me().id)
        .await?
        .typing_indicators
    {
        return Ok(Done {});
    }
    ctx.connection
        .set_typing(request.chat_id, request.is_typing);
    announce_typing(&ctx, request.chat_id, request.is_typing).await;
    Ok(Done {})
}

/// Tells everyone with the chat open, except this socket, that its user is (or
/// is no longer) typing.
pub async fn announce_typing<A: Adapter>(ctx: &Ctx<A>, chat_id: ChatId, is_typing: bool) {
    let me = ctx.me();
    let event = ShowTyping {
        chat_id,
        user_id: me.id,
        username: me.username.clone(),
        is_typing,
    };
    let room = Cluster::<A>::chat_room(chat_id);
    ctx.realtime
        .cluster
        .emit_to_room_except(&ctx.socket, room, &event)
        .await;
}
