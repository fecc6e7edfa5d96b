//! One session look-up per sign-in in a burst of sockets, not one per socket.
//!
//! After a restart every person's tabs and devices come back at once, each
//! socket with the same token. This node remembers, for a short while
//! ([`KEEP`]), the sessions it looked up; concurrent handshakes with one token
//! share one look-up, and the sockets that follow are let in on its answer.
//!
//! Why that cannot let an ended session through:
//! - Any session ending anywhere makes every node forget everything it
//!   remembered, *before* that node ends the session's sockets: the node that
//!   ends it forgets and ends them at once, and tells the others (over Redis,
//!   [`NEWS`]); each node that hears it forgets, then ends them there.
//!   While Redis is not answering (news may be lost) nothing is remembered,
//!   and when it answers again everything is forgotten.
//! - A socket let in on a remembered answer joins its user's and session's
//!   rooms first, then is confirmed: if anything was forgotten since its
//!   answer was taken, the database is asked again. So either it is refused,
//!   or it was in those rooms before they were disconnected here.
//! - An answer is kept no longer than the session lasts, nor than [`KEEP`];
//!   a refusal is never kept (random tokens take no memory).

use super::{Cluster, ReconnectingRedisDriver, SessionSockets, Sessions, fanout::FanOut};
use crate::{
    auth::{AuthError, AuthService, SessionToken},
    store::LiveSession,
};
use app::protocol::SessionEndReason;
use chrono::{DateTime, Utc};
use futures::{StreamExt, future::BoxFuture};
use prometheus::IntCounter;
use serde::{Deserialize, Serialize};
use socketioxide::adapter::Adapter;
use socketioxide_redis::drivers::Driver;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
};
use tokio::sync::OnceCell;

/// How long a looked-up session is taken on its word (a burst's length, with
/// room to spare; ending a session forgets it at once).
const KEEP: chrono::Duration = chrono::Duration::seconds(30);
/// Sessions remembered at most; past that, the stale ones go (or all).
const CAPACITY: usize = 50_000;
/// The Redis channel that tells every node a session ended.
pub const NEWS: &str = "parley:sessions-ended";

/// Sessions this node looked up lately; cheap to clone.
#[derive(Clone)]
pub struct SessionGate(Arc<Gate>);

struct Gate {
    known: Mutex<Known>,
    /// Look-ups in the database (`parley_session_lookups_total`).
    lookups: IntCounter,
    /// With several nodes: whether news of ended sessions reaches this one.
    fan_out: Option<FanOut>,
}

#[derive(Default)]
struct Known {
    /// Moves each time everything is forgotten.
    epoch: u64,
    sessions: HashMap<String, Arc<OnceCell<Remembered>>>,
}

#[derive(Clone)]
struct Remembered {
    session: LiveSession,
    until: DateTime<Utc>,
}

/// A session as the gate found it, to be confirmed once the socket is in its
/// rooms (see [`SessionGate::confirm`]).
pub struct Checked {
    pub session: LiveSession,
    epoch: u64,
}

/// A session's end as told to every node: which sockets it ends, and why.
#[derive(Serialize, Deserialize)]
struct Ended {
    rooms: Vec<String>,
    reason: SessionEndReason,
}

impl SessionGate {
    /// `fan_out` when nodes share Redis: nothing is remembered while it is down.
    pub fn new(lookups: IntCounter, fan_out: Option<FanOut>) -> Self {
        Self(Arc::new(Gate {
            known: Mutex::default(),
            lookups,
            fan_out,
        }))
    }

    /// The session `token` opens, remembered or looked up (once for all the
    /// handshakes asking at the same time).
    pub async fn check(
        &self,
        auth: &AuthService,
        token: &SessionToken,
    ) -> Result<Checked, AuthError> {
        let now = Utc::now();
        let hash = token.hash();
        let (cell, epoch) = self.entry(&hash, now);
        let looked_up = cell
            .get_or_try_init(|| async {
                self.0.lookups.inc();
                let session = auth.session(token).await?;
                let until = session.expires_at.min(now + KEEP);
                Ok::<_, AuthError>(Remembered { session, until })
            })
            .await;
        match looked_up {
            Ok(remembered) => Ok(Checked {
                session: remembered.session.clone(),
                epoch,
            }),
            Err(refused) => {
                self.drop_unanswered(&hash, &cell);
                Err(refused)
            }
        }
    }

    /// Confirms a checked session for a socket that is now in its rooms: as
    /// it was, unless something was forgotten meanwhile (then, the database).
    pub async fn confirm(
        &self,
        auth: &AuthService,
        token: &SessionToken,
        checked: &Checked,
    ) -> Result<(), AuthError> {
        if self.known().epoch == checked.epoch {
            return Ok(());
        }
        self.0.lookups.inc();
        auth.session(token).await.map(|_| ())
    }

    /// A session ended somewhere: nothing remembered holds any more.
    pub fn forget_all(&self) {
        let mut known = self.known();
        known.epoch += 1;
        known.sessions.clear();
    }

