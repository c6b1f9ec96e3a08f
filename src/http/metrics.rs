//! `GET /metrics`: Prometheus' scrape, for whoever holds `metrics.token` or reaches the
//! separate `metrics.listen` address.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use crate::http::error::AppError;
use crate::state::AppState;

/// The route on the main router: only when a token is set, so that `/metrics` is never
/// public by accident (without one it is an unknown page).
pub fn on_main(state: &AppState) -> Router<AppState> {
    if state.cfg.metrics.token.is_some() {
        Router::new().route("/metrics", get(scrape))
    } else {
        Router::new()
    }
}

/// The router of the separate listener: `/metrics` and nothing else.
pub fn separate(state: AppState) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .fallback(|| async { AppError::NotFound })
        .with_state(state)
}

async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    if let Some(token) = &state.cfg.metrics.token {
        let sent = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        if !bool::from(sent.as_bytes().ct_eq(token.expose_secret().as_bytes())) {
            return Err(AppError::Unauthenticated);
        }
    }
    let text = state
        .metrics
        .scrape(&state.db, state.clock.now())
        .await
        .map_err(AppError::internal)?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(crate::metrics::CONTENT_TYPE),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        text,
    )
        .into_response())
}
