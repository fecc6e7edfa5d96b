//! Server-rendered pages: what a browser gets before any WebAssembly runs.

use crate::helpers::spawn_app;
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

/// The site's assets as a browser asks for them: brotli when it may, gzip
/// when that is all it takes, and as they are otherwise.
#[tokio::test]
async fn assets_are_compressed_as_the_browser_accepts_and_revalidated() {
    let app = spawn_app().await;
    for asset in ["/pkg/parley.wasm", "/pkg/parley.js", "/pkg/parley.css"] {
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
            // Unhashed names (this build): kept, but checked every time.
            assert_eq!(response.headers()[header::CACHE_CONTROL], "no-cache");
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
    use crate::{realtime::create_direct, socket_client::SocketClient};
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
    let html = app
        .http
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
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
    use crate::{realtime::create_direct, socket_client::SocketClient};
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
    let list = harley_socket.emit(&ListChats {}).await.expect("list");
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