    /// Ends the sockets in `rooms` on this node, having first forgotten every
    /// session remembered, so that none is let in on an answer from before
    /// the end: the one way a node ends sessions' sockets.
    pub async fn end_here<A: Adapter>(
        &self,
        cluster: &Cluster<A>,
        rooms: Vec<String>,
        reason: SessionEndReason,
    ) {
        if rooms.is_empty() {
            return;
        }
        self.forget_all();
        cluster.end_here(rooms, reason).await;
    }

    /// The cell for `hash`: a live answer, one being looked up, or a new one.
    fn entry(&self, hash: &str, now: DateTime<Utc>) -> (Arc<OnceCell<Remembered>>, u64) {
        let news_lost = self.0.fan_out.as_ref().is_some_and(|f| !f.is_up());
        let mut known = self.known();
        if news_lost {
            known.epoch += 1;
            known.sessions.clear();
            return (Arc::default(), known.epoch);
        }
        if known.sessions.len() >= CAPACITY {
            known.sessions.retain(|_, cell| fresh(cell, now));
            if known.sessions.len() >= CAPACITY {
                known.sessions.clear();
            }
        }
        let epoch = known.epoch;
        let cell = known.sessions.entry(hash.to_owned()).or_default();
        if cell.initialized() && !fresh(cell, now) {
            *cell = Arc::default();
        }
        (cell.clone(), epoch)
    }

    /// A refused (or failed) look-up leaves nothing behind.
    fn drop_unanswered(&self, hash: &str, cell: &Arc<OnceCell<Remembered>>) {
        let mut known = self.known();
        if known
            .sessions
            .get(hash)
            .is_some_and(|kept| Arc::ptr_eq(kept, cell) && !kept.initialized())
        {
            known.sessions.remove(hash);
        }
    }

    fn known(&self) -> MutexGuard<'_, Known> {
        // Nothing here panics while holding the lock; if it ever did, what
        // was remembered is forgotten rather than trusted.
        self.0.known.lock().unwrap_or_else(|poisoned| {
            let mut known = poisoned.into_inner();
            known.epoch += 1;
            known.sessions.clear();
            known
        })
    }
}

fn fresh(cell: &OnceCell<Remembered>, now: DateTime<Utc>) -> bool {
    cell.get().is_none_or(|remembered| remembered.until > now)
}

/// Tells every node (this one too) that the sessions whose sockets are in
/// `rooms` ended: each forgets what it remembered, then ends those sockets.
async fn tell_ended(driver: &ReconnectingRedisDriver, ended: &Ended) -> bool {
    let Ok(news) = serde_json::to_vec(ended) else {
        return false;
    };
    driver.publish(NEWS.to_owned(), news).await.is_ok()
}

/// Hears of sessions ended on any node, for as long as the node runs.
pub async fn hear_ended<A: Adapter>(
    driver: ReconnectingRedisDriver,
    gate: SessionGate,
    cluster: Cluster<A>,
) {
    let mut news = match driver.subscribe(NEWS.to_owned(), 1024).await {
        Ok(news) => news,
        Err(error) => {
            tracing::error!(%error, "cannot hear of sessions ended on other nodes");
            return;
        }
    };
    while let Some((_, payload)) = news.next().await {
        match serde_json::from_slice::<Ended>(&payload) {
            Ok(ended) => gate.end_here(&cluster, ended.rooms, ended.reason).await,
            Err(error) => {
                // Some session ended, we cannot tell which.
                gate.forget_all();
                tracing::warn!(%error, "unreadable news of ended sessions");
            }
        }
    }
}

/// Ending sessions, for the HTTP side (sign-out, password change,
/// deactivation): this node forgets and ends their sockets here, and every
/// other node hears of it to do the same (see the module).
pub struct SessionEnds<A: Adapter> {
    cluster: Cluster<A>,
    gate: SessionGate,
    news: Option<ReconnectingRedisDriver>,
}

impl<A: Adapter> SessionEnds<A> {
    pub fn new(
        cluster: Cluster<A>,
        gate: SessionGate,
        news: Option<ReconnectingRedisDriver>,
    ) -> Self {
        Self {
            cluster,
            gate,
            news,
        }
    }
}

impl<A: Adapter> SessionSockets for SessionEnds<A> {
    fn end(&self, sessions: Sessions, reason: SessionEndReason) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            let rooms = sessions.rooms::<A>();
            self.gate
                .end_here(&self.cluster, rooms.clone(), reason)
                .await;
            if let Some(driver) = &self.news
                && !tell_ended(driver, &Ended { rooms, reason }).await
            {
                // Then Redis is down: every node stops remembering until it
                // answers again, and forgets everything when it does. Their
                // sockets of the session stay until they reconnect.
                tracing::warn!("cannot tell the other nodes that a session ended");
            }
        })
    }

    fn connected(&self) -> BoxFuture<'_, usize> {
        Box::pin(self.cluster.connected())
    }
}
