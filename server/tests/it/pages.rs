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
