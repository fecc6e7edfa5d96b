//! One file to ship: the release binary alone, anywhere, serves the whole
//! site; and its settings come from flags, the environment and a settings
//! file, in that order.

use crate::support::process::{Process, run_parley};
use reqwest::{StatusCode, header};
use std::{path::Path, process::Command};

/// `parley` copied alone into `dir`, started there with nothing in its
/// environment but `env`.
fn alone_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Process {
    let binary = dir.join("parley");
    // A link where it can be, not a copy: a file just written cannot be run
    // while a process another test forked meanwhile still holds it open for
    // writing (ETXTBSY, until that child execs). A copy waits that out.
    // (Never a copy onto an earlier link: that would empty the original.)
    if !binary.exists() && std::fs::hard_link(env!("CARGO_BIN_EXE_parley"), &binary).is_err() {
        std::fs::copy(env!("CARGO_BIN_EXE_parley"), &binary).expect("the binary copied");
    }
    let mut command = Command::new(&binary);
    command
        .current_dir(dir)
        .env_clear()
        .envs(env.iter().copied())
        .env("NO_COLOR", "1")
        .args([
            "--addr",
            "127.0.0.1:0",
            "--metrics-addr",
            "127.0.0.1:0",
            "--log",
            "info",
        ])
        .args(args);
    if !parley_server::site::EMBEDDED {
        command.args([
            "--site-root",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../target/site"),
        ]);
    }
    Process::watch(&mut command)
}

/// Every `/pkg/…`, `/vendor/…` and `/favicon…` file a page names.
fn files_named(html: &str) -> Vec<String> {
    ["href=\"", "src=\""]
        .iter()
        .flat_map(|attribute| html.split(attribute).skip(1))
        .filter_map(|rest| rest.split('"').next())
        .filter(|url| {
            ["/pkg/", "/vendor/", "/favicon"]
                .iter()
                .any(|p| url.starts_with(p))
        })
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn the_release_binary_alone_in_an_empty_directory_serves_a_styled_page() {
    if !parley_server::site::EMBEDDED {
        assert!(
            std::env::var_os("CI").is_none(),
            "the release build the suite runs must carry its site (built by `cargo leptos build --release`)"
        );
        eprintln!("skipped: a debug build carries no site");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let parley = alone_in(dir.path(), &[], &[]);
    let http = reqwest::Client::new();
    let url = |path: &str| format!("http://{}{path}", parley.addr);

    let page = http.get(url("/login")).send().await.expect("request");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("html");
    let named = files_named(&html);
    let stylesheet = named
        .iter()
        .find(|name| name.ends_with(".css"))
        .expect("the page names its stylesheet");
    assert!(
        named.iter().any(|name| name.ends_with(".wasm")),
        "{named:?}"
    );
    for name in &named {
        let response = http.get(url(name)).send().await.expect("request");
        assert_eq!(response.status(), StatusCode::OK, "the page names {name}");
    }

    // The stylesheet styles the page, as built.
    let css = http.get(url(stylesheet)).send().await.expect("request");
    assert_eq!(css.headers()[header::CONTENT_TYPE], "text/css");
    let plain = css.bytes().await.expect("css");
    assert!(
        String::from_utf8_lossy(&plain).contains(".auth-card"),
        "the sign-in card's style is in it"
    );
    // Precompressed at build time and sent as such; kept for good.
    let brotli = http
        .get(url(stylesheet))
        .header(header::ACCEPT_ENCODING, "gzip, br")
        .send()
        .await
        .expect("request");
    assert_eq!(brotli.headers()[header::CONTENT_ENCODING], "br");
    assert!(
        brotli.headers()[header::CACHE_CONTROL]
            .to_str()
            .expect("text")
            .contains("immutable")
    );
    let etag = brotli.headers()[header::ETAG].clone();
    assert!(brotli.bytes().await.expect("br").len() < plain.len());
    let again = http
        .get(url(stylesheet))
        .header(header::ACCEPT_ENCODING, "gzip, br")
        .header(header::IF_NONE_MATCH, etag)
        .send()
        .await
        .expect("request");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let wasm = named
        .iter()
        .find(|name| name.ends_with(".wasm"))
        .expect("wasm");
    let wasm = http.get(url(wasm)).send().await.expect("request");
    assert_eq!(wasm.headers()[header::CONTENT_TYPE], "application/wasm");

    // What no route and no file answers is the app's own 404 page.
    let missing = http
        .get(url("/pkg/nothing.css"))
        .send()
        .await
        .expect("request");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    // It unpacked nothing of the site beside itself: only its database is new.
    let (status, printed) = parley.terminate();
    assert!(status.success(), "{printed:#?}");
    let mut beside: Vec<String> = std::fs::read_dir(dir.path())
        .expect("the directory")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| !name.starts_with("parley.db"))
        .collect();
    beside.sort();
    assert_eq!(beside, ["media", "parley"]);
}

/// `parley config`'s line for `name`: its value and where it came from.
fn line_of<'a>(report: &'a str, name: &str) -> &'a str {
    report
        .lines()
        .find(|line| line.starts_with(&format!("{name} = ")))
        .unwrap_or_else(|| panic!("no {name} in\n{report}"))
}

