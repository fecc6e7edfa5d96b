//! Throwaway Redis and PostgreSQL servers from Debian's packages, one per test,
//! on random loopback ports with no persistence; stopped when dropped. Where the
//! binaries are missing, `start()` says so and returns `None`, and the test
//! skips (CI installs them, so there it always runs).

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};
use tempfile::TempDir;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

fn wait_for_port(port: u16, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not start on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn find_binary(name: &str, extra_dirs: &[PathBuf]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(extra_dirs.iter().cloned())
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn skip(what: &str) {
    missing(&format!(
        "{what} is not installed (apt-get install {what}); `.ci/run` installs it"
    ));
}

/// A service a test needs is not installed: SKIPPED on a developer's machine,
/// a failure under CI (`CI=true`), where every one must be there.
pub fn missing(why: &str) {
    if std::env::var("CI").is_ok_and(|ci| ci == "true") {
        panic!("{why} (CI=true: a missing service fails, never skips)");
    }
    eprintln!("SKIPPED: {why}");
}

fn stop(child: &mut Child) {
    // SIGINT: a fast, clean shutdown for both servers.
    bench::child::stop(child, "INT", bench::child::PATIENCE);
}

pub struct RedisServer {
    binary: PathBuf,
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    pub fn start() -> Option<Self> {
        let Some(binary) = find_binary("redis-server", &[]) else {
            skip("redis-server");
            return None;
        };
        let mut redis = Self {
            binary,
            port: free_port(),
            child: None,
        };
        redis.launch();
        Some(redis)
    }

    fn launch(&mut self) {
        let child = Command::new(&self.binary)
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        wait_for_port(self.port, "redis-server");
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child);
        }
    }

    /// Stops it and starts it again on the same port (empty: no persistence).
    pub fn restart(&mut self) {
        self.stop();
        self.launch();
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A PostgreSQL cluster in a temp dir. As root it runs as the `postgres` user.
pub struct Postgres {
    port: u16,
    postgres: PathBuf,
    as_root: bool,
    child: Option<Child>,
    dir: TempDir,
}

impl Postgres {
    pub fn start() -> Option<Self> {
        let dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .map(|versions| {
                versions
                    .filter_map(|v| v.ok())
                    .map(|v| v.path().join("bin"))
                    .collect()
            })
            .unwrap_or_default();
        let (Some(initdb), Some(postgres)) =
            (find_binary("initdb", &dirs), find_binary("postgres", &dirs))
        else {
            skip("postgresql");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("parley-pg-")
            .tempdir()
            .expect("temp dir");
        let data = dir.path().join("data");
        let sockets = dir.path().join("sockets");
        std::fs::create_dir_all(&sockets).expect("socket dir");
        let as_root = is_root();
        if as_root {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status();
            assert!(
                status.is_ok_and(|s| s.success()),
                "chown the temp dir to postgres"
            );
        }
        let status = as_postgres(as_root, &initdb)
            .args(["-D"])
            .arg(&data)
            .args(["-U", "parley", "--auth=trust", "--no-sync", "-E", "UTF8"])
            .stdout(Stdio::null())
            .status()
            .expect("initdb runs");
        assert!(status.success(), "initdb failed");
        let mut server = Self {
            port: free_port(),
            postgres,
            as_root,
            child: None,
            dir,
        };
        server.launch();
        Some(server)
    }

    fn launch(&mut self) {
        let child = as_postgres(self.as_root, &self.postgres)
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args([
                "-p",
                &self.port.to_string(),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
            ])
            .args(["-c", "max_connections=200", "-k"])
            .arg(self.dir.path().join("sockets"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("postgres starts");
        self.child = Some(child);
        wait_for_port(self.port, "postgres");
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            stop(&mut child);
        }
    }

    /// Starts it again on the same port and data (after [`Self::stop`]).
    pub fn start_again(&mut self) {
        self.launch();
    }

    /// A URL for a fresh, empty database of its own.
    pub async fn new_database(&self) -> String {
        use sea_orm::{ConnectionTrait, Database};
        let name = format!("parley_{}", uuid::Uuid::now_v7().simple());
        let admin = Database::connect(format!(
            "postgres://parley@127.0.0.1:{}/postgres",
            self.port
        ))
        .await
        .expect("connect to postgres");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create database");
        format!("postgres://parley@127.0.0.1:{}/{name}", self.port)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// `setpriv` execs (no forking shell in between), so signals reach postgres itself.
fn as_postgres(as_root: bool, binary: &Path) -> Command {
    if as_root {
        let mut command = Command::new("setpriv");
        command
            .args(["--reuid=postgres", "--regid=postgres", "--init-groups"])
            .arg(binary);
        command
    } else {
        Command::new(binary)
    }
}

/// An S3-compatible server (`s3s-fs`, from crates.io: `.ci/setup test`
/// installs it) on a temp dir, with one bucket, `parley`.
pub struct S3Server {
    port: u16,
    child: Option<Child>,
    dir: TempDir,
}

impl S3Server {
    pub const BUCKET: &'static str = "parley";
    const ACCESS_KEY: &'static str = "parley-test";
    const SECRET_KEY: &'static str = "parley-test-secret";

    pub fn start() -> Option<Self> {
        let cargo_bin = std::env::var_os("HOME")
            .map(|home| PathBuf::from(home).join(".cargo/bin"))
            .into_iter()
            .collect::<Vec<_>>();
        let Some(binary) = find_binary("s3s-fs", &cargo_bin) else {
            missing(
                "s3s-fs is not installed (cargo install s3s-fs --features binary); `.ci/run` installs it",
            );
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("parley-s3-")
            .tempdir()
            .expect("temp dir");
        std::fs::create_dir_all(dir.path().join(Self::BUCKET)).expect("the bucket");
        let port = free_port();
        let child = Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args([
                "--access-key",
                Self::ACCESS_KEY,
                "--secret-key",
                Self::SECRET_KEY,
            ])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("s3s-fs starts");
        wait_for_port(port, "s3s-fs");
        Some(Self {
            port,
            child: Some(child),
            dir,
        })
    }

    /// Points a server's uploads at this bucket.
    pub fn configure(&self, settings: &mut parley_server::config::Settings) {
        settings.media_url = Some(format!("s3://{}", Self::BUCKET));
        settings.media_endpoint = Some(format!("http://127.0.0.1:{}", self.port));
        settings.media_region = Some("us-east-1".into());
        settings.media_access_key = Some(Self::ACCESS_KEY.into());
        settings.media_secret_key = Some(Self::SECRET_KEY.into());
    }

    /// The same as the environment of a `parley` command (the bucket's
    /// endpoint and credentials; the bucket itself is the command's to name).
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT", format!("http://127.0.0.1:{}", self.port)),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_ACCESS_KEY_ID", Self::ACCESS_KEY.into()),
            ("AWS_SECRET_ACCESS_KEY", Self::SECRET_KEY.into()),
        ]
    }

    /// The files the bucket holds (its objects, as s3s-fs lays them out).
    pub fn objects(&self) -> Vec<PathBuf> {
        files_under(&self.dir.path().join(Self::BUCKET))
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Every file below `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}

/// A TCP proxy on loopback the test controls: `cut` ends every connection
/// through it and refuses new ones until `restore` (a node cut off from a
/// server the others still reach).
pub struct TcpProxy {
    pub port: u16,
    open: std::sync::Arc<std::sync::atomic::AtomicBool>,
    connections: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    accepting: tokio::task::JoinHandle<()>,
}

impl TcpProxy {
    pub async fn start(target: u16) -> Self {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the proxy");
        let port = listener.local_addr().expect("its address").port();
        let open = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let connections = std::sync::Arc::<std::sync::Mutex<Vec<_>>>::default();
        let accepting = {
            let (open, connections) = (open.clone(), connections.clone());
            tokio::spawn(async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if !open.load(Ordering::SeqCst) {
                        continue; // dropped: the connection is refused
                    }
                    let relay = tokio::spawn(async move {
                        if let Ok(mut outbound) =
                            tokio::net::TcpStream::connect(("127.0.0.1", target)).await
                        {
                            let _ =
                                tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                    connections.lock().expect("connections").push(relay);
                }
            })
        };
        Self {
            port,
            open,
            connections,
            accepting,
        }
    }

    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// Ends every connection through the proxy and refuses new ones.
    pub fn cut(&self) {
        self.open.store(false, std::sync::atomic::Ordering::SeqCst);
        for relay in self.connections.lock().expect("connections").drain(..) {
            relay.abort();
        }
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.open.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.cut();
        self.accepting.abort();
    }
}
