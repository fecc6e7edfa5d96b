//! The load scenarios. Every loop is bounded by a count and by `--seconds`, and
//! every address is on loopback.

use crate::{
    report::{Latency, Report},
    server::{ProcStats, Server},
    wire::{Inbox, Socket, event_as},
};
use anyhow::Context;
use app::{
    model::{ChatId, ChatKind},
    protocol::{CreateChat, JoinRoom, NewMessage, ReceiptKind, SendMessage, StatusUpdate},
};
use futures::future::join_all;
use hdrhistogram::Histogram;
use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

/// Bounds shared by every scenario.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub messages_per_sender: u64,
    pub seconds: u64,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 120_000_000, 3).expect("valid histogram bounds")
}

/// Shared counters and histograms (microseconds).
#[derive(Clone)]
struct Recorder {
    /// The clock's zero: send times travel in message bodies as micros since it.
    started: Instant,
    acks: Arc<Mutex<Histogram<u64>>>,
    deliveries: Arc<Mutex<Histogram<u64>>>,
    sent: Arc<AtomicU64>,
    delivered: Arc<AtomicU64>,
    errors: Arc<AtomicU64>,
}

impl Recorder {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            acks: Arc::new(Mutex::new(histogram())),
            deliveries: Arc::new(Mutex::new(histogram())),
            sent: Arc::default(),
            delivered: Arc::default(),
            errors: Arc::default(),
        }
    }

    fn now_micros(&self) -> u64 {
        self.started.elapsed().as_micros() as u64
    }

    fn record(histogram: &Mutex<Histogram<u64>>, micros: u64) {
        if let Ok(mut histogram) = histogram.lock() {
            let _ = histogram.record(micros.max(1));
        }
    }

    /// Counts `newMessage`s carrying a send time, until the inbox closes.
    fn watch(
        &self,
        mut inbox: Inbox,
        own: Option<app::model::UserId>,
    ) -> tokio::task::JoinHandle<()> {
        let recorder = self.clone();
        tokio::spawn(async move {
            while let Some(item) = inbox.recv().await {
                let Some(NewMessage(message)) = event_as::<NewMessage>(&item) else {
                    continue;
                };
                if Some(message.sender_id) == own {
                    continue;
                }
                if let Some(sent_at) = message
                    .body
                    .strip_prefix("t:")
                    .and_then(|t| t.parse::<u64>().ok())
                {
                    Self::record(
                        &recorder.deliveries,
                        recorder.now_micros().saturating_sub(sent_at),
                    );
                    recorder.delivered.fetch_add(1, Ordering::Relaxed);
                }
            }
        })
    }

    /// Sends up to `limits.messages_per_sender` messages one after another.
    async fn send_loop(&self, socket: &Socket, chat_id: ChatId, sender: usize, limits: Limits) {
        let deadline = Instant::now() + Duration::from_secs(limits.seconds);
        for n in 0..limits.messages_per_sender {
            if Instant::now() > deadline {
                break;
            }
            let sent_at = self.now_micros();
            let request =
                SendMessage::new(chat_id, format!("b{sender}-{n}"), format!("t:{sent_at}"));
            match socket.emit(&request).await {
                Ok(Ok(_)) => {
                    Self::record(&self.acks, self.now_micros() - sent_at);
                    self.sent.fetch_add(1, Ordering::Relaxed);
                }
                _ => {
                    self.errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    fn finish(&self, report: &mut Report, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        report.elapsed_seconds = seconds;
        report.messages = self.sent.load(Ordering::Relaxed);
        report.deliveries = self.delivered.load(Ordering::Relaxed);
        report.errors = self.errors.load(Ordering::Relaxed);
        report.messages_per_second = report.messages as f64 / seconds;
        report.deliveries_per_second = report.deliveries as f64 / seconds;
        report.ack_latency = self.acks.lock().ok().map(|h| Latency::of(&h));
        report.delivery_latency = self.deliveries.lock().ok().map(|h| Latency::of(&h));
    }
}

pub async fn accounts(
    server: &Server,
    prefix: &str,
    count: usize,
) -> anyhow::Result<Vec<app::protocol::AuthReply>> {
    let http = reqwest::Client::new();
    let mut replies = Vec::with_capacity(count);
    // A few at a time: each is an argon2 hash on the server.
    for chunk in (0..count).collect::<Vec<_>>().chunks(8) {
        let names: Vec<String> = chunk.iter().map(|n| format!("{prefix}-user-{n}")).collect();
        let batch = join_all(names.iter().map(|name| server.signup(&http, name))).await;
        for reply in batch {
            replies.push(reply?);
        }
    }
    Ok(replies)
}

/// `direct` (and `multi-node`): pairs chatting as fast as the server takes.
/// Senders connect to `senders_at`, receivers to `receivers_at`; receivers have
/// the chat open, so every message takes the "seen" path.
pub async fn direct(
    senders_at: &Server,
    receivers_at: &Server,
    pairs: usize,
    limits: Limits,
    report: &mut Report,
) -> anyhow::Result<()> {
    let users = accounts(senders_at, "d", pairs * 2).await?;
    let recorder = Recorder::new();
    let mut senders = Vec::new();
    for pair in 0..pairs {
        let (sender, receiver) = (&users[pair * 2], &users[pair * 2 + 1]);
        let (socket, _inbox) = Socket::connect(senders_at.addr, &sender.token).await?;
        let request = CreateChat {
            kind: ChatKind::Direct,
            name: None,
            members: vec![receiver.user.username.clone()],
        };
        let chat = socket.request(&request).await?;
        let (listener, inbox) = Socket::connect(receivers_at.addr, &receiver.token).await?;
        listener.request(&JoinRoom { chat_id: chat.id }).await?;
        recorder.watch(inbox, Some(receiver.user.id));
        senders.push((socket, listener, chat.id));
    }
    let started = Instant::now();
    let before = (ProcStats::read(senders_at.pid()), ProcStats::read(None));
    join_all(
        senders
            .iter()
            .enumerate()
            .map(|(n, (socket, _, chat))| recorder.send_loop(socket, *chat, n, limits)),
    )
    .await;
    // Let the last deliveries land.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let elapsed = started.elapsed() - Duration::from_millis(500);
    report.resources(
        before,
        (ProcStats::read(senders_at.pid()), ProcStats::read(None)),
    );
    recorder.finish(report, elapsed);
    Ok(())
}

/// `group`: groups of `size` with everyone connected and in the room; a few
/// members of each send, every message fans out to `size - 1` others.
pub async fn group(
    server: &Server,
    groups: usize,
    size: usize,
    senders_per_group: usize,
    limits: Limits,
    report: &mut Report,
) -> anyhow::Result<()> {
    let users = accounts(server, "g", groups * size).await?;
    let recorder = Recorder::new();
    let mut senders = Vec::new();
    let mut keep = Vec::new();
    for group in users.chunks(size) {
        let (owner, others) = group.split_first().context("empty group")?;
        let (owner_socket, owner_inbox) = Socket::connect(server.addr, &owner.token).await?;
        let request = CreateChat {
            kind: ChatKind::Group,
            name: Some("bench".into()),
            members: others.iter().map(|u| u.user.username.clone()).collect(),
        };
        let chat = owner_socket.request(&request).await?;
        owner_socket.request(&JoinRoom { chat_id: chat.id }).await?;
        recorder.watch(owner_inbox, Some(owner.user.id));
        senders.push((owner_socket, chat.id));
        for member in others {
            let (socket, inbox) = Socket::connect(server.addr, &member.token).await?;
            socket.request(&JoinRoom { chat_id: chat.id }).await?;
            recorder.watch(inbox, Some(member.user.id));
            if senders.iter().filter(|(_, id)| *id == chat.id).count() < senders_per_group {
                senders.push((socket, chat.id));
            } else {
                keep.push(socket);
            }
        }
    }
    let started = Instant::now();
    let before = (ProcStats::read(server.pid()), ProcStats::read(None));
    join_all(
        senders
            .iter()
            .enumerate()
            .map(|(n, (socket, chat))| recorder.send_loop(socket, *chat, n, limits)),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let elapsed = started.elapsed() - Duration::from_millis(1000);
    report.resources(
        before,
        (ProcStats::read(server.pid()), ProcStats::read(None)),
    );
    recorder.finish(report, elapsed);
    drop(keep);
    Ok(())
}

/// `idle`: `count` authenticated sockets held open; memory per socket is the
/// server's RSS growth over them.
pub async fn idle(server: &Server, count: usize, report: &mut Report) -> anyhow::Result<()> {
    let users = accounts(server, "i", 100).await?;
    // Warm up: one socket, so the first connection's one-off costs are not counted.
    let warm = Socket::connect(server.addr, &users[0].token).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = (ProcStats::read(server.pid()), ProcStats::read(None));
    let started = Instant::now();
    let mut sockets = Vec::with_capacity(count);
    let mut errors = 0;
    for batch in (0..count).collect::<Vec<_>>().chunks(250) {
        let connected = join_all(
            batch
                .iter()
                .map(|n| Socket::connect(server.addr, &users[n % users.len()].token)),
        )
        .await;
        for socket in connected {
            match socket {
                Ok(socket) => sockets.push(socket),
                Err(_) => errors += 1,
            }
        }
    }
    report.elapsed_seconds = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = (ProcStats::read(server.pid()), ProcStats::read(None));
    report.resources(before, after);
    report.sockets = sockets.len() as u64;
    report.errors = errors;
    if let (Some(before), Some(after)) = (before.0, after.0)
        && !sockets.is_empty()
    {
        report.server_kib_per_socket =
            Some((after.rss_kib.saturating_sub(before.rss_kib)) as f64 / sockets.len() as f64);
    }
    drop((warm, sockets));
    Ok(())
}

/// `unread`: a user with `count` unread messages opens the chat. Watermarks make
/// that one row update, whatever the count.
pub async fn unread(server: &Server, count: u64, report: &mut Report) -> anyhow::Result<()> {
    let users = accounts(server, "u", 2).await?;
    let (writer, mut writer_inbox) = Socket::connect(server.addr, &users[0].token).await?;
    let request = CreateChat {
        kind: ChatKind::Direct,
        name: None,
        members: vec![users[1].user.username.clone()],
    };
    let chat = writer.request(&request).await?;
    let writer = Arc::new(writer);
    let started = Instant::now();
    for batch in (0..count).collect::<Vec<_>>().chunks(100) {
        let sends = batch.iter().map(|n| {
            let writer = writer.clone();
            async move {
                let request = SendMessage::new(chat.id, format!("u{n}"), format!("unread {n}"));
                writer.emit(&request).await
            }
        });
        for sent in join_all(sends).await {
            if !matches!(sent, Ok(Ok(_))) {
                report.errors += 1;
            }
        }
    }
    report.messages = count;
    report.elapsed_seconds = started.elapsed().as_secs_f64();
    report.messages_per_second = count as f64 / report.elapsed_seconds;
    while writer_inbox.try_recv().is_ok() {}

    // The reader comes online: one watermark moves to the last seq.
    let connecting = Instant::now();
    let (reader, _reader_inbox) = Socket::connect(server.addr, &users[1].token).await?;
    let delivered = wait_for_status(&mut writer_inbox, ReceiptKind::Delivered, count).await;
    report.connect_to_delivered_ms = delivered.then(|| connecting.elapsed().as_secs_f64() * 1000.0);

    // And opens the chat: joinRoom answers with the latest page and marks all seen.
    let joining = Instant::now();
    let joined = reader.request(&JoinRoom { chat_id: chat.id }).await?;
    report.join_ms = Some(joining.elapsed().as_secs_f64() * 1000.0);
    let seen = wait_for_status(&mut writer_inbox, ReceiptKind::Seen, count).await;
    report.join_to_seen_ms = seen.then(|| joining.elapsed().as_secs_f64() * 1000.0);
    report.deliveries = joined.messages.len() as u64;
    Ok(())
}

async fn wait_for_status(inbox: &mut Inbox, kind: ReceiptKind, up_to: u64) -> bool {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while let Ok(Some(item)) = tokio::time::timeout_at(deadline, inbox.recv()).await {
        if event_as::<StatusUpdate>(&item)
            .is_some_and(|u| u.status == kind && u.up_to_seq as u64 >= up_to)
        {
            return true;
        }
    }
    false
}

/// Both addresses are where the bench connects; kept here to say so in reports.
pub fn describe(addrs: &[SocketAddr]) -> String {
    addrs
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
