//! Server-rendered pages: what a browser gets before any WebAssembly runs.

use crate::support::app::spawn_app;
use reqwest::{StatusCode, header};

#[tokio::test]
async fn the_chat_list_sends_strangers_to_the_login_page() {
    let app = spawn_app().await;
    let response = app.http.get(app.url("/")).send().await.unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    assert_eq!(response.headers()[header::LOCATION], "/login");
}

#[tokio::test]
async fn the_login_page_renders_a_form_that_posts_without_javascript() {
    let app = spawn_app().await;
    let response = app
        .http
        .get(app.url("/login?error=invalid_credentials&username=mike"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(r#"<form method="post" action="/login""#),
        "{html}"
    );
    assert!(html.contains("Wrong username or password."), "{html}");
    assert!(
        html.contains(r#"value="mike""#),
        "the username is refilled: {html}"
    );
}

#[tokio::test]
async fn a_signed_in_person_sees_their_name_on_the_chat_list() {
    let app = spawn_app().await;
    app.post_form(
        "/signup",
        &[
            ("username", "harley"),
            ("password", "correct horse"),
            ("displayName", "Harley <Quinn>"),
        ],
    )
    .await;
    let response = app.http.get(app.url("/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Harley &lt;Quinn&gt;"),
        "the name, escaped as text: {html}"
    );
    assert!(html.contains("No chats yet"), "{html}");
    // and the sign-in pages send a signed-in person home
    let login = app.http.get(app.url("/login")).send().await.unwrap();
    assert!(login.status().is_redirection());
    assert_eq!(login.headers()[header::LOCATION], "/");
}

#[tokio::test]
async fn an_open_chat_renders_on_the_server_for_its_member() {
    let app = spawn_app().await;
    app.post_form(
        "/signup",
        &[("username", "harley"), ("password", "correct horse")],
    )
    .await;
    // The page renders its frame (the browser fills in the messages over the
    // socket): what matters here is that rendering it on the server works.
    let chat = uuid::Uuid::now_v7();
    let response = app
        .http
        .get(app.url(&format!("/chats/{chat}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"data-testid="conversation""#), "{html}");
    assert!(
        html.contains(r#"aria-label="Message""#),
        "the composer is there: {html}"
    );
}

/// The files under `/pkg/` a page names (`href="…"`, `src="…"`).
fn named_in(html: &str) -> Vec<String> {
    let mut named = Vec::new();
    for attribute in [r#"href=""#, r#"src=""#] {
        for (at, _) in html.match_indices(attribute) {
            let rest = &html[at + attribute.len()..];
            let url = &rest[..rest.find('"').unwrap_or(0)];
            if url.starts_with("/pkg/") {
                named.push(url.to_owned());
            }
        }
    }
    named
}

/// The site's assets as a browser asks for them: brotli when it may, gzip
/// when that is all it takes, and as they are otherwise; kept for good when
/// their name carries a hash of their content (a release build), revalidated
/// otherwise.
#[tokio::test]
async fn assets_are_compressed_as_the_browser_accepts_and_cached_as_named() {
    let app = spawn_app().await;
    let login = app.http.get(app.url("/login")).send().await.unwrap();
    let named = named_in(&login.text().await.unwrap());
    let kinds: Vec<&str> = named
        .iter()
        .filter_map(|url| url.rsplit('.').next())
        .collect();
    // The stylesheet, the JavaScript and the WebAssembly, and on this page
    // the account pages' chunks and their loader.
    for kind in ["css", "js", "wasm"] {
        assert!(kinds.contains(&kind), "no {kind} in {named:?}");
    }
    for asset in named.iter().map(String::as_str) {
        let fetch = |accept: &'static str| {
            app.http
                .get(app.url(asset))
                .header(header::ACCEPT_ENCODING, accept)
                .send()
        };
        let raw = fetch("identity").await.unwrap();
        assert_eq!(raw.status(), StatusCode::OK, "{asset}");
        assert!(raw.headers().get(header::CONTENT_ENCODING).is_none());
        let raw_size = raw.bytes().await.unwrap().len();
        for (accept, expected) in [("br, gzip", "br"), ("gzip", "gzip")] {
            let response = fetch(accept).await.unwrap();
            assert_eq!(
                response.headers()[header::CONTENT_ENCODING],
                expected,
                "{asset}"
            );
            assert_eq!(response.headers()[header::VARY], "accept-encoding");
            let hashed = !asset.starts_with("/pkg/parley.css")
                && !asset.starts_with("/pkg/parley.js")
                && !asset.starts_with("/pkg/parley.wasm");
            let cache = if hashed {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            assert_eq!(response.headers()[header::CACHE_CONTROL], cache, "{asset}");
            let size = response.bytes().await.unwrap().len();
            assert!(size < raw_size, "{asset} {expected}: {size} of {raw_size}");
        }
    }
    let page = app
        .http
        .get(app.url("/login"))
        .header(header::ACCEPT_ENCODING, "br")
        .send()
        .await
        .unwrap();
    assert_eq!(page.headers()[header::CONTENT_ENCODING], "br");
    assert_eq!(page.headers()[header::CACHE_CONTROL], "private, no-cache");
}

/// The first HTML of `/` already lists the person's chats, with what is
/// unread: readable before any WebAssembly arrives, or without it.
#[tokio::test]
async fn the_chat_list_is_in_the_first_html() {
    use crate::{support::chats::create_direct, support::socket_client::SocketClient};
    let app = spawn_app().await;
    let mike = app.signup("mike", "mike password").await;
    app.post_form(
        "/signup",
        &[
            ("username", "harley"),
            ("password", "correct horse"),
            ("displayName", "Harley"),
        ],
    )
    .await;
    let mike_socket = SocketClient::connect(app.addr, &mike.token).await;
    let chat = create_direct(&mike_socket, "harley").await;
    for body in ["are you there?", "call me back"] {
        mike_socket
            .emit(&app::protocol::SendMessage::new(chat.id, body, body))
            .await
            .expect("sent");
    }
    let html = app.html("/").await;
    assert!(html.contains(r#"data-testid="chat-row""#), "{html}");
    // The whole name, up to the next tag or hydration marker: not "mikey".
    assert!(html.contains(r#"<span class="row-title">mike<"#), "{html}");
    assert!(html.contains("call me back"), "the last message: {html}");
    assert!(
        html.contains(r#"aria-label="2 unread""#),
        "the unread badge: {html}"
    );
    assert!(!html.contains("No chats yet"), "{html}");
}

/// The first HTML of `/chats/:id` holds the chat's latest messages with
/// their ticks as the socket gives them, for its members only, and marks
/// nothing seen.
#[tokio::test]
async fn an_open_chat_is_in_the_first_html_with_its_messages() {
    use crate::{support::chats::create_direct, support::socket_client::SocketClient};
    use app::protocol::{History, ListChats, SendMessage};
    let app = spawn_app().await;
    let mike = app.signup("mike", "mike password").await;
    let harley = app.signup("harley", "harley password").await;
    let mike_socket = SocketClient::connect(app.addr, &mike.token).await;
    let harley_socket = SocketClient::connect(app.addr, &harley.token).await;
    let chat = create_direct(&harley_socket, "mike").await;
    harley_socket
        .emit(&SendMessage::new(chat.id, "h1", "noon works?"))
        .await
        .expect("sent");
    mike_socket
        .emit(&SendMessage::new(chat.id, "m1", "see you at noon"))
        .await
        .expect("sent");
    // Harley's browser: the session cookie of a form sign-in.
    app.post_form(
        "/login",
        &[("username", "harley"), ("password", "harley password")],
    )
    .await;
    let path = format!("/chats/{}", chat.id);
    let page = || async {
        let response = app.http.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.unwrap()
    };
    let html = page().await;
    // The conversation's code is a chunk of its own: the page names it for
    // the browser to fetch alongside the page's own WebAssembly.
    let preload = r#"rel="preload""#;
    let chunk = "/pkg/split_conversation_pane.";
    assert!(
        html.contains(preload) && html.contains(chunk),
        "a preload of the conversation's chunk in {html}"
    );
    let list = app.http.get(app.url("/")).send().await.unwrap();
    let list = list.text().await.unwrap();
    assert!(
        !list.contains(chunk),
        "the chat list alone waits for no conversation: {list}"
    );
    // Within the conversation (the list's preview says it too).
    let log = html
        .find(r#"aria-label="Messages""#)
        .unwrap_or_else(|| panic!("the conversation in {html}"));
    let bubble = |text: &str| {
        let end = log
            + html[log..]
                .find(text)
                .unwrap_or_else(|| panic!("{text} in {html}"));
        let start = html[..end]
            .rfind(r#"data-testid="message""#)
            .unwrap_or_else(|| panic!("the bubble of {text} in {html}"));
        html[start..end].to_owned()
    };
    // Harley's own message carries the tick the socket reports for it; Mike's
    // carries none.
    let history = harley_socket
        .emit(&History::latest(chat.id))
        .await
        .expect("history");
    let status = serde_json::to_value(history[0].status).unwrap();
    let status = status.as_str().unwrap();
    let own = bubble("noon works?");
    assert!(own.contains(&format!(r#"data-status="{status}""#)), "{own}");
    assert!(!bubble("see you at noon").contains("data-status"));
    // Rendering it marked nothing seen: Mike's message is still unread.
    let list = harley_socket
        .emit(&ListChats::first())
        .await
        .expect("list")
        .chats;
    assert_eq!(list[0].unread_count, 1, "Harley has not opened it yet");
    // Someone else signed in gets none of it.
    app.post_form(
        "/signup",
        &[("username", "sara"), ("password", "sara password")],
    )
    .await;
    let html = page().await;
    assert!(!html.contains("see you at noon"), "{html}");
    assert!(!html.contains("noon works?"), "{html}");
}

#[tokio::test]
async fn an_address_that_is_no_page_answers_not_found() {
    let app = spawn_app().await;
    for path in ["/nowhere", "/chats", "/login/again"] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("Page not found."), "{path}: {html}");
    }
}

/// The release binary beside its `hash.txt`, pointed at a site that is not the
/// one built with it (here: none at all), would serve pages naming files it
/// does not have. It refuses to start instead, and says what is wrong.
#[test]
fn a_server_whose_site_lacks_a_file_its_pages_name_refuses_to_start() {
    let site = tempfile::tempdir().expect("temp dir");
    let data = tempfile::tempdir().expect("temp dir");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_parley"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--hash-files",
            "true",
            "--site-root",
        ])
        .arg(site.path())
        .env(
            "DATABASE_URL",
            format!(
                "sqlite://{}?mode=rwc",
                data.path().join("parley.db").display()
            ),
        )
        .env("NO_COLOR", "1")
        .output()
        .expect("parley runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
    assert!(!output.status.success(), "it started: {stdout}{stderr}");
    assert!(!stdout.contains("listening on"), "{stdout}");
    // Beside a release build's hash.txt: the file the pages would name and
    // is missing; beside a build without one: that there is none.
    assert!(
        stderr.contains("pkg/parley.") && stderr.contains("not in")
            || stderr.contains("there is no") && stderr.contains("hash.txt"),
        "{stderr}"
    );
}

/// The sign-in page's address is anyone's to write: its error code picks one
/// of the page's own sentences and its wait is read only as a number, so a
/// link cannot make the page say something in the server's voice.
#[tokio::test]
async fn the_sign_in_page_prints_no_words_from_its_address() {
    let app = spawn_app().await;
    let app = &app;
    let page = |query: &'static str| async move {
        let response = app
            .http
            .get(app.url(&format!("/login?{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        response.text().await.unwrap()
    };
    let planted =
        page("error=rate_limited&retry=5+minutes.+Your+account+is+locked%3A+call+0800+123").await;
    assert!(
        html_has(&planted, "Too many attempts. Try again later."),
        "{planted}"
    );
    assert!(!planted.contains("locked"), "{planted}");
    let throttled = page("error=rate_limited&retry=30").await;
    assert!(
        html_has(&throttled, "Too many attempts. Try again in 30 seconds."),
        "{throttled}"
    );
    let unknown = page("error=Your+account+is+locked").await;
    assert!(
        html_has(&unknown, "Something went wrong. Please try again."),
        "{unknown}"
    );
    assert!(!unknown.contains("locked"), "{unknown}");
}

/// Whether the page shows `sentence` as one text node (Leptos' markers aside).
fn html_has(html: &str, sentence: &str) -> bool {
    html.contains(&format!(">{sentence}<"))
}

/// Many people opening Parley at once (9 am): every page is drawn whole.
/// (Drawn at the same time, a page once read its title's signals after its
/// owner was gone and the server's task panicked: the page never came.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_drawn_at_the_same_time_each_come_whole() {
    use crate::support::{chats::create_direct, socket_client::SocketClient};
    let app = spawn_app().await;
    let mike = app.signup("mike", "mike password").await;
    let harley = app.signup("harley", "harley password").await;
    let mike_socket = SocketClient::connect(app.addr, &mike.token).await;
    let chat = create_direct(&mike_socket, "harley").await;
    mike_socket
        .emit(&app::protocol::SendMessage::new(
            chat.id,
            "c-1",
            "are you there?",
        ))
        .await
        .expect("sent");
    let cookie = format!("parley_session={}", harley.token);
    let pages = (0..32).map(|n| {
        let path = if n % 2 == 0 {
            "/".to_owned()
        } else {
            format!("/chats/{}", chat.id)
        };
        reqwest::Client::new()
            .get(app.url(&path))
            .header(header::COOKIE, cookie.clone())
            .send()
    });
    for page in futures::future::join_all(pages).await {
        let page = page.expect("the page came");
        assert_eq!(page.status(), StatusCode::OK);
        let html = page.text().await.expect("html");
        assert!(html.contains("are you there?"), "{html}");
    }
}
