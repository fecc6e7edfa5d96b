//! Guessing is throttled: failed sign-ins per account and per address, and
//! sign-ups per address, are refused with 429 `rate_limited` and `Retry-After`
//! once past the allowance, before any password is checked.

use crate::support::app::{TestApp, error_of, spawn_app_with};
use app::protocol::ErrorCode;
use reqwest::{StatusCode, header};
use serde_json::json;
use std::time::Duration;

async fn login(app: &TestApp, username: &str, password: &str) -> reqwest::Response {
    app.post_json(
        "/api/auth/login",
        &json!({"username": username, "password": password}),
    )
    .await
}

fn retry_after(response: &reqwest::Response) -> u64 {
    response.headers()[header::RETRY_AFTER]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("whole seconds")
}

#[tokio::test]
async fn an_account_is_refused_after_a_few_failures_even_with_the_right_password_then_let_in() {
    let app = spawn_app_with(tempfile::tempdir().unwrap(), |settings| {
        settings.login_attempts = 3;
        settings.login_backoff_seconds = 1.0;
    })
    .await;
    app.signup("harley", "harley password").await;
    for _ in 0..4 {
        let wrong = login(&app, "harley", "not the password").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    }
    let throttled = login(&app, "harley", "harley password").await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait = retry_after(&throttled);
    assert!((1..=2).contains(&wait), "Retry-After: {wait}");
    assert_eq!(error_of(throttled).await.error.code, ErrorCode::RateLimited);

    // After the wait the server asked for, the right password gets in.
    tokio::time::sleep(Duration::from_secs(wait)).await;
    let allowed = login(&app, "harley", "harley password").await;
    assert_eq!(allowed.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_back_off_grows_with_every_failure_past_the_allowance() {
    let app = spawn_app_with(tempfile::tempdir().unwrap(), |settings| {
        settings.login_attempts = 1;
        settings.login_backoff_seconds = 1.0;
    })
    .await;
    app.signup("harley", "harley password").await;
    login(&app, "harley", "wrong password").await; // free
    login(&app, "harley", "wrong password").await; // blocks 1 s
    let first = login(&app, "harley", "wrong password").await;
    assert_eq!(first.status(), StatusCode::TOO_MANY_REQUESTS);
    tokio::time::sleep(Duration::from_secs(retry_after(&first))).await;
    assert_eq!(
        login(&app, "harley", "wrong password").await.status(),
        StatusCode::UNAUTHORIZED
    ); // blocks 2 s
    let second = login(&app, "harley", "wrong password").await;
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        retry_after(&second) > retry_after(&first),
        "{} then {}",
        retry_after(&first),
        retry_after(&second)
    );
}

#[tokio::test]
async fn guessing_across_many_accounts_from_one_address_is_throttled_too() {
    // An address gets four times an account's allowance: 4 here.
    let app = spawn_app_with(tempfile::tempdir().unwrap(), |settings| {
        settings.login_attempts = 1;
    })
    .await;
    app.signup("harley", "harley password").await;
    for n in 0..5 {
        let wrong = login(&app, &format!("nobody{n}"), "some password").await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED, "attempt {n}");
    }
    let throttled = login(&app, "harley", "harley password").await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn sign_ups_from_one_address_are_limited() {
    let app = spawn_app_with(tempfile::tempdir().unwrap(), |settings| {
        settings.signups_per_hour = 2;
    })
    .await;
    app.signup("harley", "harley password").await;
    app.signup("mike", "mike password").await;
    let third = app
        .post_json(
            "/api/auth/signup",
            &json!({"username": "sara", "password": "sara password"}),
        )
        .await;
    assert_eq!(third.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&third) >= 1);
    assert_eq!(error_of(third).await.error.code, ErrorCode::RateLimited);
}

#[tokio::test]
async fn the_sign_in_form_says_how_long_to_wait() {
    let app = spawn_app_with(tempfile::tempdir().unwrap(), |settings| {
        settings.login_attempts = 1;
        settings.login_backoff_seconds = 30.0;
    })
    .await;
    app.signup("harley", "harley password").await;
    for _ in 0..2 {
        app.post_form(
            "/login",
            &[("username", "harley"), ("password", "wrong one")],
        )
        .await;
    }
    let throttled = app
        .post_form(
            "/login",
            &[("username", "harley"), ("password", "harley password")],
        )
        .await;
    let location = throttled.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        location.starts_with("/login?error=rate_limited&username=harley&retry="),
        "{location}"
    );
    let page = app.http.get(app.url(&location)).send().await.unwrap();
    let html = page.text().await.unwrap();
    assert!(
        html.contains("Too many attempts. Try again in 30 seconds."),
        "{html}"
    );
}
