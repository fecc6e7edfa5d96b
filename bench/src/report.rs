//! What a run measured: a table for people, `--json` for machines.

use crate::server::{ProcStats, ServerTime};
use hdrhistogram::Histogram;
use serde::Serialize;

/// Percentiles in milliseconds.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct Latency {
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub samples: u64,
}

impl Latency {
    pub fn of(micros: &Histogram<u64>) -> Self {
        let ms = |value: u64| value as f64 / 1000.0;
        Self {
            p50_ms: ms(micros.value_at_quantile(0.50)),
            p90_ms: ms(micros.value_at_quantile(0.90)),
            p99_ms: ms(micros.value_at_quantile(0.99)),
            max_ms: ms(micros.max()),
            samples: micros.len(),
        }
    }
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub scenario: String,
    pub database: String,
    pub nodes: usize,
    pub elapsed_seconds: f64,
    pub messages: u64,
    pub deliveries: u64,
    pub errors: u64,
    pub messages_per_second: f64,
    pub deliveries_per_second: f64,
    pub ack_latency: Option<Latency>,
    pub delivery_latency: Option<Latency>,
    pub sockets: u64,
    pub server_kib_per_socket: Option<f64>,
    pub server_rss_kib: Option<u64>,
    pub server_cpu_seconds: Option<f64>,
    pub bench_rss_kib: Option<u64>,
    pub bench_cpu_seconds: Option<f64>,
    pub join_ms: Option<f64>,
    pub connect_to_delivered_ms: Option<f64>,
    pub join_to_seen_ms: Option<f64>,
    /// avalanche: seconds from the restart until every socket was back.
    pub back_seconds: Option<f64>,
    /// avalanche: handshakes the server refused.
    pub refused: u64,
    /// avalanche: `presence` events the sockets received.
    pub presence_events: u64,
    /// avalanche: `listChats` right after reconnecting.
    pub list_chats: Option<Latency>,
    /// search: each search's round trip on loopback.
    pub search_latency: Option<Latency>,
    /// chat-list: `listChats`' first page, each later page, and `/`.
    pub first_page: Option<Latency>,
    /// chat-list: the first pages as the server timed them (when the bench
    /// started it).
    pub first_page_server: Option<ServerTime>,
    pub later_pages: Option<Latency>,
    pub page_latency: Option<Latency>,
    /// chat-list: the chats the person is in (every page listed them all).
    pub chats: u64,
    /// chat-list: the first HTML of `/`, uncompressed.
    pub page_bytes: Option<u64>,
    /// pages: each page at each concurrency.
    pub pages: Vec<PageRun>,
}

/// pages: one page fetched again and again, so many at once.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PageRun {
    pub path: String,
    pub concurrency: usize,
    pub pages_per_second: f64,
    pub latency: Latency,
    /// The page as sent (brotli).
    pub bytes: u64,
    /// The server's CPU over the run.
    pub server_cpu_seconds: Option<f64>,
}

type Snapshot = (Option<ProcStats>, Option<ProcStats>);

impl Report {
    /// Server and bench resources over the measured part of the run.
    pub fn resources(&mut self, before: Snapshot, after: Snapshot) {
        if let (Some(before), Some(after)) = (before.0, after.0) {
            self.server_rss_kib = Some(after.rss_kib);
            self.server_cpu_seconds = Some(after.cpu_seconds - before.cpu_seconds);
        }
        if let (Some(before), Some(after)) = (before.1, after.1) {
            self.bench_rss_kib = Some(after.rss_kib);
            self.bench_cpu_seconds = Some(after.cpu_seconds - before.cpu_seconds);
        }
    }

