//! `GET /healthz`: 200 when every dependency answers, 503 naming what is down.

use crate::state::AppState;
use axum::{Json, extract::State, http::StatusCode};
use serde::Serialize;
use std::time::Duration;

#[derive(Serialize)]
pub struct Health {
    status: &'static str,
    database: &'static str,
    /// "up", "down", or "not configured" (a single node).
    redis: &'static str,
}

const PATIENCE: Duration = Duration::from_secs(2);

pub async fn check(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let database_up = matches!(
        tokio::time::timeout(PATIENCE, state.store.ping()).await,
        Ok(Ok(()))
    );
    let redis = match redis_answers(&state).await {
        None => "not configured",
        Some(true) => "up",
        Some(false) => "down",
    };
    let healthy = database_up && redis != "down";
    let health = Health {
        status: if healthy { "ok" } else { "degraded" },
        database: if database_up { "up" } else { "down" },
        redis,
    };
    if !healthy {
        tracing::warn!(
            database = health.database,
            redis = health.redis,
            "health check failed"
        );
    }
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(health))
}

/// Whether Redis answers a PING in time; `None` on a single node.
pub async fn redis_answers(state: &AppState) -> Option<bool> {
    let mut redis = state.redis.clone()?;
    let ping = redis::cmd("PING");
    let pong = tokio::time::timeout(PATIENCE, ping.query_async::<String>(&mut redis)).await;
    Some(matches!(pong, Ok(Ok(_))))
}
