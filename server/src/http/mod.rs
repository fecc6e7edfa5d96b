//! HTTP routes besides the pages: the JSON auth API, the HTML form posts and
//! the health check.

mod api;
mod cookie;
mod error;
mod forms;
mod health;

pub use error::{ApiJson, HttpError};

use crate::state::AppState;
use axum::{
    Router,
    routing::{get, post},
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/auth/signup", post(api::signup))
        .route("/api/auth/login", post(api::login))
        .route("/api/auth/logout", post(api::logout))
        .route("/api/me", get(api::me))
        .route("/signup", post(forms::signup))
        .route("/login", post(forms::login))
        .route("/logout", post(forms::logout))
        .route("/healthz", get(health::check))
}
