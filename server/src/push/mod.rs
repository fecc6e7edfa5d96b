//! Web Push (RFC 8030, 8291, 8292): telling people of a message while
//! Parley is closed.
//!
//! A message owes a push to each subscribed device of each member who does
//! not have the chat open; the message writer queues those in the
//! transaction that stores the message (`store/push.rs`), so a crash neither
//! loses one nor sends one twice. The node that stored it is nudged and
//! sends at once; every node also sweeps the queue now and then for pushes a
//! node that died left behind (each taken under a lease, see the store).
//!
//! # Layout
//!
//! - here: [`Pushes`], the nudge the rest of the server holds, and the
//!   sender's loop: take what is due, send each with bounded concurrency
//!   (per push service and in all), sweep;
//! - [`vapid`]: the instance's key pair, made once and kept in the database;
//! - [`endpoint`]: which endpoints a subscription may name (`https://` to a
//!   public address) and the resolver that holds every request to that;
//! - [`deliver`]: one push: what it says, encrypted and signed, sent, and
//!   what the service's answer means.

pub mod deliver;
pub mod endpoint;
pub mod vapid;

pub use deliver::Verdict;
pub use endpoint::{PushError, check_subscription};
pub use vapid::Vapid;

use crate::{
    metrics::Metrics,
    store::{PushKey, Store, now_ms},
};
use prometheus::IntCounterVec;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};
use tokio::{
    sync::{Notify, Semaphore},
    task::JoinHandle,
};

/// How long a node holds a push it took before anyone may take it again.
/// Longer than a send may take ([`deliver::TIMEOUT`]), with room to wait
/// for a turn.
const LEASE: Duration = Duration::from_secs(20);
/// How often every node looks for pushes left behind (a node that died
/// holding them, or a retry come due).
const SWEEP: Duration = Duration::from_secs(5);
/// Pushes sent at once by a node, in all and to one push service.
const IN_FLIGHT: usize = 64;
const PER_SERVICE: usize = 8;

/// Wakes this node's sender: the writer queued pushes.
#[derive(Clone, Default)]
pub struct Pushes {
    nudge: Arc<Notify>,
}

impl Pushes {
    pub fn nudge(&self) {
        self.nudge.notify_one();
    }
}

/// What the sender needs to know of the instance.
#[derive(Clone)]
pub struct PushConfig {
    /// VAPID's `sub`: who runs the instance.
    pub contact: String,
    /// `http://` loopback endpoints are taken (tests only).
    pub allow_http_loopback: bool,
}

/// This node's push sender.
struct Sender {
    store: Store,
    vapid: Arc<Vapid>,
    config: PushConfig,
    client: reqwest::Client,
    pushes: Pushes,
    in_flight: Arc<Semaphore>,
    services: Mutex<HashMap<String, Arc<Semaphore>>>,
    outcomes: IntCounterVec,
}

/// Starts this node's sender; it runs until the handle is aborted.
pub fn start(
    store: Store,
    vapid: Arc<Vapid>,
    config: PushConfig,
    pushes: Pushes,
    metrics: &Metrics,
) -> anyhow::Result<JoinHandle<()>> {
    let outcomes = IntCounterVec::new(
        prometheus::Opts::new(
            "pushes_total",
            "Web Push messages by outcome: sent, removed (the service no longer knows the device), failed (given up), retried, skipped (nothing to tell: deleted, muted, left)",
        ),
        &["outcome"],
    )?;
    metrics.register(outcomes.clone());
    let sender = Arc::new(Sender {
        client: endpoint::client(config.allow_http_loopback)?,
        store,
        vapid,
        config,
        pushes,
        in_flight: Arc::new(Semaphore::new(IN_FLIGHT)),
        services: Mutex::default(),
        outcomes,
    });
    Ok(tokio::spawn(sender.run()))
}

impl Sender {
    async fn run(self: Arc<Self>) {
        loop {
            self.send_what_is_due().await;
            tokio::select! {
                () = self.pushes.nudge.notified() => {}
                () = tokio::time::sleep(SWEEP) => {}
            }
        }
    }

    /// Takes due pushes (as many as may be sent at once) and sends each,
    /// until none is due.
    async fn send_what_is_due(self: &Arc<Self>) {
        loop {
            let room = self.in_flight.available_permits();
            if room == 0 {
                return;
            }
            let now = now_ms();
            let taken = match self
                .store
                .take_due_pushes(now, now + LEASE.as_millis() as i64, room as u64)
                .await
            {
                Ok(taken) => taken,
                Err(error) => {
                    tracing::warn!(%error, "cannot take pushes from the queue");
                    return;
                }
            };
            let all_of_them = taken.len() < room;
            for key in taken {
                let Ok(permit) = self.in_flight.clone().acquire_owned().await else {
                    return;
                };
                let sender = self.clone();
                let lease_until = now + LEASE.as_millis() as i64;
                tokio::spawn(async move {
                    sender.send(key, lease_until).await;
                    drop(permit);
                });
            }
            if all_of_them {
                return;
            }
        }
    }

    /// Sends one push taken until `lease_until`, and settles its row.
    async fn send(&self, key: PushKey, lease_until: i64) {
        let outcome = match deliver::one(self, key, lease_until).await {
            Ok(outcome) => outcome,
            Err(error) => {
                tracing::warn!(%error, "cannot send a push; it stays queued");
                return;
            }
        };
        self.outcomes.with_label_values(&[outcome.label()]).inc();
        if let deliver::Outcome::Retried(after) = outcome {
            let pushes = self.pushes.clone();
            tokio::spawn(async move {
                tokio::time::sleep(after).await;
                pushes.nudge();
            });
        }
    }

    /// The turns of one push service (by host): a few pushes at once each.
    fn service(&self, host: &str) -> Arc<Semaphore> {
        let mut services = self
            .services
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        services
            .entry(host.to_owned())
            .or_insert_with(|| Arc::new(Semaphore::new(PER_SERVICE)))
            .clone()
    }
}
