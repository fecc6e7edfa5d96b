//! Live delivery between nodes (the Redis adapter), watched. Redis is asked
//! every half second, whether anything is being sent or not: asking is what
//! makes the connection notice it broke and build itself again (a node that
//! only listens would otherwise never find out). When Redis answers again
//! after it did not, every channel is subscribed again and every socket of
//! every node is told `resync`: messages stored meanwhile reached only the
//! sockets of the node they were sent on, and the clients fetch what they
//! missed (docs/PROTOCOL.md, "When a dependency fails").

use super::{Cluster, ReconnectingRedisDriver, SessionGate};
use crate::metrics::Metrics;
use app::protocol::Resync;
use socketioxide::adapter::Adapter;
use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};
use tokio::time::{Instant, MissedTickBehavior, interval, timeout};

/// How often Redis is asked, and how long an answer may take.
const EVERY: Duration = Duration::from_millis(500);
const PATIENCE: Duration = Duration::from_secs(1);

/// Whether live delivery between nodes works now: for `/readyz` (how often
/// it came back is counted once, in `Metrics::fan_out_healed`).
#[derive(Clone, Debug)]
pub struct FanOut(Arc<FanOutState>);

#[derive(Debug)]
struct FanOutState {
    up: AtomicBool,
}

impl Default for FanOut {
    fn default() -> Self {
        Self(Arc::new(FanOutState {
            up: AtomicBool::new(true),
        }))
    }
}

impl FanOut {
    pub fn is_up(&self) -> bool {
        self.0.up.load(Ordering::SeqCst)
    }
}

/// Watches Redis for as long as the node runs (see the module's docs).
pub async fn watch<A: Adapter>(
    driver: ReconnectingRedisDriver,
    cluster: Cluster<A>,
    fan_out: FanOut,
    sessions: SessionGate,
    metrics: Arc<Metrics>,
) {
    let mut every = interval(EVERY);
    every.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut down_since = None;
    loop {
        every.tick().await;
        let answers = driver.answers(PATIENCE).await;
        // A blink between two looks is an outage too, however short.
        if answers && down_since.is_none() && driver.broke() {
            down_since = Some(Instant::now());
        }
        match (down_since, answers) {
            (None, false) => {
                down_since = Some(Instant::now());
                fan_out.0.up.store(false, Ordering::SeqCst);
                metrics.redis(Some(false));
                tracing::warn!(
                    "live delivery between nodes is down: Redis does not answer; \
                     each node reaches only its own sockets until it does"
                );
            }
            (Some(since), true) => {
                let subscribed = timeout(PATIENCE, driver.subscribe_again()).await;
                if !subscribed.is_ok_and(|subscribed| subscribed.is_ok()) {
                    tracing::warn!("Redis is back but its channels are not yet: trying again");
                    continue;
                }
                down_since = None;
                // News of sessions ended meanwhile may be lost.
                sessions.forget_all();
                fan_out.0.up.store(true, Ordering::SeqCst);
                metrics.redis(Some(true));
                metrics.fan_out_healed();
                tracing::info!(
                    down_for = ?since.elapsed(),
                    "live delivery between nodes is back: every socket is told to catch up"
                );
                cluster.emit_to_everyone(&Resync {}).await;
            }
            _ => {}
        }
    }
}
