//! Every knob in one struct, read from flags, the environment or a settings
//! file (`parley --help`, `parley config`).
//!
//! # Layout
//!
//! - here: [`Settings`], each setting documented once (its doc comment is its
//!   `--help`, README's table and `parley config`'s), and what is derived from them;
//! - [`file`]: loading, with `parley.toml` under the flags and the environment;
//! - [`report`]: where each value came from, and README's table.

mod file;
mod report;

pub use file::{ConfigError, Loaded, load, load_from};
pub use report::{Origin, markdown_table};

use crate::{
    auth::Throttling,
    media::Location,
    realtime::{RateLimit, Shares},
    store::Rule,
};
use app::model::SignupMode;
use clap::{Parser, Subcommand};
use std::{net::SocketAddr, path::PathBuf, time::Duration};

/// What `parley` does besides serving.
#[derive(Clone, Debug, Subcommand)]
pub enum Command {
    /// Serve (what `parley` alone does).
    Serve,
    /// Print the settings `parley` would run with and where each comes from
    /// (a flag, the environment, the settings file or the default), as a
    /// settings file; secrets are masked.
    Config {
        /// Print every setting as the Markdown table README carries instead.
        #[arg(long, hide = true)]
        table: bool,
    },
    /// Run the instance: accounts, roles and sign-up, against the
    /// configured database, whether the server runs or not.
    #[command(subcommand)]
    Admin(crate::admin::cli::AdminCommand),
    /// Write a consistent snapshot of a SQLite instance, running or not,
    /// and its uploads, into DIR (which must not exist).
    Backup { dir: PathBuf },
    /// Put a backup where the configuration says the instance lives (which
    /// must hold no database and no uploads yet).
    Restore { dir: PathBuf },
    /// Check the database (SQLite's and the search index's integrity) and
    /// that every upload it names is stored; non-zero exit when not.
    Check,
    /// Copy this SQLite instance into an empty PostgreSQL database (and its
    /// uploads into an S3 bucket): every id, seq, watermark, setting and
    /// session as it is, all or nothing. Stop the server first: what it takes
    /// in after the copy began stays behind.
    Migrate {
        /// The PostgreSQL database, `postgres://USER:PASS@HOST/DB` (empty).
        #[arg(long)]
        to: String,
        /// An S3-compatible bucket, `s3://BUCKET`, for the uploads (the
        /// endpoint and credentials from `--media-*` / `AWS_*`).
        #[arg(long)]
        media_to: Option<String>,
    },
}

#[derive(Clone, Debug, Parser)]
#[command(
    name = "parley",
    version,
    about = "Parley: real-time chat server",
    subcommand_negates_reqs = true
)]
pub struct Settings {
    /// Without a command, `parley` serves.
    #[command(subcommand)]
    pub command: Option<Command>,

    /// A settings file (TOML, one `name = value` per setting, named as the
    /// flags are). Unset: `parley.toml` in the working directory, if there
    /// is one. A flag beats the environment, which beats the file.
    #[arg(long, global = true, env = "PARLEY_CONFIG")]
    pub config: Option<PathBuf>,

    /// Who may sign up: `open`, `invite` (with an instance invitation link)
    /// or `closed`. Given, it is stored at start-up (and the Admin page may
    /// change it later); unset, the stored mode stays (`open` on a fresh
    /// instance).
    #[arg(long, global = true, env = "PARLEY_SIGNUP")]
    pub signup: Option<SignupMode>,

