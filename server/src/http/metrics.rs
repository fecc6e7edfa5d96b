//! `GET /metrics`: Prometheus' text format. The pool and Redis gauges are read
//! at scrape time; everything else is counted as it happens.

use super::health::redis_answers;
use crate::state::AppState;
use axum::{extract::State, http::header, response::IntoResponse};

pub async fn render(State(state): State<AppState>) -> impl IntoResponse {
    for pool in state.store.pool_stats() {
        state.metrics.db_pool(pool.name, pool.size, pool.idle);
    }
    state.metrics.redis(redis_answers(&state).await);
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
}
