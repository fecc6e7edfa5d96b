//! Prometheus metrics, served at `GET /metrics`. Each server has a registry of
//! its own (not a process-wide one), so servers sharing a process, as the
//! tests' do, never mix their counts. Figures are this node's; a Prometheus
//! scraping every node sums them.

use app::model::UserId;
use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};
use std::{collections::HashMap, sync::Mutex, time::Duration};

/// An upload being read (see [`Metrics::upload_receiving`]).
pub struct Receiving<'a>(&'a IntGauge);

impl Drop for Receiving<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

pub struct Metrics {
    registry: Registry,
    sockets_connected: IntGauge,
    users_online: IntGauge,
    /// Sockets per user on this node, behind `users_online`.
    sockets_of: Mutex<HashMap<UserId, usize>>,
    socket_disconnects: IntCounter,
    presence_checks: IntCounter,
    presence_announced: IntCounter,
    presence_pending: IntGauge,
    presence_reports: IntCounter,
    events: IntCounterVec,
    statements: IntCounterVec,
    event_seconds: HistogramVec,
    handshake_seconds: Histogram,
    message_commit: Histogram,
    db_connections: IntGaugeVec,
    db_unavailable: IntCounter,
    redis_up: IntGauge,
    fan_out_heals: IntCounter,
    uploads_receiving: IntGauge,
    room_lookups: IntCounter,
    session_lookups: IntCounter,
    delivered_moves: IntCounter,
    pushes_queued: IntCounter,
}

