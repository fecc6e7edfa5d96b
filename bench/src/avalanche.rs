//! `avalanche`: a deploy's restart. `users` people with `sockets_each`
//! sockets each (every person in a direct chat with the next) are connected;
//! the server is restarted by `--restart-command`; every socket reconnects as
//! the official socket.io-client does by default (a first wait of 1 s ×
//! 0.5–1.5, doubling to 5 s; a handshake the server *refuses* is not retried)
//! and asks for its chats at once. Measured: how long until every socket is
//! back, how many `listChats` failed, their round trip, and how many
//! `presence` events the sockets received in the meantime.

use crate::{
    report::{Latency, Report},
    server::Server,
    wire::Socket,
};
use anyhow::Context;
use app::{
    model::ChatKind,
    protocol::{AuthReply, ClientEvent, CreateChat, ListChats},
};
use futures::future::join_all;
use hdrhistogram::Histogram;
use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// What every socket adds to.
#[derive(Default)]
struct Tally {
    /// Connections made and answered (their `listChats` came back, or failed):
    /// the first ones, then the reconnections.
    ready: AtomicU64,
    /// Handshakes the server refused: socket.io-client gives those up.
    refused: AtomicU64,
    /// `listChats` right after connecting: failed, and the round trips.
    failed: AtomicU64,
    round_trips: Mutex<Option<Histogram<u64>>>,
    /// `presence` events received while counting.
    presence: AtomicU64,
    counting: AtomicBool,
    /// When the last `presence` arrived, counting or not (ms since `epoch`).
    last_presence_ms: AtomicU64,
    epoch: Option<Instant>,
}

impl Tally {
    fn since_epoch_ms(&self) -> u64 {
        self.epoch
            .map_or(0, |epoch| epoch.elapsed().as_millis() as u64)
    }
}

pub async fn avalanche(
    server: &Server,
    accounts: &[AuthReply],
    sockets_each: usize,
    restart_command: &str,
    report: &mut Report,
) -> anyhow::Result<()> {
    chain_of_chats(server.addr, accounts).await?;
    // The set-up's sockets hold places in their people's shares (50 sockets
    // each on a node) until the server has handled their close: give it
    // that moment, or a page's 50th socket finds the share full.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let tally = Arc::new(Tally {
        round_trips: Mutex::new(Histogram::new(3).ok()),
        epoch: Some(Instant::now()),
        ..Default::default()
    });
    let total = (accounts.len() * sockets_each) as u64;
    let _sockets: Vec<_> = accounts
        .iter()
        .flat_map(|account| (0..sockets_each).map(move |_| account.token.clone()))
        .map(|token| tokio::spawn(keep_connected(server.addr, token, tally.clone())))
        .collect();
    // Every socket in and answered: nothing of the first round is in flight.
    wait_for(
        || tally.ready.load(Ordering::SeqCst) >= total,
        "every socket in",
    )
    .await?;
    // And what the first round set off has been said: the set-up's sockets
    // came and went, so people went offline and online again, and a server
    // may still be announcing that (Parley's presence desk works through a
    // burst in rounds). Quiet means no `presence` for 2 s.
    wait_for(
        || tally.since_epoch_ms() >= tally.last_presence_ms.load(Ordering::SeqCst) + 2000,
        "the first round's presence said",
    )
    .await?;
    // Counting starts with the restart.
    tally.presence.store(0, Ordering::SeqCst);
    tally.failed.store(0, Ordering::SeqCst);
    if let Ok(mut round_trips) = tally.round_trips.lock() {
        *round_trips = Histogram::new(3).ok();
    }
    tally.counting.store(true, Ordering::SeqCst);
    let restarted = Instant::now();
    let status = tokio::process::Command::new("sh")
        .args(["-c", restart_command])
        .status()
        .await
        .context("restart command")?;
    anyhow::ensure!(status.success(), "the restart command failed: {status}");
    let back = wait_for(
        || tally.ready.load(Ordering::SeqCst) >= 2 * total,
        "every socket back",
    )
    .await;
    report.back_seconds = back.is_ok().then(|| restarted.elapsed().as_secs_f64());
    // Let the stragglers' requests and announcements land.
    tokio::time::sleep(Duration::from_secs(2)).await;
    tally.counting.store(false, Ordering::SeqCst);
    report.sockets = total;
    report.refused = tally.refused.load(Ordering::SeqCst);
    report.errors = tally.failed.load(Ordering::SeqCst);
    report.presence_events = tally.presence.load(Ordering::SeqCst);
    report.list_chats = tally
        .round_trips
        .lock()
        .ok()
        .and_then(|round_trips| round_trips.as_ref().map(Latency::of));
    report.elapsed_seconds = restarted.elapsed().as_secs_f64();
    Ok(())
}

