//! `/healthz` (the process answers) and `/readyz` (it can do its job: database and
//! storage both reachable).

use axum::extract::State;
use axum::http::StatusCode;
use serde_json::json;

use super::PROBE_TIMEOUT;
use crate::state::AppState;

pub async fn healthz() -> axum::Json<serde_json::Value> {
    axum::Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<AppState>) -> (StatusCode, axum::Json<serde_json::Value>) {
    let (database, storage) = tokio::join!(
        tokio::time::timeout(PROBE_TIMEOUT, state.db.ping()),
        tokio::time::timeout(PROBE_TIMEOUT, state.blobs.ping()),
    );
    // The answer is public: it says what is wrong in a few words, the log says the rest.
    let database = match database {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(("unavailable".to_owned(), e.to_string())),
        Err(_) => Err(("no answer within 5 s".to_owned(), String::new())),
    };
    let storage = match storage {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err((e.summary().to_owned(), e.to_string())),
        Err(_) => Err(("no answer within 5 s".to_owned(), String::new())),
    };
    let ready = database.is_ok() && storage.is_ok();
    if !ready {
        tracing::warn!(?database, ?storage, "not ready");
    }
    let show = |r: &Result<(), (String, String)>| match r {
        Ok(()) => "ok".to_owned(),
        Err((public, _)) => public.clone(),
    };
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = json!({
        "status": if ready { "ready" } else { "unavailable" },
        "database": show(&database),
        "storage": show(&storage),
    });
    (status, axum::Json(body))
}
