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

use super::{FanOut, Realtime, dispatch::Ctx, receipts::Audience, typing::announce_typing};
use crate::metrics::Metrics;
use app::{
    model::{LastSeenVisibility, UserId},
    protocol::{Presence, ReceiptKind},
};
use chrono::Utc;
use futures::{StreamExt, stream};
use socketioxide::adapter::Adapter;
use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Duration,
};
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
    /// With several nodes: whether they see each other's sockets.
    fan_out: Option<FanOut>,
}

struct Report {
    user: UserId,
    /// A socket connected (not only went away): deliver what waited.
    connected: bool,
}

impl PresenceDesk {
    /// The desk and the queue it works from (see [`run`]).
    pub fn new(metrics: Arc<Metrics>, fan_out: Option<FanOut>) -> (Self, PresenceQueue) {
        let (desk, queue) = mpsc::unbounded_channel();
        (
            Self {
                queue: desk,
                metrics,
                fan_out,
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

/// What one round heard of a person's sockets on this node.
#[derive(Default)]
struct Heard {
    came: bool,
    left: bool,
}

/// People the desk found online on account of a socket of theirs here that
/// has not left since: a report that another socket of theirs came changes
/// nothing (their record says online, nothing waited for them), so it costs
/// no check. A person's fifty tabs reconnecting after a restart are one
/// check, not fifty.
///
/// Why that holds: reports are taken in the order they were made, and a
/// socket reports when it leaves; so until a leave of theirs is taken, the
/// socket that made them "found online" is still here, and every node's
/// look saw them online all along. Unless the nodes could not see each
/// other: while Redis is down, or if it was since the last round, the desk
/// forgets everyone and checks every report.
#[derive(Default)]
struct FoundOnline {
    people: HashSet<UserId>,
    /// Redis' heals as of the last round (`Metrics::fan_out_heals`).
    heals: u64,
}

impl FoundOnline {
    /// Forgets everyone if the nodes may have lost sight of each other.
    fn trust(&mut self, fan_out: Option<&FanOut>, heals: u64) -> bool {
        let whole = fan_out.is_none_or(FanOut::is_up) && heals == self.heals;
        if !whole {
            self.people.clear();
            self.heals = heals;
        }
        whole
    }
}

/// Works through the reports until the server shuts down.
pub async fn run<A: Adapter>(realtime: Realtime<A>, mut queue: PresenceQueue) {
    let mut reports = Vec::with_capacity(ROUND);
    let mut found = FoundOnline {
        heals: realtime.metrics.fan_out_heals(),
        ..Default::default()
    };
    while queue.0.recv_many(&mut reports, ROUND).await > 0 {
        let count = reports.len();
        let trusted = found.trust(
            realtime.presence.fan_out.as_ref(),
            realtime.metrics.fan_out_heals(),
        );
        let mut users: HashMap<UserId, Heard> = HashMap::new();
        for report in reports.drain(..) {
            let heard = users.entry(report.user).or_default();
            heard.came |= report.connected;
            heard.left |= !report.connected;
        }
        users.retain(|user, heard| {
            if heard.left {
                found.people.remove(user);
            }
            heard.left || !found.people.contains(user)
        });
        let settled: Vec<(UserId, bool)> = stream::iter(users)
            .map(|(user, heard)| {
                let realtime = realtime.clone();
                async move {
                    let online = settle(&realtime, user, heard.came).await;
                    // Only a round that heard nothing leave: then the socket
                    // that came is here (a leave would be in this round or a
                    // later one, which forgets them).
                    (user, online && !heard.left)
                }
            })
            .buffer_unordered(CONCURRENT_CHECKS)
            .collect()
            .await;
        if trusted {
            found.people.extend(
                settled
                    .into_iter()
                    .filter_map(|(user, here)| here.then_some(user)),
            );
        }
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

/// Looks, delivers, records and announces; whether the user was online.
async fn settle<A: Adapter>(realtime: &Realtime<A>, user: UserId, connected: bool) -> bool {
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
    online
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