    /// The address people reach this instance at, e.g.
    /// `https://chat.example.com`: what invitation and password-reset links
    /// start with. Unset: `http://` and `--addr`.
    #[arg(long, global = true, env = "PARLEY_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Address to listen on. Port 0 picks a free port (printed at start-up).
    #[arg(
        long,
        global = true,
        env = "PARLEY_ADDR",
        default_value = "127.0.0.1:3000"
    )]
    pub addr: SocketAddr,

    /// Where `GET /metrics` is served: its own listener, never the public
    /// one. Unset: 127.0.0.1:9464 when that port is free (a second node on
    /// the same machine serves none, and says so); set, it must bind.
    #[arg(long, global = true, env = "PARLEY_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,

    /// Database: `sqlite://FILE?mode=rwc` or `postgres://USER:PASS@HOST/DB`.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = "sqlite://parley.db?mode=rwc"
    )]
    pub database_url: String,

    /// Redis for running several nodes: `redis://HOST:PORT` (`?protocol=resp3` is
    /// added when missing). Unset: a single node with in-process rooms.
    #[arg(long, global = true, env = "REDIS_URL")]
    pub redis_url: Option<String>,

    /// Other origins (besides the server's own) whose pages may use this server,
    /// comma-separated, e.g. `https://chat.example.com`. No wildcard.
    #[arg(
        long,
        global = true,
        env = "PARLEY_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,

    /// Mark the session cookie `Secure` (set this when serving over HTTPS).
    #[arg(
        long,
        global = true,
        env = "PARLEY_COOKIE_SECURE",
        default_value_t = false
    )]
    pub cookie_secure: bool,

    /// How long a sign-in lasts, in days.
    #[arg(long, global = true, env = "PARLEY_SESSION_DAYS", default_value_t = 30)]
    pub session_days: u32,

    /// Events a socket may send per second, sustained (more gets `rate_limited`).
    #[arg(
        long,
        global = true,
        env = "PARLEY_EVENTS_PER_SECOND",
        default_value_t = 20.0
    )]
    pub events_per_second: f64,

    /// Events a socket may send in a burst above the sustained rate.
    #[arg(
        long,
        global = true,
        env = "PARLEY_EVENT_BURST",
        default_value_t = 60.0
    )]
    pub event_burst: f64,

    /// Sockets one person may hold on a node (more are refused at the
    /// handshake with `too_many_sockets`). All of a person's sockets on a
    /// node also share one event budget: twice one socket's.
    #[arg(
        long,
        global = true,
        env = "PARLEY_MAX_SOCKETS_PER_PERSON",
        default_value_t = 50
    )]
    pub max_sockets_per_person: usize,

    /// Failed sign-ins an account gets (per 15 minutes) before it is refused
    /// with `rate_limited` for a back-off that doubles with each further one;
    /// a client address gets four times as many.
    #[arg(
        long,
        global = true,
        env = "PARLEY_LOGIN_ATTEMPTS",
        default_value_t = 5
    )]
    pub login_attempts: u32,

    /// The first back-off, in seconds (doubling, up to 15 minutes).
    #[arg(
        long,
        global = true,
        env = "PARLEY_LOGIN_BACKOFF_SECONDS",
        default_value_t = 2.0
    )]
    pub login_backoff_seconds: f64,

    /// Sign-ups one client address may make per hour (0: no limit). Generous
    /// by default: a school or office behind one NAT address signs up together.
    #[arg(
        long,
        global = true,
        env = "PARLEY_SIGNUPS_PER_HOUR",
        default_value_t = 200
    )]
    pub signups_per_hour: u32,

    /// Take the client's address from the last `X-Forwarded-For` entry (set
    /// this behind a reverse proxy that writes it; never otherwise).
    #[arg(
        long,
        global = true,
        env = "PARLEY_TRUST_FORWARDED_FOR",
        default_value_t = false
    )]
    pub trust_forwarded_for: bool,

    /// How long a request waits for a database connection before it is
    /// `unavailable`, in seconds. Long enough for a restart's burst of
    /// reconnects to be served in turn; a database that is down is reported
    /// after this long.
    #[arg(
        long,
        global = true,
        env = "PARLEY_DB_WAIT_SECONDS",
        default_value_t = 15.0
    )]
    pub db_wait_seconds: f64,

    /// How often people recorded online are checked against their sockets,
    /// in seconds; the first check waits as long, so that after a restart
    /// everyone has come back before anyone is announced offline.
    #[arg(
        long,
        global = true,
        env = "PARLEY_PRESENCE_RECHECK_SECONDS",
        default_value_t = 30.0
    )]
    pub presence_recheck_seconds: f64,

    /// Log filter in `tracing` syntax, e.g. `info,parley_server=debug`.
    #[arg(long, global = true, env = "RUST_LOG", default_value = "info")]
    pub log: String,

    /// Where uploads are kept on this machine. Default: `media/` next to the
    /// SQLite file (`./media` with PostgreSQL). Ignored with `--media-url`.
    #[arg(long, global = true, env = "PARLEY_MEDIA_DIR")]
    pub media_dir: Option<PathBuf>,

    /// An S3-compatible bucket for uploads, `s3://BUCKET`: what several nodes
    /// share. Credentials and region come from `--media-*` or the usual
    /// `AWS_*` variables.
    #[arg(long, global = true, env = "PARLEY_MEDIA_URL")]
    pub media_url: Option<String>,

    /// The S3 endpoint when it is not AWS, e.g. `http://127.0.0.1:9000`.
    #[arg(long, global = true, env = "AWS_ENDPOINT")]
    pub media_endpoint: Option<String>,

    /// The bucket's region (S3-compatible servers take any).
    #[arg(long, global = true, env = "AWS_REGION")]
    pub media_region: Option<String>,

    /// The bucket's access key.
    #[arg(long, global = true, env = "AWS_ACCESS_KEY_ID")]
    pub media_access_key: Option<String>,

    /// The bucket's secret key (`parley config` masks it).
    #[arg(
        long,
        global = true,
        env = "AWS_SECRET_ACCESS_KEY",
        hide_env_values = true
    )]
    pub media_secret_key: Option<String>,

    /// The largest upload, in megabytes (10⁶ bytes).
    #[arg(
        long,
        global = true,
        env = "PARLEY_MAX_UPLOAD_MB",
        default_value_t = 25
    )]
    pub max_upload_mb: u64,

    /// Megabytes of uploads one person may hold unsent (uploaded, not yet in
    /// a message; more gets `too_large` until they send or remove some).
    #[arg(
        long,
        global = true,
        env = "PARLEY_UNSENT_UPLOAD_MB",
        default_value_t = 200
    )]
    pub unsent_upload_mb: u64,

    /// Uploads one person may start per minute (more gets `rate_limited`).
    #[arg(
        long,
        global = true,
        env = "PARLEY_UPLOADS_PER_MINUTE",
        default_value_t = 30
    )]
    pub uploads_per_minute: u32,

    /// Who runs this instance, for the push services (VAPID's `sub`): a
    /// `mailto:` or `https:` address they may write to about its pushes.
    /// Unset: `--public-url`.
    #[arg(long, global = true, env = "PARLEY_PUSH_CONTACT")]
    pub push_contact: Option<String>,

    /// Let push subscriptions name `http://` endpoints on this machine's
    /// loopback: for tests, which stand in for the push services. Never in
    /// production (endpoints are otherwise `https://` to a public address).
    #[arg(
        long,
        global = true,
        env = "PARLEY_PUSH_ALLOW_HTTP_LOOPBACK",
        default_value_t = false,
        hide = true
    )]
    pub push_allow_http_loopback: bool,

    /// Whether the site's asset names carry a hash of their content (`true`
    /// or `false`; cargo-leptos sets it when it serves). Unset: they do when a
    /// release build's `hash.txt` stands beside this binary. The pages name
    /// them from that file; start-up checks the site has every one.
    #[arg(long, global = true, env = "LEPTOS_HASH_FILES")]
    pub hash_files: Option<bool>,

    /// The file that names the site's hashed assets, which a release build
    /// writes beside the binary; a relative path is taken from the binary's
    /// directory (as Leptos takes it).
    #[arg(
        long,
        global = true,
        env = "LEPTOS_HASH_FILE_NAME",
        default_value = "hash.txt"
    )]
    pub hash_file: PathBuf,

    /// Serve the site from this directory (`pkg/` with the WebAssembly, CSS,
    /// assets) rather than the one a release binary carries: for development.
    /// Unset in a build that carries none: `target/site`.
    #[arg(long, global = true, env = "LEPTOS_SITE_ROOT")]
    pub site_root: Option<PathBuf>,
}

