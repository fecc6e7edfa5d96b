//! Coming online and going away: delivered receipts and `presence`, announced
//! once per change of a user's state, however many sockets come and go.
//!
//! Sockets only report to the desk ("this user's sockets changed"); the desk
//! takes whatever is queued, once per user, and for each: looks up whether the
//! user has any socket on any node, moves what waited for them to delivered
//! (after a connect), and records the state in the database. The record is
//! shared by every node and changes only if the state did, so of all the
//! nodes and sockets involved exactly one announces each change. A burst of
//! 5 000 reconnecting sockets of 100 people costs 100 checks, not 5 000
//! announcements to every contact's socket; and a restart, which records
//! nothing, announces nothing when everyone is back.

use super::{Realtime, dispatch::Ctx, receipts::Audience, typing::announce_typing};
use crate::metrics::Metrics;
use app::{
    model::{LastSeenVisibility, UserId},
    protocol::{Presence, ReceiptKind},
};
use chrono::Utc;
use futures::{StreamExt, stream};
use socketioxide::adapter::Adapter;
use std::{collections::HashMap, sync::Arc, time::Duration};
use tokio::sync::mpsc;

/// Users checked at once.
const CONCURRENT_CHECKS: usize = 16;
/// Reports taken per round.
const ROUND: usize = 4096;

/// Where sockets report that a user's sockets changed; cheap to clone.
#[derive(Clone)]
pub struct PresenceDesk {
    queue: mpsc::UnboundedSender<Report>,
    metrics: Arc<Metrics>,
}

struct Report {
    user: UserId,
    /// A socket connected (not only went away): deliver what waited.
    connected: bool,
}

impl PresenceDesk {
    /// The desk and the queue it works from (see [`run`]).
    pub fn new(metrics: Arc<Metrics>) -> (Self, PresenceQueue) {
        let (desk, queue) = mpsc::unbounded_channel();
        (
            Self {
                queue: desk,
                metrics,
            },
            PresenceQueue(queue),
        )
    }

    fn report(&self, user: UserId, connected: bool) {
        // Closed only at shutdown, when there is nobody left to tell.
        if self.queue.send(Report { user, connected }).is_ok() {
            self.metrics.presence_reported();
        }
    }

    /// Users recorded online are checked again: after a restart or a node's
    /// crash, those who did not come back are announced offline.
    pub fn recheck(&self, users: impl IntoIterator<Item = UserId>) {
        for user in users {
            self.report(user, false);
        }
    }
}

pub struct PresenceQueue(mpsc::UnboundedReceiver<Report>);

/// Works through the reports until the server shuts down.
pub async fn run<A: Adapter>(realtime: Realtime<A>, mut queue: PresenceQueue) {
    let mut reports = Vec::with_capacity(ROUND);
    while queue.0.recv_many(&mut reports, ROUND).await > 0 {
        let count = reports.len();
        let mut users: HashMap<UserId, bool> = HashMap::new();
        for report in reports.drain(..) {
            *users.entry(report.user).or_default() |= report.connected;
        }
        stream::iter(users)
            .for_each_concurrent(CONCURRENT_CHECKS, |(user, connected)| {
                let realtime = realtime.clone();
                async move { settle(&realtime, user, connected).await }
            })
            .await;
        realtime.metrics.presence_settled(count);
    }
}

/// Checks the users recorded online every `every`, after a first wait as
/// long: time for everyone to come back after a restart.
pub async fn recheck_every<A: Adapter>(realtime: Realtime<A>, every: Duration) {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        ticks.tick().await;
        match realtime.store.recorded_online().await {
            Ok(users) => realtime.presence.recheck(users),
            Err(error) => tracing::warn!(%error, "cannot list who is recorded online"),
        }
    }
}

async fn settle<A: Adapter>(realtime: &Realtime<A>, user: UserId, connected: bool) {
    let online = realtime.cluster.is_online(user).await;
    if online && connected {
        deliver_waiting(realtime, user).await;
    }
    let now = Utc::now();
    let announced = match realtime.store.set_presence(user, online, now).await {
        Ok(true) => {
            let presence = Presence {
                user_id: user,
                online,
                last_seen_at: (!online).then_some(now),
            };
            announce_presence(realtime, presence).await;
            // Sockets may have come or gone between the look and the record:
            // if so, look again (the record then changes back, announced).
            if realtime.cluster.is_online(user).await != online {
                realtime.presence.report(user, false);
            }
            true
        }
        Ok(false) => false,
        Err(error) => {
            tracing::warn!(%error, user = %user, "cannot record presence");
            false
        }
    };
    realtime.metrics.presence_checked(announced);
}

/// Everything waiting for the user is now delivered (Harley's ✓ becomes ✓✓).
async fn deliver_waiting<A: Adapter>(realtime: &Realtime<A>, user: UserId) {
    let store = &realtime.store;
    let moved = match store.deliver_everything_to(user).await {
        Ok(moved) => moved,
        Err(error) => {
            tracing::warn!(%error, user = %user, "cannot mark messages delivered");
            return;
        }
    };
    if !moved.is_empty() {
        realtime.metrics.delivered_moved();
    }
    for (chat_id, up_to) in moved {
        let members = match store.member_ids(chat_id).await {
            Ok(members) => members,
            Err(error) => {
                tracing::warn!(%error, "cannot load members to announce delivery");
                continue;
            }
        };
        realtime
            .announce_receipt(
                chat_id,
                Audience::Chat { members: &members },
                user,
                ReceiptKind::Delivered,
                up_to,
                &[],
            )
            .await;
    }
}

/// Tells everyone who shares a chat with the user, except those the user
/// blocked, and without the last seen if the user keeps it to themselves.
async fn announce_presence<A: Adapter>(realtime: &Realtime<A>, mut presence: Presence) {
    let user = presence.user_id;
    let store = &realtime.store;
    let audience = async {
        let contacts = store.contacts_of(user).await?;
        let blocked = store.blocked_by(user).await?;
        let settings = store.settings(user).await?;
        Ok::<_, crate::store::StoreError>((contacts, blocked, settings))
    };
    match audience.await {
        Ok((contacts, blocked, settings)) => {
            if settings.last_seen == LastSeenVisibility::Nobody {
                presence.last_seen_at = None;
            }
            let told: Vec<UserId> = contacts
                .into_iter()
                .filter(|contact| !blocked.contains(contact))
                .collect();
            realtime.cluster.emit_to_users(&told, &presence).await
        }
        Err(error) => tracing::warn!(%error, "cannot load contacts to announce presence"),
    }
}

/// A socket of the user's connected.
pub fn came_online<A: Adapter>(ctx: &Ctx<A>) {
    if !ctx.realtime.lifecycle.is_closing() {
        ctx.realtime.presence.report(ctx.me().id, true);
    }
}

/// A socket went away: it stops typing, and the desk checks whether that was
/// the user's last socket on any node.
pub async fn went_away<A: Adapter>(ctx: Ctx<A>) {
    // Shutting down: the namespace is closing under us, and the record stays
    // as it is (everyone is about to reconnect to the next server).
    if !ctx.realtime.lifecycle.is_closing() {
        for chat_id in ctx.connection.stop_typing_everywhere() {
            announce_typing(&ctx, chat_id, false).await;
        }
        // Leave first, then report: the desk then cannot count this socket.
        ctx.socket.leave_all();
        ctx.realtime.presence.report(ctx.me().id, false);
    }
    ctx.realtime.metrics.socket_disconnected(ctx.me().id);
}
