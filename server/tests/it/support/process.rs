//! The real binary as a child process, on a SQLite file, so it can be killed
//! outright or stopped as a deploy would; what it printed is kept. And the
//! accounts a test makes on it (password: the name and " password").

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Child, Command, Stdio},
};

/// The real binary, on a SQLite file, so it can be killed outright (or
/// stopped as a deploy would); what it printed is kept.
pub struct Process {
    child: Child,
    pub addr: SocketAddr,
    output: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    readers: Vec<std::thread::JoinHandle<()>>,
}

impl Process {
    pub fn start(db: &std::path::Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_parley"))
            .args(["--addr", "127.0.0.1:0", "--log", "info"])
            .env(
                "DATABASE_URL",
                format!("sqlite://{}?mode=rwc", db.display()),
            )
            .env("PARLEY_EVENT_BURST", "100000")
            .env("PARLEY_EVENTS_PER_SECOND", "100000")
            .env("NO_COLOR", "1")
            // The workspace's site, as `spawn_app` serves it: the binary
            // checks at start-up that it has every file its pages name.
            .env(
                "LEPTOS_SITE_ROOT",
                concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site"),
            )
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("parley starts");
        let output = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("parley printed its address")
                .expect("a line");
            if let Some(addr) = line.split("listening on http://").nth(1) {
                break addr.trim().parse().expect("an address");
            }
        };
        // Keep draining its output so it never blocks on a full pipe.
        let keep = |lines: Box<dyn Iterator<Item = std::io::Result<String>> + Send>| {
            let output = output.clone();
            std::thread::spawn(move || {
                for line in lines.map_while(Result::ok) {
                    output.lock().expect("output").push(line);
                }
            })
        };
        let stderr = child.stderr.take().expect("stderr");
        let readers = vec![
            keep(Box::new(lines)),
            keep(Box::new(BufReader::new(stderr).lines())),
        ];
        Self {
            child,
            addr,
            output,
            readers,
        }
    }

    /// SIGTERM, as a deploy stops it; its exit status and everything it printed.
    pub fn terminate(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let status = self.child.wait().expect("parley exits");
        // Its pipes close with it, and the readers finish.
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        let output = self.output.lock().expect("output").clone();
        (status, output)
    }

    /// Its process id (to read its memory from `/proc`).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn kill(mut self) {
        let _ = self.child.kill(); // SIGKILL: no shutdown, no flush
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    /// A test that ends without stopping its server, or fails before it
    /// could, still stops it (a reaped child is not signalled again).
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
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
