//! The server under test: started by the bench (so it can read its /proc) or
//! already running, plus the HTTP helpers for accounts.

use anyhow::{Context, bail};
use app::protocol::AuthReply;
use serde_json::json;
use std::{
    net::{SocketAddr, TcpListener},
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};
use tempfile::TempDir;

/// Settings for a server the bench starts.
#[derive(Clone, Debug)]
pub struct Launch {
    pub binary: PathBuf,
    pub database_url: Option<String>,
    pub redis_url: Option<String>,
    /// Worker threads for the server's runtime (`TOKIO_WORKER_THREADS`).
    pub threads: Option<usize>,
}

pub struct Server {
    pub addr: SocketAddr,
    /// Where its `/metrics` are, when the bench started it.
    metrics: Option<SocketAddr>,
    child: Option<Child>,
    _data: Option<TempDir>,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl Server {
    /// Starts `parley` on a free loopback port, with a temp SQLite file unless a
    /// database URL is given, and rate limits lifted (the bench is the flood).
    pub async fn start(launch: &Launch) -> anyhow::Result<Self> {
        let data = tempfile::tempdir()?;
        let database_url = launch.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                data.path().join("bench.db").display()
            )
        });
        let port = free_port()?;
        let metrics: SocketAddr = ([127, 0, 0, 1], free_port()?).into();
        let mut command = Command::new(&launch.binary);
        command
            .args([
                "--addr",
                &format!("127.0.0.1:{port}"),
                "--database-url",
                &database_url,
                "--metrics-addr",
                &metrics.to_string(),
            ])
            .args([
                "--events-per-second",
                "1000000",
                "--event-burst",
                "1000000",
                "--log",
                "warn",
            ])
            .stdout(Stdio::null());
        if let Some(threads) = launch.threads {
            command.env("TOKIO_WORKER_THREADS", threads.to_string());
        }
        if let Some(redis) = &launch.redis_url {
            command.args(["--redis-url", redis]);
        }
        let child = command
            .spawn()
            .with_context(|| format!("cannot start {}", launch.binary.display()))?;
        let server = Self {
            addr: ([127, 0, 0, 1], port).into(),
            metrics: Some(metrics),
            child: Some(child),
            _data: Some(data),
        };
        server.wait_until_healthy().await?;
        Ok(server)
    }

    /// A server someone else runs (only loopback addresses are accepted).
    pub async fn existing(addr: SocketAddr) -> anyhow::Result<Self> {
        if !addr.ip().is_loopback() {
            bail!("the bench only targets 127.0.0.0/8");
        }
        let server = Self {
            addr,
            metrics: None,
            child: None,
            _data: None,
        };
        server.wait_until_healthy().await?;
        Ok(server)
    }

    async fn wait_until_healthy(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = format!("http://{}/healthz", self.addr);
        while Instant::now() < deadline {
            if reqwest::get(&url)
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("server at {} did not become healthy", self.addr)
    }

    /// The server's own account of how long `event` took it so far
    /// (`parley_event_seconds`), when the bench started it.
    pub async fn event_seconds(&self, event: &str) -> Option<ServerTimes> {
        let text = reqwest::get(format!("http://{}/metrics", self.metrics?))
            .await
            .ok()?
            .text()
            .await
            .ok()?;
        Some(ServerTimes::read(&text, event))
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Creates an account; its token.
    pub async fn signup(
        &self,
        http: &reqwest::Client,
        username: &str,
    ) -> anyhow::Result<AuthReply> {
        let response = http
            .post(format!("http://{}/api/auth/signup", self.addr))
            .json(&json!({ "username": username, "password": "bench password" }))
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("signup of {username}: {}", response.text().await?);
        }
        Ok(response.json().await?)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            bench::child::stop(&mut child, "INT", bench::child::PATIENCE);
        }
    }
}

/// Resident memory and CPU time of a process, from /proc.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct ProcStats {
    pub rss_kib: u64,
    /// User + system CPU seconds so far.
    pub cpu_seconds: f64,
}

impl ProcStats {
    /// `pid` None reads the bench itself.
    pub fn read(pid: Option<u32>) -> Option<Self> {
        let dir = pid.map_or("/proc/self".to_owned(), |pid| format!("/proc/{pid}"));
        let status = std::fs::read_to_string(format!("{dir}/status")).ok()?;
        let rss_kib = status
            .lines()
            .find(|line| line.starts_with("VmRSS:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        let stat = std::fs::read_to_string(format!("{dir}/stat")).ok()?;
        // Fields after the command name (which may hold spaces): utime is the
        // 14th field overall, stime the 15th.
        let after_name = &stat[stat.rfind(')')? + 2..];
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks: f64 =
            fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        Some(Self {
            rss_kib,
            cpu_seconds: ticks / clock_ticks_per_second(),
        })
    }
}

fn clock_ticks_per_second() -> f64 {
    // Linux reports /proc times in USER_HZ, 100 on every architecture it runs on.
    100.0
}

#[cfg(test)]
mod tests {
    use super::ProcStats;

    #[test]
    fn the_bench_can_read_its_own_proc() {
        let stats = ProcStats::read(None).expect("/proc/self");
        assert!(stats.rss_kib > 0);
        assert!(stats.cpu_seconds >= 0.0);
    }
}

/// One event's `parley_event_seconds` histogram as the server reported it.
#[derive(Clone, Debug, Default)]
pub struct ServerTimes {
    count: f64,
    sum: f64,
    /// Each bucket's upper bound (seconds) and how many fell at or below it.
    buckets: Vec<(f64, f64)>,
}

impl ServerTimes {
    fn read(text: &str, event: &str) -> Self {
        let label = format!("{{event=\"{event}\"");
        let mut times = Self::default();
        for line in text.lines().filter(|line| line.contains(&label)) {
            let Some((series, value)) = line.rsplit_once(' ') else {
                continue;
            };
            let Ok(value) = value.parse::<f64>() else {
                continue;
            };
            if series.starts_with("parley_event_seconds_count") {
                times.count = value;
            } else if series.starts_with("parley_event_seconds_sum") {
                times.sum = value;
            } else if let Some(le) = series
                .split("le=\"")
                .nth(1)
                .and_then(|rest| rest.split('"').next())
                .and_then(|le| le.parse::<f64>().ok())
            {
                times.buckets.push((le, value));
            }
        }
        times
    }

    /// What happened between `before` and `self`: the mean in milliseconds,
    /// and the bucket bound the 99th percentile is at or below.
    pub fn since(&self, before: &ServerTimes) -> Option<ServerTime> {
        let count = self.count - before.count;
        if count <= 0.0 {
            return None;
        }
        let below = |le: f64| {
            before
                .buckets
                .iter()
                .find(|(bound, _)| *bound == le)
                .map_or(0.0, |(_, n)| *n)
        };
        let p99_at_most_ms = self
            .buckets
            .iter()
            .find(|(le, n)| n - below(*le) >= 0.99 * count)
            .map(|(le, _)| le * 1000.0);
        Some(ServerTime {
            mean_ms: (self.sum - before.sum) / count * 1000.0,
            p99_at_most_ms,
            samples: count as u64,
        })
    }
}

/// An event's server time over a run, from the server's own histogram.
#[derive(Clone, Copy, Debug, Default, serde::Serialize)]
pub struct ServerTime {
    pub mean_ms: f64,
    /// The histogram's bucket bound the 99th percentile is at or below.
    pub p99_at_most_ms: Option<f64>,
    pub samples: u64,
}