#[tokio::test]
async fn a_flag_beats_the_environment_which_beats_the_settings_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("parley.toml");
    std::fs::write(
        &file,
        "signup = \"closed\"\nsession-days = 7\nmax-upload-mb = 5\n\
         allowed-origins = [\"https://a.example\", \"https://b.example\"]\n\
         database-url = \"postgres://parley:hunter2@db/parley\"\n",
    )
    .expect("settings file");
    let config = file.to_string_lossy().into_owned();
    let (ok, report) = run_parley(
        &["--config", &config, "config", "--max-upload-mb", "6"],
        &[("PARLEY_SESSION_DAYS", "9".into())],
        "",
    )
    .await;
    assert!(ok, "{report}");
    for expected in [
        "signup = \"closed\"  # settings file",
        "session-days = 9  # environment PARLEY_SESSION_DAYS",
        "max-upload-mb = 6  # flag --max-upload-mb",
        "allowed-origins = [\"https://a.example\", \"https://b.example\"]  # settings file",
        "unsent-upload-mb = 200  # default",
    ] {
        let name = expected.split(" = ").next().unwrap_or_default();
        assert_eq!(line_of(&report, name), expected);
    }
    // No password is printed.
    assert!(!report.contains("hunter2"), "{report}");

    // What it prints is a settings file that gives the same settings.
    let printed = dir.path().join("printed.toml");
    std::fs::write(&printed, report.replace("********", "hunter2")).expect("written");
    let (ok, again) =
        run_parley(&["--config", &printed.to_string_lossy(), "config"], &[], "").await;
    assert!(ok, "{again}");
    for name in [
        "signup",
        "session-days",
        "max-upload-mb",
        "allowed-origins",
        "log",
    ] {
        let value = |report: &str| line_of(report, name).split("  #").next().map(str::to_owned);
        assert_eq!(value(&again), value(&report), "{name}");
    }

    // A name that is no setting is refused, by name.
    std::fs::write(&file, "sigunp = \"closed\"\n").expect("settings file");
    let (ok, refusal) = run_parley(&["--config", &config, "config"], &[], "").await;
    assert!(!ok);
    assert!(refusal.contains("`sigunp` is no setting"), "{refusal}");
}

#[tokio::test]
async fn the_server_runs_with_what_the_settings_file_says_unless_told_otherwise() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("parley.toml"), "signup = \"closed\"\n").expect("settings");
    let signup = |addr| async move {
        reqwest::Client::new()
            .post(format!("http://{addr}/api/auth/signup"))
            .json(&serde_json::json!({"username": "ada", "password": "ada password"}))
            .send()
            .await
            .expect("request")
            .status()
    };
    // `parley.toml` in the working directory is read by itself.
    let parley = alone_in(dir.path(), &["serve"], &[]);
    assert_eq!(
        signup(parley.addr).await,
        StatusCode::FORBIDDEN,
        "closed by the file"
    );
    parley.terminate();
    let parley = alone_in(dir.path(), &["serve"], &[("PARLEY_SIGNUP", "open")]);
    assert_eq!(
        signup(parley.addr).await,
        StatusCode::CREATED,
        "opened by the environment"
    );
    parley.terminate();
}
