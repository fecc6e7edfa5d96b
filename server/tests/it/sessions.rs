//! Sessions that really end: signing out (one session, or every one) and a
//! password change close the sockets of what they end, on every node; expired
//! sessions are refused at the handshake.

use crate::{
    support::app::{TestApp, error_of, spawn_app, spawn_app_with},
    support::chats::{create_direct, send},
    support::nodes::two_nodes,
    support::socket_client::{Credentials, SocketClient},
};
use app::protocol::{ErrorCode, NewMessage, SessionEndReason, SessionEnded};
use reqwest::StatusCode;
use serde_json::json;

async fn post_with_token(app: &TestApp, path: &str, token: &str) -> reqwest::Response {
    app.http
        .post(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
}

#[tokio::test]
async fn signing_out_ends_that_sessions_sockets_and_no_other() {
    let app = spawn_app().await;
    let harley = app.signup("harley", "harley password").await;
    let mike = app.signup("mike", "mike password").await;
    let phone = app.login("harley", "harley password").await;
    let laptop_socket = SocketClient::connect(app.addr, &harley.token).await;
    let phone_socket = SocketClient::connect(app.addr, &phone.token).await;
    let mike_socket = SocketClient::connect(app.addr, &mike.token).await;
    let chat = create_direct(&mike_socket, "harley").await;

    let logout = post_with_token(&app, "/api/auth/logout", &harley.token).await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    let ended = laptop_socket.next::<SessionEnded>().await;
    assert_eq!(ended.reason, SessionEndReason::SignedOut);
    laptop_socket.closed_by_server().await;

    // The other session is untouched: it still hears Mike.
    mike_socket
        .emit(&send(&chat, "m-1", "still there?"))
        .await
        .expect("sent");
    let heard = phone_socket.next::<NewMessage>().await;
    assert_eq!(heard.0.body, "still there?");
    assert!(phone_socket.is_open());

    // The ended session cannot come back.
    let again = SocketClient::try_connect(app.addr, Credentials::Token(&harley.token), None).await;
    assert!(again.is_err_and(|error| error.contains("unauthorized")));
}

#[tokio::test]
async fn signing_out_everywhere_ends_every_session_and_socket() {
    let app = spawn_app().await;
    let harley = app.signup("harley", "harley password").await;
    let other = app.login("harley", "harley password").await;
    let first = SocketClient::connect(app.addr, &harley.token).await;
    let second = SocketClient::connect(app.addr, &other.token).await;

    let response = post_with_token(&app, "/api/auth/logout-all", &harley.token).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    for socket in [&first, &second] {
        assert_eq!(
            socket.next::<SessionEnded>().await.reason,
            SessionEndReason::SignedOutEverywhere
        );
        socket.closed_by_server().await;
    }
    for token in [&harley.token, &other.token] {
        assert_eq!(app.me(token).await.status(), StatusCode::UNAUTHORIZED);
    }
    // Signing in again works: only the sessions ended, not the account.
    app.login("harley", "harley password").await;
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions_and_keeps_this_one() {
    let app = spawn_app().await;
    let harley = app.signup("harley", "harley password").await;
    let other = app.login("harley", "harley password").await;
    let here = SocketClient::connect(app.addr, &harley.token).await;
    let elsewhere = SocketClient::connect(app.addr, &other.token).await;

    let change = |current: &str, new: &str| {
        app.http
            .post(app.url("/api/auth/password"))
            .bearer_auth(&harley.token)
            .json(&json!({"currentPassword": current, "newPassword": new}))
            .send()
    };
    let wrong = change("not my password", "a brand new one").await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        error_of(wrong).await.error.code,
        ErrorCode::InvalidCredentials
    );
    let short = change("harley password", "short").await.unwrap();
    assert_eq!(error_of(short).await.error.code, ErrorCode::InvalidPassword);

    let changed = change("harley password", "a brand new one").await.unwrap();
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        elsewhere.next::<SessionEnded>().await.reason,
        SessionEndReason::PasswordChanged
    );
    elsewhere.closed_by_server().await;
    assert_eq!(
        app.me(&other.token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // This session goes on, its socket too.
    assert_eq!(app.me(&harley.token).await.status(), StatusCode::OK);
    here.sync().await;
    assert!(here.is_open());
    // The new password signs in, the old one does not.
    let app = &app;
    let login = |password: &'static str| async move {
        app.post_json(
            "/api/auth/login",
            &json!({"username": "harley", "password": password}),
        )
        .await
        .status()
    };
    assert_eq!(login("a brand new one").await, StatusCode::OK);
    assert_eq!(login("harley password").await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_expired_session_is_refused_at_the_handshake() {
    // A session that lasts no time at all is expired as soon as it is made.
    let app = spawn_app_with(tempfile::tempdir().unwrap(), |settings| {
        settings.session_days = 0;
    })
    .await;
    let harley = app.signup("harley", "harley password").await;
    let refused =
        SocketClient::try_connect(app.addr, Credentials::Token(&harley.token), None).await;
    assert!(refused.is_err_and(|error| error.contains("unauthorized")));
    assert_eq!(
        app.me(&harley.token).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn signing_out_on_one_node_ends_the_socket_on_the_other() {
    let Some(nodes) = two_nodes().await else {
        return;
    };
    let (a, b) = (&nodes.a, &nodes.b);
    let harley = a.signup("harley", "harley password").await;
    let on_b = SocketClient::connect(b.addr, &harley.token).await;

    let logout = post_with_token(a, "/api/auth/logout", &harley.token).await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        on_b.next::<SessionEnded>().await.reason,
        SessionEndReason::SignedOut
    );
    on_b.closed_by_server().await;
    // Node B had let the session in lately (one look-up serves a burst): it
    // forgot that before it ended the socket, so the session stays out.
    let again = SocketClient::try_connect(b.addr, Credentials::Token(&harley.token), None).await;
    assert!(again.is_err_and(|error| error.contains("unauthorized")));
}

#[tokio::test]
async fn the_account_form_changes_the_password_or_says_why_not() {
    let app = spawn_app().await;
    app.post_form(
        "/signup",
        &[("username", "harley"), ("password", "harley password")],
    )
    .await;
    let app = &app;
    let change = |current: &'static str, new: &'static str| async move {
        app.post_form(
            "/account/password",
            &[("currentPassword", current), ("newPassword", new)],
        )
        .await
    };
    let wrong = change("wrong password", "a brand new one").await;
    assert_eq!(
        wrong.headers()[reqwest::header::LOCATION],
        "/account?error=invalid_credentials"
    );
    let changed = change("harley password", "a brand new one").await;
    assert_eq!(
        changed.headers()[reqwest::header::LOCATION],
        "/account?changed=1"
    );
    app.login("harley", "a brand new one").await;
}
