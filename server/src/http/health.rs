//! `GET /healthz`: 200 when every dependency answers, 503 naming what is down.
//! `GET /readyz`: the same, with Redis as the node's watch on live delivery
//! between nodes last found it (every half second), and how often that came
//! back: 503 while a node cannot reach the others.

use crate::{realtime::FanOut, state::AppState};
use axum::{Json, extract::State, http::StatusCode};
use serde::Serialize;
use std::time::Duration;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Health {
    status: &'static str,
    database: &'static str,
    /// "up", "down", or "not configured" (a single node).
    redis: &'static str,
    /// `/readyz`: times live delivery between nodes came back after Redis
    /// stopped answering (absent on a single node).
    #[serde(skip_serializing_if = "Option::is_none")]
    redis_heals: Option<u64>,
}

const PATIENCE: Duration = Duration::from_secs(2);

pub async fn check(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let redis = redis_answers(&state).await;
    let (status, health) = report(&state, redis, None).await;
    if status != StatusCode::OK {
        tracing::warn!(
            database = health.database,
            redis = health.redis,
            "health check failed"
        );
    }
    (status, Json(health))
}

pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Health>) {
    let fan_out = state.fan_out.as_ref();
    let redis = fan_out.map(FanOut::is_up);
    let heals = fan_out.map(|_| state.metrics.fan_out_heals());
    let (status, health) = report(&state, redis, heals).await;
    (status, Json(health))
}

/// The database asked now, Redis as given (`None`: a single node).
async fn report(
    state: &AppState,
    redis: Option<bool>,
    redis_heals: Option<u64>,
) -> (StatusCode, Health) {
    let database_up = matches!(
        tokio::time::timeout(PATIENCE, state.store.ping()).await,
        Ok(Ok(()))
    );
    let healthy = database_up && redis != Some(false);
    let health = Health {
        status: if healthy { "ok" } else { "degraded" },
        database: if database_up { "up" } else { "down" },
        redis: match redis {
            None => "not configured",
            Some(true) => "up",
            Some(false) => "down",
        },
        redis_heals,
    };
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, health)
}

/// Whether Redis answers a PING in time; `None` on a single node.
pub async fn redis_answers(state: &AppState) -> Option<bool> {
    let mut redis = state.redis.clone()?;
    let ping = redis::cmd("PING");
    let pong = tokio::time::timeout(PATIENCE, ping.query_async::<String>(&mut redis)).await;
    Some(matches!(pong, Ok(Ok(_))))
}
