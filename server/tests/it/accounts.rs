//! Accounts over the JSON API and the browser's form posts.

use crate::support::app::{error_of, spawn_app, spawn_app_in};
use app::protocol::{AuthReply, ErrorCode};
use reqwest::{StatusCode, header};
use serde_json::json;

#[tokio::test]
async fn signup_then_me_then_logout_then_me_is_refused() {
    let app = spawn_app().await;
    let signed_up = app.signup("Harley", "correct horse").await;
    assert_eq!(
        signed_up.user.username, "harley",
        "usernames are lower-cased"
    );
    assert_eq!(signed_up.user.display_name, "harley");

    let me = app.me(&signed_up.token).await;
    assert_eq!(me.status(), StatusCode::OK);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["id"], json!(signed_up.user.id.to_string()));
    assert_eq!(me["username"], "harley");
    assert_eq!(me["displayName"], "harley");

    let logout = app
        .http
        .post(app.url("/api/auth/logout"))
        .bearer_auth(&signed_up.token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);

    let after = app.me(&signed_up.token).await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(error_of(after).await.error.code, ErrorCode::Unauthorized);
}

#[tokio::test]
async fn login_with_the_right_password_gives_a_new_working_token() {
    let app = spawn_app().await;
    let signed_up = app.signup("mike", "mike's password").await;
    let login = app
        .post_json(
            "/api/auth/login",
            &json!({"username": "MIKE", "password": "mike's password"}),
        )
        .await;
    assert_eq!(login.status(), StatusCode::OK);
    let login: AuthReply = login.json().await.unwrap();
    assert_ne!(login.token, signed_up.token);
    assert_eq!(login.user, signed_up.user);
    assert_eq!(app.me(&login.token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn login_with_a_wrong_password_or_unknown_user_is_401() {
    let app = spawn_app().await;
    app.signup("mike", "mike's password").await;
    for body in [
        json!({"username": "mike", "password": "not his password"}),
        json!({"username": "nobody", "password": "whatever123"}),
    ] {
        let response = app.post_json("/api/auth/login", &body).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(
            error_of(response).await.error.code,
            ErrorCode::InvalidCredentials
        );
    }
}

#[tokio::test]
async fn a_taken_username_is_409() {
    let app = spawn_app().await;
    app.signup("sara", "sara's password").await;
    let again = app
        .post_json(
            "/api/auth/signup",
            &json!({"username": "Sara", "password": "another one"}),
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let error = error_of(again).await.error;
    assert_eq!(error.code, ErrorCode::UsernameTaken);
    assert!(!error.message.is_empty());
}

#[tokio::test]
async fn invalid_usernames_and_passwords_are_422_with_the_error_body() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"username": "ab", "password": "long enough"}),
            ErrorCode::InvalidUsername,
        ),
        (
            json!({"username": "has space", "password": "long enough"}),
            ErrorCode::InvalidUsername,
        ),
        (
            json!({"username": "x".repeat(33), "password": "long enough"}),
            ErrorCode::InvalidUsername,
        ),
        (
            json!({"username": "valid_name", "password": "short"}),
            ErrorCode::InvalidPassword,
        ),
        (
            json!({"username": "valid_name", "password": "long enough", "displayName": "d".repeat(65)}),
            ErrorCode::InvalidDisplayName,
        ),
    ];
    for (body, code) in cases {
        let response = app.post_json("/api/auth/signup", &body).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        let raw: serde_json::Value = response.json().await.unwrap();
        assert_eq!(raw["error"]["code"], json!(code.as_str()), "{body}");
        assert!(
            raw["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    // Nothing was created by the refused attempts: the name is still free.
    app.signup("valid_name", "long enough").await;
}

#[tokio::test]
async fn a_malformed_body_is_400_with_the_error_body() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/api/auth/signup"))
        .header(header::CONTENT_TYPE, "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(error_of(response).await.error.code, ErrorCode::BadRequest);
    // and the server goes on serving
    app.signup("still_fine", "long enough").await;
}

#[tokio::test]
async fn the_signup_form_sets_a_safe_session_cookie_and_goes_to_the_chat_list() {
    let app = spawn_app().await;
    let response = app
        .post_form(
            "/signup",
            &[
                ("username", "harley"),
                ("password", "correct horse"),
                ("displayName", "Harley Q"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[header::LOCATION], "/");
    let cookie = response.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("parley_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(cookie.contains("Max-Age="), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "not configured, so not Secure: {cookie}"
    );

    // The cookie alone signs the browser in.
    let me = app.http.get(app.url("/api/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let me: serde_json::Value = me.json().await.unwrap();
    assert_eq!(me["displayName"], "Harley Q");
}

#[tokio::test]
async fn the_cookie_is_secure_when_configured() {
    let app = crate::support::app::spawn_app_with(tempfile::tempdir().unwrap(), |settings| {
        settings.cookie_secure = true;
    })
    .await;
    let response = app
        .post_form(
            "/login",
            &[("username", "nobody"), ("password", "whatever123")],
        )
        .await;
    assert!(
        response.headers().get(header::SET_COOKIE).is_none(),
        "a failed login sets no cookie"
    );
    app.signup("mike", "mike's password").await;
    let response = app
        .post_form(
            "/login",
            &[("username", "mike"), ("password", "mike's password")],
        )
        .await;
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[tokio::test]
async fn a_failed_form_login_goes_back_with_the_error_and_the_username() {
    let app = spawn_app().await;
    let response = app
        .post_form(
            "/login",
            &[("username", "Nobody"), ("password", "whatever123")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[header::LOCATION],
        "/login?error=invalid_credentials&username=Nobody"
    );
}

#[tokio::test]
async fn sign_out_clears_the_cookie_and_ends_the_session() {
    let app = spawn_app().await;
    app.post_form(
        "/signup",
        &[("username", "harley"), ("password", "correct horse")],
    )
    .await;
    let response = app.http.post(app.url("/logout")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[header::LOCATION],
        "/login?ended=signed_out"
    );
    let cookie = response.headers()[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("parley_session=;"), "{cookie}");
    assert!(cookie.contains("Max-Age=0"), "{cookie}");
    assert_eq!(
        app.http
            .get(app.url("/api/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_form_posted_from_a_foreign_page_is_refused() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/login"))
        .header(header::ORIGIN, "https://evil.example")
        .form(&[("username", "harley"), ("password", "correct horse")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        error_of(response).await.error.code,
        ErrorCode::OriginNotAllowed
    );
}

#[tokio::test]
async fn accounts_survive_a_restart_on_the_same_sqlite_file() {
    let app = spawn_app().await;
    let signed_up = app.signup("mike", "mike's password").await;
    let db_dir = app.stop().await;
    assert!(db_dir.path().join("parley.db").exists());

    let app = spawn_app_in(db_dir).await;
    // The old session is still valid and the password still works.
    assert_eq!(app.me(&signed_up.token).await.status(), StatusCode::OK);
    let login = app
        .post_json(
            "/api/auth/login",
            &json!({"username": "mike", "password": "mike's password"}),
        )
        .await;
    assert_eq!(login.status(), StatusCode::OK);
}

#[tokio::test]
async fn health_reports_the_database_up() {
    let app = spawn_app().await;
    let response = app.http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({"status": "ok", "database": "up", "redis": "not configured"})
    );
}

/// A page on another site cannot act with someone's cookie: sign them out
/// (one session or all), change their password or name, upload into their
/// chats. Every request that changes something checks `Origin`, the JSON API
/// and the forms alike; the same requests from Parley's own page work.
#[tokio::test]
async fn a_foreign_page_cannot_sign_anyone_out_or_change_anything_with_their_cookie() {
    let app = spawn_app().await;
    // Harley's browser: signed in by the form, so it holds the session cookie.
    app.post_form(
        "/signup",
        &[("username", "harley"), ("password", "harley password")],
    )
    .await;
    let signed_in = || async {
        app.http
            .get(app.url("/api/me"))
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(signed_in().await, StatusCode::OK);
    let chat = uuid::Uuid::now_v7();
    let attempts: Vec<(reqwest::Method, String, Option<serde_json::Value>)> = vec![
        (reqwest::Method::POST, "/api/auth/logout".into(), None),
        (reqwest::Method::POST, "/api/auth/logout-all".into(), None),
        (reqwest::Method::POST, "/logout".into(), None),
        (reqwest::Method::POST, "/logout-all".into(), None),
        (
            reqwest::Method::POST,
            "/api/auth/password".into(),
            Some(json!({"currentPassword": "harley password", "newPassword": "pwned password"})),
        ),
        (
            reqwest::Method::PATCH,
            "/api/me".into(),
            Some(json!({"displayName": "pwned"})),
        ),
        (
            reqwest::Method::POST,
            format!("/api/chats/{chat}/attachments?name=a.png"),
            None,
        ),
    ];
    for (method, path, body) in attempts {
        let mut request = app
            .http
            .request(method.clone(), app.url(&path))
            .header(header::ORIGIN, "https://evil.example");
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(
            error_of(response).await.error.code,
            ErrorCode::OriginNotAllowed,
            "{method} {path}"
        );
        assert_eq!(signed_in().await, StatusCode::OK, "after {method} {path}");
    }
    let me: serde_json::Value = app
        .http
        .get(app.url("/api/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["displayName"], "harley", "the name stands");
    app.login("harley", "harley password").await;

    // From Parley's own page: signed out.
    let own = app
        .http
        .post(app.url("/api/auth/logout"))
        .header(header::ORIGIN, format!("http://{}", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::NO_CONTENT);
    assert_eq!(signed_in().await, StatusCode::UNAUTHORIZED);
}
