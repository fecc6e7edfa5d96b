//! What an operator and a browser's security model rely on: security headers on
//! every response, and `/metrics`.

use crate::{
    support::app::spawn_app,
    support::chats::{create_direct, send},
    support::socket_client::SocketClient,
};
use reqwest::header;

#[tokio::test]
async fn pages_and_the_api_carry_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/login", "/api/me", "/healthz", "/no-such-page"] {
        let response = app.http.get(app.url(path)).send().await.unwrap();
        let headers = response.headers();
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert_eq!(headers[header::REFERRER_POLICY], "same-origin", "{path}");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY", "{path}");
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
    }
}

#[tokio::test]
async fn a_pages_inline_script_carries_the_nonce_its_policy_names() {
    let app = spawn_app().await;
    let response = app.http.get(app.url("/login")).send().await.unwrap();
    let csp = response.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy")
        .to_owned();
    let html = response.text().await.unwrap();
    assert!(html.contains(&format!(r#"nonce="{nonce}""#)), "{html}");
    // A new response, a new nonce.
    let again = app.http.get(app.url("/login")).send().await.unwrap();
    let csp_again = again.headers()[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(!csp_again.contains(&nonce));
}

#[tokio::test]
async fn metrics_count_a_sent_message_and_the_sockets() {
    let app = spawn_app().await;
    let harley = app.signup("harley", "harley password").await;
    app.signup("mike", "mike password").await;
    let socket = SocketClient::connect(app.addr, &harley.token).await;
    let chat = create_direct(&socket, "mike").await;
    socket.emit(&send(&chat, "h-1", "counted")).await.unwrap();

    let sent = r#"parley_events_total{event="sendMessage",outcome="ok"}"#;
    assert_eq!(app.metric(sent).await, 1.0);
    assert_eq!(app.metric("parley_message_commit_seconds_count").await, 1.0);
    // How long each took at the server, by event, and the socket's handshake.
    let took = r#"parley_event_seconds_count{event="sendMessage"}"#;
    assert_eq!(app.metric(took).await, 1.0);
    assert_eq!(app.metric("parley_handshake_seconds_count").await, 1.0);
    assert_eq!(app.metric("parley_message_batch_size_sum").await, 1.0);
    assert_eq!(app.metric("parley_sockets_connected").await, 1.0);
    assert_eq!(app.metric("parley_users_online").await, 1.0);
    assert_eq!(app.metric("parley_redis_up").await, -1.0);
    assert!(
        app.metric(r#"parley_db_connections{pool="write",state="idle"}"#)
            .await
            >= 0.0
    );

    let refused = socket
        .emit(&send(&chat, "h-2", &"x".repeat(4001)))
        .await
        .unwrap_err();
    let too_long = format!(
        r#"parley_events_total{{event="sendMessage",outcome="{}"}}"#,
        refused.code.as_str()
    );
    assert_eq!(app.metric(&too_long).await, 1.0);

    socket.disconnect().await;
    app.disconnects_handled(1).await;
    assert_eq!(app.metric("parley_sockets_connected").await, 0.0);
}

/// What the node knows of its people (who is online, how much they send)
/// is not for whoever can reach the chat: `/metrics` is only on its own
/// listener (`--metrics-addr`).
#[tokio::test]
async fn metrics_are_not_served_on_the_public_listener() {
    let app = spawn_app().await;
    let public = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), reqwest::StatusCode::NOT_FOUND);
    assert_ne!(app.metrics_addr, app.addr);
    let private = app
        .http
        .get(format!("http://{}/metrics", app.metrics_addr))
        .send()
        .await
        .unwrap();
    assert_eq!(private.status(), reqwest::StatusCode::OK);
    assert!(
        private
            .text()
            .await
            .unwrap()
            .contains("parley_sockets_connected")
    );
}
