//! Accounts deactivated elsewhere: an admin's request ends the person's
//! sockets on every node at once, but the command line (`parley admin
//! deactivate`) only has the database. So every node reads, every couple of
//! seconds, who was deactivated lately and ends their sockets here.

use super::{Realtime, Sessions};
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
                let rooms = users
                    .into_iter()
                    .flat_map(|user| Sessions::OfUser(user).rooms::<A>())
                    .collect();
                realtime
                    .sessions
                    .end_here(&realtime.cluster, rooms, SessionEndReason::Deactivated)
                    .await;
                since = looked - CLOCK_SLACK;
            }
            Err(error) => tracing::warn!(%error, "cannot read deactivated accounts"),
        }
    }
}