impl Settings {
    /// What links start with (see `public_url`), `listening` when the
    /// server knows its own address.
    pub fn public_url(&self, listening: Option<SocketAddr>) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{}", listening.unwrap_or(self.addr)),
        }
    }

    pub fn session_ttl(&self) -> Duration {
        Duration::from_secs(u64::from(self.session_days) * 24 * 60 * 60)
    }

    pub fn db_wait(&self) -> Duration {
        Duration::try_from_secs_f64(self.db_wait_seconds)
            .ok()
            .filter(|wait| !wait.is_zero())
            .unwrap_or(Duration::from_secs(15))
    }

    pub fn presence_recheck(&self) -> Duration {
        Duration::try_from_secs_f64(self.presence_recheck_seconds)
            .ok()
            .filter(|every| !every.is_zero())
            .unwrap_or(Duration::from_secs(30))
    }

    /// Where uploads are kept (see `media_dir` and `media_url`).
    pub fn media_location(&self) -> Location {
        if let Some(url) = &self.media_url {
            return Location::S3 {
                url: url.clone(),
                endpoint: self.media_endpoint.clone(),
                region: self.media_region.clone(),
                access_key: self.media_access_key.clone(),
                secret_key: self.media_secret_key.clone(),
            };
        }
        let dir = self.media_dir.clone().unwrap_or_else(|| {
            sqlite_file(&self.database_url)
                .and_then(|file| file.parent().map(|dir| dir.join("media")))
                .unwrap_or_else(|| PathBuf::from("media"))
        });
        Location::Directory(dir)
    }

    pub fn max_upload_bytes(&self) -> u64 {
        self.max_upload_mb.saturating_mul(1_000_000)
    }

    pub fn unsent_upload_bytes(&self) -> u64 {
        self.unsent_upload_mb.saturating_mul(1_000_000)
    }

    /// Uploads per person: `uploads_per_minute`, then refused for a while.
    pub fn upload_rule(&self) -> Rule {
        Rule {
            free_attempts: self.uploads_per_minute.max(1),
            window: Duration::from_secs(60),
            first_block: Duration::from_secs(10),
            max_block: Duration::from_secs(5 * 60),
        }
    }

    /// What one socket may send.
    pub fn rate_limit(&self) -> RateLimit {
        RateLimit {
            per_second: self.events_per_second,
            burst: self.event_burst,
        }
    }

    /// What one person may hold of a node: their sockets, and one event
    /// budget for all of them, twice one socket's (a second tab costs
    /// nothing; a fiftieth buys nothing).
    pub fn shares(&self) -> Shares {
        let socket = self.rate_limit();
        Shares {
            max_sockets: self.max_sockets_per_person.max(1),
            events: RateLimit {
                per_second: socket.per_second * 2.0,
                burst: socket.burst * 2.0,
            },
        }
    }

    pub fn throttling(&self) -> Throttling {
        const QUARTER_HOUR: Duration = Duration::from_secs(15 * 60);
        const HOUR: Duration = Duration::from_secs(60 * 60);
        let backoff = Duration::try_from_secs_f64(self.login_backoff_seconds)
            .unwrap_or(Duration::from_secs(2));
        let login = |free_attempts| Rule {
            free_attempts,
            window: QUARTER_HOUR,
            first_block: backoff,
            max_block: QUARTER_HOUR,
        };
        Throttling {
            login_per_account: login(self.login_attempts),
            login_per_address: login(self.login_attempts.saturating_mul(4)),
            signups_per_address: Rule {
                free_attempts: match self.signups_per_hour {
                    0 => u32::MAX,
                    limit => limit,
                },
                window: HOUR,
                first_block: Duration::from_secs(60),
                max_block: HOUR,
            },
        }
    }
}

/// The file of a `sqlite://FILE?…` URL.
pub(crate) fn sqlite_file(database_url: &str) -> Option<PathBuf> {
    let rest = database_url.strip_prefix("sqlite://")?;
    let file = rest.split('?').next().unwrap_or_default();
    (!file.is_empty() && !file.contains(":memory:")).then(|| PathBuf::from(file))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_sit_next_to_the_sqlite_file_unless_told_otherwise() {
        let mut settings = Settings::parse_from([
            "parley",
            "--database-url",
            "sqlite:///data/chat.db?mode=rwc",
        ]);
        let Location::Directory(dir) = settings.media_location() else {
            panic!("a directory");
        };
        assert_eq!(dir, PathBuf::from("/data/media"));
        settings.media_url = Some("s3://parley".into());
        assert!(matches!(settings.media_location(), Location::S3 { .. }));
        assert_eq!(sqlite_file("postgres://x/y"), None);
        assert_eq!(
            sqlite_file("sqlite://parley.db"),
            Some(PathBuf::from("parley.db"))
        );
    }
}
