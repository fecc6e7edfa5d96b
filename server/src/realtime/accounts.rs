//! Accounts deactivated elsewhere: an admin's request ends the person's
//! sockets on every node at once, but the command line (`parley admin
//! deactivate`) only has the database. So every node reads, every couple of
//! seconds, who was deactivated lately and ends their sockets here.

use super::{Cluster, Realtime};
use app::protocol::SessionEndReason;
use chrono::Utc;
use socketioxide::adapter::Adapter;
use std::time::Duration;

/// How often the database is asked.
const EVERY: Duration = Duration::from_secs(2);
/// Read back further than the last look: another machine's clock (the
/// command line's) may run a little behind. Ending them twice ends nothing.
const CLOCK_SLACK: chrono::Duration = chrono::Duration::seconds(30);

pub async fn watch_deactivations<A: Adapter>(realtime: Realtime<A>) {
    let mut since = Utc::now() - CLOCK_SLACK;
    let mut ticks = tokio::time::interval(EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let looked = Utc::now();
        match realtime.store.deactivated_since(since).await {
            Ok(users) => {
                if !users.is_empty() {
                    // First, so no socket is let in on a remembered session.
                    realtime.sessions.forget_all();
                }
                end(&realtime.cluster, &users).await;
                since = looked - CLOCK_SLACK;
            }
            Err(error) => tracing::warn!(%error, "cannot read deactivated accounts"),
        }
    }
}

async fn end<A: Adapter>(cluster: &Cluster<A>, users: &[app::model::UserId]) {
    let rooms = users.iter().map(|user| Cluster::<A>::user_room(*user));
    cluster
        .end_here(rooms.collect(), SessionEndReason::Deactivated)
        .await;
}
