//! `GET /healthz`: 200 when the database answers, 503 with what is down otherwise.

use crate::state::AppState;
use axum::{Json, extract::State, http::StatusCode};
use serde::Serialize;

#[derive(Serialize)]
pub struct Health {
    status: &'static str,
    database: &'static str,
}

pub async fn check(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(Health {
                status: "ok",
                database: "up",
            }),
        ),
        Err(error) => {
            tracing::warn!(%error, "health check: database down");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Health {
                    status: "degraded",
                    database: "down",
                }),
            )
        }
    }
}
