//! The real binary as a child process, on a SQLite file, so it can be killed
//! outright or stopped as a deploy would; what it printed is kept. And the
//! accounts a test makes on it (password: the name and " password").

use bench::child::Watched;
use std::{net::SocketAddr, process::Command, time::Duration};

/// The real binary, on a SQLite file, so it can be killed outright (or
/// stopped as a deploy would); what it printed is kept.
pub struct Process {
    watched: Watched,
    pub addr: SocketAddr,
}

/// `command` spawned. A binary copied a moment ago is "busy" (ETXTBSY)
/// while any process forked since the copy began (another test's) still
/// holds its write handle, which lasts until that child execs: a moment.
fn spawn_once_not_busy(command: &mut Command) -> Watched {
    let mut tries = 0;
    loop {
        match Watched::spawn(command) {
            Err(error) if error.kind() == std::io::ErrorKind::ExecutableFileBusy && tries < 100 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(10));
            }
            spawned => return spawned.expect("parley starts"),
        }
    }
}

impl Process {
    pub fn start(db: &std::path::Path) -> Self {
        Self::start_with(db, &[])
    }

    /// [`Self::start`], with `env` set too.
    pub fn start_with(db: &std::path::Path, env: &[(&str, &str)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_parley"));
        command
            .args(["--addr", "127.0.0.1:0", "--log", "info"])
            .env(
                "DATABASE_URL",
                format!("sqlite://{}?mode=rwc", db.display()),
            )
            .env("PARLEY_EVENT_BURST", "100000")
            .env("PARLEY_EVENTS_PER_SECOND", "100000")
            .env("NO_COLOR", "1")
            .envs(env.iter().copied());
        if parley_server::site::EMBEDDED {
            // The site it carries, as people run it (whatever the shell says).
            command.env_remove("LEPTOS_SITE_ROOT");
        } else {
            // A debug build carries none: the workspace's, as `spawn_app` serves it.
            command.env(
                "LEPTOS_SITE_ROOT",
                concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site"),
            );
        }
        Self::watch(&mut command)
    }

    /// `command` (a `parley` that serves) started, once it says where it listens.
    pub fn watch(command: &mut Command) -> Self {
        let watched = spawn_once_not_busy(command);
        const LISTENING: &str = "listening on http://";
        let line = watched
            .line(|line| line.contains(LISTENING), Duration::from_secs(60))
            .expect("parley printed its address");
        let addr = line
            .split(LISTENING)
            .nth(1)
            .and_then(|addr| addr.trim().parse().ok())
            .expect("an address");
        Self { watched, addr }
    }

    /// SIGTERM, as a deploy stops it; its exit status and everything it printed.
    pub fn terminate(self) -> (std::process::ExitStatus, Vec<String>) {
        let (status, printed) = self.watched.stop("TERM");
        let status = status
            .unwrap_or_else(|| panic!("parley did not stop within 10 s of SIGTERM: {printed:#?}"));
        (status, printed)
    }

    /// Its process id (to read its memory from `/proc`).
    pub fn pid(&self) -> u32 {
        self.watched.id()
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill(self) {
        self.watched.kill();
    }
}

/// Signs `name` up on the server at `addr`.
pub async fn signup(addr: SocketAddr, name: &str) -> app::protocol::AuthReply {
    let password = format!("{name} password");
    super::people::sign_up(&reqwest::Client::new(), addr, name, &password).await
}

/// Signs `name` in again; their new token.
pub async fn login(addr: SocketAddr, name: &str) -> String {
    reqwest::Client::new()
        .post(format!("http://{addr}/api/auth/login"))
        .json(&serde_json::json!({"username": name, "password": format!("{name} password")}))
        .send()
        .await
        .expect("request")
        .json::<app::protocol::AuthReply>()
        .await
        .expect("an auth reply")
        .token
}

/// `parley ARGS…` (the release binary) run to its end, as an operator runs
/// a command, with `env` set and `stdin` given: whether it succeeded, and
/// everything it printed.
pub async fn run_parley(args: &[&str], env: &[(&str, String)], stdin: &str) -> (bool, String) {
    use tokio::io::AsyncWriteExt;
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_parley"))
        .args(args)
        .envs(env.iter().map(|(name, value)| (*name, value.as_str())))
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("parley runs");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).await.expect("stdin");
    }
    let output = child.wait_with_output().await.expect("parley ends");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), said)
}