/// Everyone in a direct chat with the next person (so each has contacts).
async fn chain_of_chats(addr: SocketAddr, accounts: &[AuthReply]) -> anyhow::Result<()> {
    let pairs = accounts.iter().zip(accounts.iter().skip(1));
    for chunk in pairs.collect::<Vec<_>>().chunks(50) {
        join_all(chunk.iter().map(|(me, next)| async move {
            let (socket, _) = Socket::connect(addr, &me.token).await?;
            socket
                .request(&CreateChat {
                    kind: ChatKind::Direct,
                    name: None,
                    members: vec![next.user.username.clone()],
                })
                .await?;
            socket.close();
            anyhow::Ok(())
        }))
        .await
        .into_iter()
        .collect::<anyhow::Result<Vec<_>>>()?;
    }
    Ok(())
}

/// One page's socket: connects, asks for its chats, listens until the
/// connection drops, and reconnects with socket.io-client's default backoff.
async fn keep_connected(addr: SocketAddr, token: String, tally: Arc<Tally>) {
    let mut attempt = 0;
    loop {
        match Socket::connect(addr, &token).await {
            Ok((socket, mut inbox)) => {
                attempt = 0;
                let asked = Instant::now();
                // Either server's answer counts when it is `ok` (Parley's is a
                // page of chats, the Node peer's the seed's bare array).
                let list = serde_json::to_value(ListChats::first()).unwrap_or_default();
                match socket.round_trip(ListChats::NAME, list).await {
                    Ok(ack) if ack.get("ok").is_some() => {
                        if let Ok(mut round_trips) = tally.round_trips.lock()
                            && let Some(round_trips) = round_trips.as_mut()
                        {
                            let _ = round_trips.record(asked.elapsed().as_micros() as u64);
                        }
                    }
                    _ => {
                        tally.failed.fetch_add(1, Ordering::SeqCst);
                    }
                }
                tally.ready.fetch_add(1, Ordering::SeqCst);
                while let Some((name, _)) = inbox.recv().await {
                    if name == "presence" {
                        let now = tally.since_epoch_ms();
                        tally.last_presence_ms.fetch_max(now, Ordering::SeqCst);
                    }
                    if name == "presence" && tally.counting.load(Ordering::SeqCst) {
                        tally.presence.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
            // The official client does not retry a refused handshake.
            Err(error) if error.to_string().starts_with("refused") => {
                tally.refused.fetch_add(1, Ordering::SeqCst);
                return;
            }
            Err(_) => {}
        }
        tokio::time::sleep(backoff(attempt)).await;
        attempt += 1;
    }
}

/// socket.io-client's defaults: 1 s, doubling, at most 5 s, × 0.5–1.5.
fn backoff(attempt: u32) -> Duration {
    let base = (1000.0 * 2_f64.powi(attempt.min(8) as i32)).min(5000.0);
    Duration::from_millis((base * (0.5 + rand_unit())) as u64)
}

/// A number in [0, 1) from the clock's low bits: jitter, not cryptography.
fn rand_unit() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    f64::from(nanos % 1000) / 1000.0
}

async fn wait_for(done: impl Fn() -> bool, what: &str) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !done() {
        anyhow::ensure!(Instant::now() < deadline, "{what}: not within 120 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}
