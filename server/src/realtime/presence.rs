//! Coming online and going away: delivered receipts and `presence`.

use super::{dispatch::Ctx, typing::announce_typing, views::Audience};
use app::protocol::{Presence, ReceiptKind};
use chrono::Utc;
use socketioxide::adapter::Adapter;

/// A socket of the user's connected: everything waiting for them is now
/// delivered (Harley's ✓ becomes ✓✓), and their contacts see them online.
pub async fn came_online<A: Adapter>(ctx: Ctx<A>) {
    let me = ctx.me().id;
    let store = &ctx.realtime.store;
    match store.deliver_everything_to(me).await {
        Ok(moved) => {
            for (chat_id, up_to) in moved {
                let members = match store.receipts(chat_id).await {
                    Ok(receipts) => receipts
                        .into_iter()
                        .map(|receipt| receipt.user_id)
                        .collect::<Vec<_>>(),
                    Err(error) => {
                        tracing::warn!(%error, "cannot load members to announce delivery");
                        continue;
                    }
                };
                ctx.realtime
                    .announce_receipt(
                        chat_id,
                        Audience::Chat { members: &members },
                        me,
                        ReceiptKind::Delivered,
                        up_to,
                    )
                    .await;
            }
        }
        Err(error) => tracing::warn!(%error, user = %me, "cannot mark messages delivered"),
    }
    // Every connect says so (a second tab changes nothing for the receivers), so
    // two tabs connecting at once cannot both stay silent.
    announce_presence(
        &ctx,
        Presence {
            user_id: me,
            online: true,
            last_seen_at: None,
        },
    )
    .await;
}

/// A socket went away: it stops typing, and if it was the user's last socket on
/// any node, the user goes offline.
pub async fn went_away<A: Adapter>(ctx: Ctx<A>) {
    settle_departure(&ctx).await;
    // Last: a test (or an operator) reading this count knows the departure
    // has been announced.
    ctx.realtime.metrics.socket_disconnected(ctx.me().id);
}

async fn settle_departure<A: Adapter>(ctx: &Ctx<A>) {
    for chat_id in ctx.connection.stop_typing_everywhere() {
        announce_typing(ctx, chat_id, false).await;
    }
    // Leave first, then look: of two sockets closing at once, the later one is
    // sure to see none left.
    ctx.socket.leave_all();
    let me = ctx.me().id;
    if ctx.realtime.cluster.is_online(me).await {
        return;
    }
    let now = Utc::now();
    if let Err(error) = ctx.realtime.store.set_last_seen(me, now).await {
        tracing::warn!(%error, user = %me, "cannot store last seen");
    }
    announce_presence(
        ctx,
        Presence {
            user_id: me,
            online: false,
            last_seen_at: Some(now),
        },
    )
    .await;
}

async fn announce_presence<A: Adapter>(ctx: &Ctx<A>, presence: Presence) {
    match ctx.realtime.store.contacts_of(presence.user_id).await {
        Ok(contacts) => {
            ctx.realtime
                .cluster
                .emit_to_users(&contacts, &presence)
                .await
        }
        Err(error) => tracing::warn!(%error, "cannot load contacts to announce presence"),
    }
}
