//! Every knob in one struct, read from flags or the environment (`parley --help`).

use clap::Parser;
use std::{net::SocketAddr, path::PathBuf, time::Duration};

#[derive(Clone, Debug, Parser)]
#[command(name = "parley", version, about = "Parley: real-time chat server")]
pub struct Settings {
    /// Address to listen on. Port 0 picks a free port (printed at start-up).
    #[arg(long, env = "PARLEY_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Database: `sqlite://FILE?mode=rwc` or `postgres://USER:PASS@HOST/DB`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://parley.db?mode=rwc"
    )]
    pub database_url: String,

    /// Redis for running several nodes: `redis://HOST:PORT` (`?protocol=resp3` is
    /// added when missing). Unset: a single node with in-process rooms.
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,

    /// Other origins (besides the server's own) whose pages may use this server,
    /// comma-separated, e.g. `https://chat.example.com`. No wildcard.
    #[arg(long, env = "PARLEY_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// Mark the session cookie `Secure` (set this when serving over HTTPS).
    #[arg(long, env = "PARLEY_COOKIE_SECURE", default_value_t = false)]
    pub cookie_secure: bool,

    /// How long a sign-in lasts, in days.
    #[arg(long, env = "PARLEY_SESSION_DAYS", default_value_t = 30)]
    pub session_days: u32,

    /// Events a socket may send per second, sustained (more gets `rate_limited`).
    #[arg(long, env = "PARLEY_EVENTS_PER_SECOND", default_value_t = 20.0)]
    pub events_per_second: f64,

    /// Events a socket may send in a burst above the sustained rate.
    #[arg(long, env = "PARLEY_EVENT_BURST", default_value_t = 60.0)]
    pub event_burst: f64,

    /// Log filter in `tracing` syntax, e.g. `info,parley_server=debug`.
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    pub log: String,

    /// Directory with the built site (`pkg/` with the WebAssembly, CSS, assets).
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
}

impl Settings {
    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(u64::from(self.session_days) * 24 * 60 * 60)
    }
}
