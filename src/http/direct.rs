//! Companion-compatible routes for `@uppy/aws-s3` (`endpoint` pointed at
//! `/api/v1`): create, sign part, list parts, complete, abort.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::ApiJson;
use super::auth::Caller;
use crate::http::error::AppError;
use crate::state::AppState;
use crate::uploads::direct::{self, DirectFile, PART_URL_TTL};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/s3/multipart", post(create))
        .route("/s3/multipart/{upload_id}", get(list_parts).delete(abort))
        .route("/s3/multipart/{upload_id}/complete", post(complete))
        .route("/s3/multipart/{upload_id}/{part}", get(sign_part))
}

#[derive(Deserialize)]
pub struct CreateBody {
    filename: String,
    #[serde(default, rename = "type")]
    filetype: Option<String>,
    #[serde(default)]
    metadata: serde_json::Map<String, serde_json::Value>,
}

#[derive(Deserialize)]
pub struct KeyQuery {
    key: String,
}

fn meta_str<'a>(m: &'a serde_json::Map<String, serde_json::Value>, k: &str) -> Option<&'a str> {
    m.get(k).and_then(|v| v.as_str()).filter(|s| !s.is_empty())
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<axum::Json<serde_json::Value>, AppError> {
    // Uppy sends file.meta; the page adds the size so that limits hold before any part.
    let size = body
        .metadata
        .get("size")
        .and_then(|v| v.as_u64().or_else(|| v.as_str().and_then(|s| s.parse().ok())))
        .ok_or_else(|| AppError::validation("metadata.size", "the file size is required"))?;
    let file = DirectFile {
        filename: &body.filename,
        filetype: body.filetype.as_deref().filter(|t| !t.is_empty()),
        size,
        transfer: meta_str(&body.metadata, "transfer"),
        category: meta_str(&body.metadata, "category"),
        album: meta_str(&body.metadata, "album"),
        story: meta_str(&body.metadata, "story"),
    };
    let started = direct::start(&state, &caller.user, file).await?;
    Ok(axum::Json(json!({ "key": started.key, "uploadId": started.upload_id })))
}

async fn sign_part(
    State(state): State<AppState>,
    caller: Caller,
    Path((upload_id, part)): Path<(String, u32)>,
    Query(q): Query<KeyQuery>,
) -> Result<axum::Json<serde_json::Value>, AppError> {
    let url = direct::sign_part(&state, caller.user.id, &q.key, &upload_id, part).await?;
    Ok(axum::Json(
        json!({ "method": "PUT", "url": url.as_str(), "expires": PART_URL_TTL.as_secs() }),
    ))
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PartView {
    part_number: u32,
    size: u64,
    #[serde(rename = "ETag")]
    etag: String,
}

async fn list_parts(
    State(state): State<AppState>,
    caller: Caller,
    Path(upload_id): Path<String>,
    Query(q): Query<KeyQuery>,
) -> Result<axum::Json<Vec<PartView>>, AppError> {
    let parts = direct::list_parts(&state, caller.user.id, &q.key, &upload_id).await?;
    Ok(axum::Json(
        parts
            .into_iter()
            .map(|p| PartView {
                part_number: p.number.get(),
                size: p.size,
                etag: p.etag,
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
pub struct CompleteBody {
    parts: Vec<CompletedPart>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CompletedPart {
    part_number: u32,
    #[serde(rename = "ETag")]
    etag: String,
}

async fn complete(
    State(state): State<AppState>,
    caller: Caller,
    Path(upload_id): Path<String>,
    Query(q): Query<KeyQuery>,
    ApiJson(body): ApiJson<CompleteBody>,
) -> Result<axum::Json<serde_json::Value>, AppError> {
    let parts = body.parts.into_iter().map(|p| (p.part_number, p.etag)).collect();
    let file = direct::complete(&state, caller.user.id, &q.key, &upload_id, parts).await?;
    Ok(axum::Json(
        json!({ "location": format!("/api/v1/files/{file}"), "file": file }),
    ))
}

async fn abort(
    State(state): State<AppState>,
    caller: Caller,
    Path(upload_id): Path<String>,
    Query(q): Query<KeyQuery>,
) -> Result<(StatusCode, axum::Json<serde_json::Value>), AppError> {
    direct::abort(&state, caller.user.id, &q.key, &upload_id).await?;
    Ok((StatusCode::OK, axum::Json(json!({}))))
}
