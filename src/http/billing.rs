//! What the quote site sent, read back: `GET /api/v1/billing` (the caller's statement, or
//! a client's for the studio with `?client=`) and `GET /api/v1/documents/{id}/content`
//! (a quote, invoice or other PDF, to its client and the studio only).

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use relais_storage::BlobKey;
use serde::Deserialize;

use super::auth::Caller;
use crate::billing::{self, Statement};
use crate::db;
use crate::domain::{Role, UserId};
use crate::downloads::headers::attachment;
use crate::http::error::AppError;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct StatementQuery {
    client: Option<String>,
}

pub async fn statement(
    State(state): State<AppState>,
    caller: Caller,
    Query(query): Query<StatementQuery>,
) -> Result<axum::Json<Statement>, AppError> {
    let client = match (caller.user.role, query.client) {
        (Role::Studio, Some(id)) => UserId::parse(&id).ok_or(AppError::NotFound)?,
        (Role::Studio, None) => return Err(AppError::validation("client", "required for a studio account")),
        // A client reads their own; naming another is answered like a missing one.
        (Role::Client, Some(id)) if UserId::parse(&id) != Some(caller.user.id) => return Err(AppError::NotFound),
        (Role::Client, _) => caller.user.id,
    };
    Ok(axum::Json(billing::statement(&state.db, client).await?))
}

pub async fn document(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let (doc, owner) = db::ledger::document(state.db.pool(), &id)
        .await?
        .ok_or(AppError::NotFound)?;
    if caller.user.role != Role::Studio && caller.user.id != owner {
        return Err(AppError::NotFound);
    }
    let key = BlobKey::parse(&doc.blob_key).map_err(AppError::internal)?;
    let read = state.blobs.get(&key, None).await?;
    let mut response = Response::new(Body::from_stream(read.body));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(read.meta.size));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&attachment(&doc.filename)).map_err(AppError::internal)?,
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    h.insert(
        header::ETAG,
        HeaderValue::from_str(&format!("\"{}\"", doc.sha256)).map_err(AppError::internal)?,
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    Ok(response)
}