/// From a quarter of a millisecond to seconds: what a person can tell apart.
const LATENCY_BUCKETS: [f64; 13] = [
    0.000_25, 0.000_5, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// Registers `metric` and hands it back. Every name here is a literal that
/// is valid and registered once, so registering cannot fail.
fn registered<M: prometheus::core::Collector + Clone + 'static>(
    registry: &Registry,
    metric: prometheus::Result<M>,
) -> M {
    let metric = metric.expect("a valid metric definition");
    registry
        .register(Box::new(metric.clone()))
        .expect("each metric is registered once");
    metric
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new_custom(Some("parley".into()), None).unwrap_or_default();
        let r = &registry;
        Self {
            presence_checks: registered(
                r,
                IntCounter::new(
                    "presence_checks_total",
                    "Users whose presence this node checked after sockets came or went",
                ),
            ),
            presence_pending: registered(
                r,
                IntGauge::new(
                    "presence_pending",
                    "Reports of sockets come or gone that the presence desk has yet to settle",
                ),
            ),
            presence_reports: registered(
                r,
                IntCounter::new(
                    "presence_reports_total",
                    "Reports of sockets come or gone that the presence desk settled (a report costs a check only if it may change something)",
                ),
            ),
            presence_announced: registered(
                r,
                IntCounter::new(
                    "presence_announced_total",
                    "Changes of presence this node announced (one per change, cluster-wide)",
                ),
            ),
            sockets_connected: registered(
                r,
                IntGauge::new(
                    "sockets_connected",
                    "Socket.IO connections open on this node",
                ),
            ),
            users_online: registered(
                r,
                IntGauge::new(
                    "users_online",
                    "Users with at least one socket on this node",
                ),
            ),
            sockets_of: Mutex::default(),
            socket_disconnects: registered(
                r,
                IntCounter::new(
                    "socket_disconnects_total",
                    "Sockets whose disconnect (presence, typing) has been handled",
                ),
            ),
            events: registered(
                r,
                IntCounterVec::new(
                    Opts::new(
                        "events_total",
                        "Socket.IO events handled, by name and outcome",
                    ),
                    &["event", "outcome"],
                ),
            ),
            statements: registered(
                r,
                IntCounterVec::new(
                    Opts::new(
                        "event_statements_total",
                        "SQL statements socket events ran, by event (divide by events_total)",
                    ),
                    &["event"],
                ),
            ),
            event_seconds: registered(
                r,
                HistogramVec::new(
                    HistogramOpts::new(
                        "event_seconds",
                        "Server time of a socket event, from its payload read to its ack, by event",
                    )
                    .buckets(LATENCY_BUCKETS.to_vec()),
                    &["event"],
                ),
            ),
            handshake_seconds: registered(
                r,
                Histogram::with_opts(
                    HistogramOpts::new(
                        "handshake_seconds",
                        "Server time of a socket handshake (session, share, blocks), let in or refused",
                    )
                    .buckets(LATENCY_BUCKETS.to_vec()),
                ),
            ),
            message_commit: registered(
                r,
                Histogram::with_opts(
                    HistogramOpts::new(
                        "message_commit_seconds",
                        "Time to store a message with the watermarks it moves",
                    )
                    .buckets(LATENCY_BUCKETS.to_vec()),
                ),
            ),
            db_connections: registered(
                r,
                IntGaugeVec::new(
                    Opts::new(
                        "db_connections",
                        "Database pool connections, by pool and state",
                    ),
                    &["pool", "state"],
                ),
            ),
            db_unavailable: registered(
                r,
                IntCounter::new(
                    "db_unavailable_total",
                    "Requests that found no database connection in time (pool waits that gave up)",
                ),
            ),
            redis_up: registered(
                r,
                IntGauge::new(
                    "redis_up",
                    "1 when the Redis adapter answers, 0 when it does not, -1 when not configured",
                ),
            ),
            fan_out_heals: registered(
                r,
                IntCounter::new(
                    "redis_heals_total",
                    "Times live delivery between nodes came back after Redis stopped answering (every socket was told to resync)",
                ),
            ),
            uploads_receiving: registered(
                r,
                IntGauge::new(
                    "uploads_receiving",
                    "Uploads whose bytes this node is reading now (each person's wait their turn)",
                ),
            ),
            room_lookups: registered(
                r,
                IntCounter::new(
                    "room_lookups_total",
                    "Times this node counted a room's sockets (is someone online, in a chat)",
                ),
            ),
            session_lookups: registered(
                r,
                IntCounter::new(
                    "session_lookups_total",
                    "Sessions this node looked up in the database for sockets' handshakes (one per sign-in in a burst)",
                ),
            ),
            delivered_moves: registered(
                r,
                IntCounter::new(
                    "delivered_moves_total",
                    "People whose waiting messages became delivered as they came online (one per person, however many sockets)",
                ),
            ),
            pushes_queued: registered(
                r,
                IntCounter::new(
                    "pushes_queued_total",
                    "Web Push messages queued with the messages that owe them (one per device of each member without the chat open)",
                ),
            ),
            registry,
        }
    }

    pub fn pushes_queued(&self, count: u64) {
        self.pushes_queued.inc_by(count);
    }

    /// The counter the cluster counts its room look-ups on.
    pub fn room_lookups(&self) -> IntCounter {
        self.room_lookups.clone()
    }

    /// The counter the session gate counts its look-ups on.
    pub fn session_lookups(&self) -> IntCounter {
        self.session_lookups.clone()
    }

    /// Someone's waiting messages all became delivered, in one move.
    pub fn delivered_moved(&self) {
        self.delivered_moves.inc();
    }

    /// An upload's bytes are being read, until the guard drops.
    pub fn upload_receiving(&self) -> Receiving<'_> {
        self.uploads_receiving.inc();
        Receiving(&self.uploads_receiving)
    }

    /// Adds a collector kept elsewhere (the store's batch sizes).
    pub fn register(&self, collector: impl prometheus::core::Collector + 'static) {
        if let Err(error) = self.registry.register(Box::new(collector)) {
            tracing::error!(%error, "cannot register a metric");
        }
    }

    pub fn socket_connected(&self, user: UserId) {
        self.sockets_connected.inc();
        if let Ok(mut sockets_of) = self.sockets_of.lock() {
            *sockets_of.entry(user).or_default() += 1;
            self.users_online.set(sockets_of.len() as i64);
        }
    }

    pub fn socket_disconnected(&self, user: UserId) {
        self.sockets_connected.dec();
        if let Ok(mut sockets_of) = self.sockets_of.lock() {
            if let Some(count) = sockets_of.get_mut(&user) {
                *count -= 1;
                if *count == 0 {
                    sockets_of.remove(&user);
                }
            }
            self.users_online.set(sockets_of.len() as i64);
        }
        self.socket_disconnects.inc();
    }

    /// A socket came or went: one more report for the presence desk.
    pub fn presence_reported(&self) {
        self.presence_pending.inc();
    }

    /// The desk settled `count` reports (after announcing what changed).
    pub fn presence_settled(&self, count: usize) {
        self.presence_pending.sub(count as i64);
        self.presence_reports.inc_by(count as u64);
    }

    /// A user's presence was checked (and announced if it changed).
    pub fn presence_checked(&self, announced: bool) {
        if announced {
            self.presence_announced.inc();
        }
        // Last: a test reading this count knows the announcement went out.
        self.presence_checks.inc();
    }

    /// One event handled: `outcome` is `ok` or the error code.
    pub fn event(&self, event: &str, outcome: &str) {
        self.events.with_label_values(&[event, outcome]).inc();
        if outcome == "unavailable" {
            self.db_unavailable.inc();
        }
    }

    /// The SQL statements one `event` ran.
    pub fn statements(&self, event: &str, count: u64) {
        self.statements.with_label_values(&[event]).inc_by(count);
    }

    /// The server time of one `event` (see `realtime::dispatch`).
    pub fn event_took(&self, event: &str, took: Duration) {
        self.event_seconds
            .with_label_values(&[event])
            .observe(took.as_secs_f64());
    }

    pub fn handshake_took(&self, took: Duration) {
        self.handshake_seconds.observe(took.as_secs_f64());
    }

    pub fn message_committed(&self, took: Duration) {
        self.message_commit.observe(took.as_secs_f64());
    }

    pub fn db_pool(&self, pool: &str, size: u32, idle: usize) {
        let idle = i64::try_from(idle).unwrap_or(i64::MAX);
        self.db_connections
            .with_label_values(&[pool, "idle"])
            .set(idle);
        self.db_connections
            .with_label_values(&[pool, "busy"])
            .set(i64::from(size) - idle);
    }

    pub fn redis(&self, up: Option<bool>) {
        self.redis_up.set(match up {
            None => -1,
            Some(up) => i64::from(up),
        });
    }

    /// Live delivery between nodes came back (see `realtime::fanout`).
    pub fn fan_out_healed(&self) {
        self.fan_out_heals.inc();
    }

    /// Times live delivery between nodes came back (`/readyz` says it too).
    pub fn fan_out_heals(&self) -> u64 {
        self.fan_out_heals.get()
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut text = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut text) {
            tracing::error!(%error, "cannot encode metrics");
        }
        String::from_utf8(text).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_online_counts_people_not_sockets() {
        let metrics = Metrics::new();
        let (harley, mike) = (
            UserId(uuid::Uuid::from_u128(1)),
            UserId(uuid::Uuid::from_u128(2)),
        );
        metrics.socket_connected(harley);
        metrics.socket_connected(harley);
        metrics.socket_connected(mike);
        metrics.socket_disconnected(harley);
        let text = metrics.render();
        assert!(text.contains("parley_sockets_connected 2\n"), "{text}");
        assert!(text.contains("parley_users_online 2\n"), "{text}");
        metrics.socket_disconnected(harley);
        assert!(metrics.render().contains("parley_users_online 1\n"));
    }
}
