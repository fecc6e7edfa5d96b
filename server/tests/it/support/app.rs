//! `spawn_app()`: a real Parley server for one test.

use app::protocol::{AuthReply, ErrorReply};
use parley_server::{config::Settings, startup::Application};
use reqwest::{StatusCode, redirect};
use serde_json::{Value, json};
use std::{net::SocketAddr, path::PathBuf};
use tempfile::TempDir;
use tokio::{sync::oneshot, task::JoinHandle};

pub struct TestApp {
    pub addr: SocketAddr,
    /// Where `/metrics` is (its own listener).
    pub metrics_addr: SocketAddr,
    /// A client that keeps cookies but does not follow redirects, so tests see them.
    pub http: reqwest::Client,
    pub db_dir: TempDir,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

pub fn settings_for(db_file: PathBuf) -> Settings {
    Settings {
        command: None,
        config: None,
        signup: None,
        public_url: None,
        addr: "127.0.0.1:0".parse().expect("a literal address"),
        metrics_addr: Some("127.0.0.1:0".parse().expect("a literal address")),
        database_url: format!("sqlite://{}?mode=rwc", db_file.display()),
        redis_url: None,
        allowed_origins: vec![],
        cookie_secure: false,
        session_days: 30,
        events_per_second: 20.0,
        event_burst: 60.0,
        max_sockets_per_person: 50,
        login_attempts: 5,
        login_backoff_seconds: 2.0,
        signups_per_hour: 200,
        trust_forwarded_for: false,
        presence_recheck_seconds: 30.0,
        // A database taken away is reported quickly (the tests that do so
        // wait for `unavailable`).
        db_wait_seconds: 2.0,
        log: "warn".into(),
        media_dir: None,
        media_url: None,
        media_endpoint: None,
        media_region: None,
        media_access_key: None,
        media_secret_key: None,
        max_upload_mb: 25,
        uploads_per_minute: 30,
        unsent_upload_mb: 200,
        push_contact: Some("mailto:ops@parley.test".into()),
        // The tests' push services listen on loopback.
        push_allow_http_loopback: true,
        // The names of the site's files as the binary the tests start reads
        // them: hashed beside a release build (what `.ci/test` builds).
        hash_files: None,
        hash_file: PathBuf::from(env!("CARGO_BIN_EXE_parley")).with_file_name("hash.txt"),
        // The site a release build carries, as people run it; a debug build
        // carries none: the workspace's (`cargo leptos build`).
        site_root: (!parley_server::site::EMBEDDED)
            .then(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/site")),
    }
}

pub async fn spawn_app() -> TestApp {
    let db_dir = tempfile::tempdir().expect("temp dir");
    spawn_app_in(db_dir).await
}

/// Starts a server on the SQLite file in `db_dir` (fresh, or left by an earlier server).
pub async fn spawn_app_in(db_dir: TempDir) -> TestApp {
    spawn_app_with(db_dir, |_| {}).await
}

pub async fn spawn_app_with(db_dir: TempDir, configure: impl FnOnce(&mut Settings)) -> TestApp {
    parley_server::telemetry::init("warn");
    let mut settings = settings_for(db_dir.path().join("parley.db"));
    configure(&mut settings);
    let application = Application::build(settings).await.expect("server starts");
    let addr = application.local_addr().expect("bound");
    let metrics_addr = application.metrics_addr().expect("metrics bound");
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(application.run_until_stopped(async {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(redirect::Policy::none())
        .build()
        .expect("http client");
    TestApp {
        addr,
        metrics_addr,
        http,
        db_dir,
        stop: Some(stop),
        server: Some(server),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Stops the server gracefully and hands back its database directory.
    pub async fn stop(mut self) -> TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server
                .await
                .expect("server task")
                .expect("server stops cleanly");
        }
        self.db_dir
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// The page at `path` as this client's browser gets it (its cookies).
    pub async fn html(&self, path: &str) -> String {
        let response = self.http.get(self.url(path)).send().await.expect("request");
        response.text().await.expect("a page")
    }

    /// Posts an HTML form, as a browser would (redirects are not followed).
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("request")
    }

    /// Signs a new user up through the JSON API.
    pub async fn signup(&self, username: &str, password: &str) -> AuthReply {
        super::people::sign_up(&self.http, self.addr, username, password).await
    }

    /// A figure from `GET /metrics`: the sample named exactly `series` (with
    /// its labels, e.g. `parley_events_total{event="sendMessage",outcome="ok"}`),
    /// 0 when absent.
    pub async fn metric(&self, series: &str) -> f64 {
        let text = self
            .http
            .get(format!("http://{}/metrics", self.metrics_addr))
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("metrics text");
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .map(|value| value.trim().parse().expect("a number"))
            .unwrap_or(0.0)
    }

    /// Waits until the server has handled `count` socket disconnects (typing
    /// settled, the presence desk told): the metric is counted last.
    pub async fn disconnects_handled(&self, count: u32) {
        self.metric_reaches("parley_socket_disconnects_total", count)
            .await;
    }

    /// Waits until the presence desk has checked `count` users (and announced
    /// whatever changed): the metric is counted last.
    pub async fn presence_checked(&self, count: u32) {
        self.metric_reaches("parley_presence_checks_total", count)
            .await;
    }

    /// Waits until the presence desk has settled `count` reports of sockets
    /// come or gone in all (checked or not).
    pub async fn presence_reports_settled(&self, count: u32) {
        self.metric_reaches("parley_presence_reports_total", count)
            .await;
    }

    /// Waits until the presence desk has settled every report made so far
    /// (announcing whatever changed).
    pub async fn presence_settled(&self) {
        self.metric_until(
            "parley_presence_pending",
            |pending| pending <= 0.0,
            "reach 0",
        )
        .await;
    }

    pub async fn metric_reaches(&self, series: &str, count: u32) {
        let wanted = f64::from(count);
        self.metric_until(series, |value| value >= wanted, &format!("reach {count}"))
            .await;
    }

    /// Polls `series` until `done` holds of it (`what` says what was awaited).
    async fn metric_until(&self, series: &str, done: impl Fn(f64) -> bool, what: &str) {
        let deadline = tokio::time::Instant::now() + super::socket_client::PATIENCE;
        while !done(self.metric(series).await) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{series} did not {what} in time"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Signs an existing user in through the JSON API: a new session.
    pub async fn login(&self, username: &str, password: &str) -> AuthReply {
        let response = self
            .post_json(
                "/api/auth/login",
                &json!({"username": username, "password": password}),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "login of {username}");
        response.json().await.expect("auth reply")
    }

    pub async fn me(&self, token: &str) -> reqwest::Response {
        self.http
            .get(self.url("/api/me"))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }
}

/// Reads an error body, asserting it has the documented shape.
pub async fn error_of(response: reqwest::Response) -> ErrorReply {
    response
        .json()
        .await
        .expect("error body is {error: {code, message}}")
}