    pub fn table(&self) -> String {
        let mut rows = vec![
            ("scenario", self.scenario.clone()),
            (
                "database / nodes",
                format!("{} / {}", self.database, self.nodes),
            ),
            ("elapsed", format!("{:.2} s", self.elapsed_seconds)),
        ];
        let mib = |kib: u64| format!("{:.1} MiB", kib as f64 / 1024.0);
        let cpu = |seconds: f64| {
            let share = 100.0 * seconds / self.elapsed_seconds.max(1e-9);
            format!("{seconds:.2} s ({share:.0}% of a core)")
        };
        let mut push = |name: &'static str, value: Option<String>| {
            if let Some(value) = value {
                rows.push((name, value));
            }
        };
        push(
            "messages (acked)",
            (self.messages > 0).then(|| self.messages.to_string()),
        );
        push(
            "deliveries",
            (self.deliveries > 0).then(|| self.deliveries.to_string()),
        );
        push("errors", Some(self.errors.to_string()));
        push(
            "messages/s",
            (self.messages > 0).then(|| format!("{:.0}", self.messages_per_second)),
        );
        push(
            "deliveries/s",
            (self.deliveries > 0).then(|| format!("{:.0}", self.deliveries_per_second)),
        );
        let latency = |l: &Latency| {
            format!(
                "p50 {:.2} · p90 {:.2} · p99 {:.2} · max {:.2} ms",
                l.p50_ms, l.p90_ms, l.p99_ms, l.max_ms
            )
        };
        push(
            "sendMessage ack",
            self.ack_latency
                .filter(|l| l.samples > 0)
                .as_ref()
                .map(latency),
        );
        push(
            "send → newMessage",
            self.delivery_latency
                .filter(|l| l.samples > 0)
                .as_ref()
                .map(latency),
        );
        push(
            "search (round trip)",
            self.search_latency
                .filter(|l| l.samples > 0)
                .as_ref()
                .map(latency),
        );
        for (name, figure) in [
            ("listChats, first page", self.first_page),
            ("listChats, later pages", self.later_pages),
            ("GET / (first HTML)", self.page_latency),
        ] {
            push(name, figure.filter(|l| l.samples > 0).as_ref().map(latency));
        }
        push(
            "listChats, first page (server time)",
            self.first_page_server.map(|time| {
                let p99 = time
                    .p99_at_most_ms
                    .map_or_else(|| "?".to_owned(), |ms| format!("≤ {ms} ms"));
                format!("mean {:.2} ms, p99 {p99}", time.mean_ms)
            }),
        );
        push(
            "chats (all listed)",
            (self.chats > 0).then(|| self.chats.to_string()),
        );
        push(
            "first HTML size",
            self.page_bytes
                .map(|bytes| format!("{bytes} B ({:.1} KB)", bytes as f64 / 1000.0)),
        );
        push(
            "sockets held",
            (self.sockets > 0).then(|| self.sockets.to_string()),
        );
        push(
            "server KiB / socket",
            self.server_kib_per_socket.map(|k| format!("{k:.2}")),
        );
        push(
            "joinRoom (10k unread)",
            self.join_ms.map(|ms| format!("{ms:.2} ms")),
        );
        push(
            "connect → delivered",
            self.connect_to_delivered_ms.map(|ms| format!("{ms:.2} ms")),
        );
        push(
            "joinRoom → seen update",
            self.join_to_seen_ms.map(|ms| format!("{ms:.2} ms")),
        );
        push(
            "all back after restart",
            self.back_seconds.map(|s| format!("{s:.2} s")),
        );
        push(
            "handshakes refused",
            self.back_seconds.map(|_| self.refused.to_string()),
        );
        push(
            "listChats after reconnect",
            self.list_chats
                .filter(|l| l.samples > 0)
                .as_ref()
                .map(latency),
        );
        push(
            "presence events",
            self.back_seconds.map(|_| self.presence_events.to_string()),
        );
        push("server RSS", self.server_rss_kib.map(mib));
        push("server CPU", self.server_cpu_seconds.map(cpu));
        push("bench RSS", self.bench_rss_kib.map(mib));
        push("bench CPU", self.bench_cpu_seconds.map(cpu));
        let mut table: String = rows
            .iter()
            .map(|(name, value)| format!("{name:<24} {value}\n"))
            .collect();
        for run in &self.pages {
            let cpu = run.server_cpu_seconds.map_or(String::new(), |seconds| {
                format!(
                    " · server CPU {:.2} ms/page",
                    1000.0 * seconds / run.latency.samples.max(1) as f64
                )
            });
            table.push_str(&format!(
                "{:<24} {:.0} pages/s · {} · {} B{cpu}\n",
                format!("{} × {}", run.path, run.concurrency),
                run.pages_per_second,
                latency(&run.latency),
                run.bytes
            ));
        }
        table
    }
}
