//! `getSettings`, `updateSettings`, `blockUser` and `updateChatPrefs`: what
//! people control about themselves.

use super::{Cluster, access::Access, dispatch::Ctx};
use crate::store::PrefsChange;
use app::{
    model::{ChatSummary, LastSeenVisibility::Nobody, Settings},
    protocol::{
        ApiError, BlockUser, Done, ErrorCode, GetSettings, Presence, UpdateChatPrefs,
        UpdateSettings,
    },
};
use socketioxide::adapter::Adapter;

pub async fn get_settings<A: Adapter>(ctx: Ctx<A>, _: GetSettings) -> Result<Settings, ApiError> {
    Ok(ctx.realtime.store.settings(ctx.me().id).await?)
}

pub async fn update_settings<A: Adapter>(
    ctx: Ctx<A>,
    request: UpdateSettings,
) -> Result<Settings, ApiError> {
    let store = &ctx.realtime.store;
    let me = ctx.me().id;
    let mut settings = store.settings(me).await?;
    if let Some(on) = request.read_receipts {
        settings.read_receipts = on;
    }
    if let Some(on) = request.typing_indicators {
        settings.typing_indicators = on;
    }
    if let Some(last_seen) = request.last_seen {
        settings.last_seen = last_seen;
    }
    if let Some(group_adds) = request.group_adds {
        settings.group_adds = group_adds;
    }
    if let Some(on) = request.notification_preview {
        settings.notification_preview = on;
    }
    if let Some(photo) = request.profile_photo {
        settings.profile_photo = photo;
    }
    store.set_settings(me, settings).await?;
    Ok(settings)
}

pub async fn block_user<A: Adapter>(ctx: Ctx<A>, request: BlockUser) -> Result<Done, ApiError> {
    let me = ctx.me().id;
    let them = request.user_id;
    let store = &ctx.realtime.store;
    if them == me {
        return Err(ApiError::new(
            ErrorCode::BadRequest,
            "you cannot block yourself",
        ));
    }
    if store.user(them).await?.is_none() {
        return Err(ApiError::new(ErrorCode::UserNotFound, "no such user"));
    }
    store.set_blocked(me, them, request.blocked).await?;
    let cluster = &ctx.realtime.cluster;
    let room = vec![Cluster::<A>::blocked_by_room(me)];
    cluster.move_user_sockets(them, room, request.blocked).await;
    let room = vec![Cluster::<A>::blocking_room(them)];
    cluster.move_user_sockets(me, room, request.blocked).await;
    // What they see of me changes at once: hidden when blocked, as it is
    // when unblocked.
    let online = !request.blocked && cluster.is_online(me).await;
    let settings = store.settings(me).await?;
    let last_seen_at = if online || request.blocked || settings.last_seen == Nobody {
        None
    } else {
        store.user(me).await?.and_then(|user| user.last_seen_at)
    };
    let presence = Presence {
        user_id: me,
        online,
        last_seen_at,
    };
    cluster.emit_to_users(&[them], &presence).await;
    if let Some(chat) = store.direct_chat_between(me, them).await? {
        let members = store.members(chat.id).await?;
        ctx.realtime.announce_chat(&chat, &members, &[me]).await;
    }
    Ok(Done {})
}

pub async fn update_chat_prefs<A: Adapter>(
    ctx: Ctx<A>,
    request: UpdateChatPrefs,
) -> Result<ChatSummary, ApiError> {
    let me = ctx.me().id;
    let member_of = ctx.member_of(request.chat_id, Access::Read).await?;
    let change = PrefsChange {
        muted: request.muted,
        pinned: request.pinned,
        archived: request.archived,
        marked_unread: request.marked_unread,
    };
    let store = &ctx.realtime.store;
    store
        .set_chat_prefs(request.chat_id, me, change)
        .await
        .map_err(ApiError::from)?;
    let realtime = &ctx.realtime;
    // Every device of mine follows, this one included (it gets the ack too).
    realtime
        .announce_chat(&member_of.chat, &member_of.members, &[me])
        .await;
    let mine = store.membership(request.chat_id, me).await?;
    let online = realtime.online_in(&member_of.members).await;
    realtime
        .summary(&member_of.chat, &member_of.members, me, mine, &online)
        .await
}
