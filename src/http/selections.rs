//! Favourites and selections over HTTP: `PUT`/`DELETE /api/v1/files/{id}/favourite`,
//! `GET /api/v1/transfers/{id}/selection` (`?format=json|lightroom|lines|csv|zip`),
//! `POST /api/v1/transfers/{id}/selection/submit`; for the studio, the limits per list
//! and reopening a submitted list.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use serde::Deserialize;

use super::ApiJson;
use super::auth::{Reader, Studio};
use crate::domain::{FileId, Role, TransferId};
use crate::http::error::AppError;
use crate::selections::{self, Picker};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/files/{id}/favourite", put(favourite).delete(unfavourite))
        .route("/transfers/{id}/selection", axum::routing::get(selection))
        .route("/transfers/{id}/selection/submit", post(submit))
        .route("/transfers/{id}/selection/limits", put(limits))
        .route("/selections/{id}/reopen", post(reopen))
}

fn picker(reader: Reader) -> Result<Picker, AppError> {
    match reader {
        Reader::User(caller) if caller.user.role == Role::Client => Ok(Picker::Client(caller.user)),
        // The studio reads and exports selections; it does not make them.
        Reader::User(_) => Err(AppError::Forbidden),
        Reader::Guest(guest) => Ok(Picker::Guest(guest)),
    }
}

/// `{"list"?}`: the body is optional (the default list).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ListBody {
    #[serde(default)]
    list: Option<String>,
}

fn list_of(body: &axum::body::Bytes) -> Result<ListBody, AppError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(ListBody::default());
    }
    serde_json::from_slice(body).map_err(|e| AppError::BadRequest {
        code: "invalid_json",
        detail: e.to_string(),
    })
}

async fn mark(
    state: AppState,
    reader: Reader,
    id: String,
    body: axum::body::Bytes,
    on: bool,
) -> Result<Response, AppError> {
    let picker = picker(reader)?;
    let file = FileId::parse(&id).ok_or(AppError::NotFound)?;
    let body = list_of(&body)?;
    let marked = selections::mark(&state, &picker, file, body.list.as_deref(), on).await?;
    Ok(axum::Json(marked).into_response())
}

async fn favourite(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    mark(state, reader, id, body, true).await
}

async fn unfavourite(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    mark(state, reader, id, body, false).await
}

#[derive(Deserialize)]
struct SelectionQuery {
    #[serde(default)]
    format: Option<String>,
    /// Only the lists of this name.
    #[serde(default)]
    list: Option<String>,
}

/// `GET /api/v1/transfers/{id}/selection`: the studio reads every list of a delivery,
/// a client or guest their own.
async fn selection(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
    Query(query): Query<SelectionQuery>,
    headers: axum::http::HeaderMap,
) -> Result<Response, AppError> {
    let transfer = TransferId::parse(&id).ok_or(AppError::NotFound)?;
    let owner = match &reader {
        Reader::User(caller) if caller.user.role == Role::Studio => {
            crate::db::transfers::find(state.db.pool(), transfer)
                .await?
                .ok_or(AppError::NotFound)?;
            None
        }
        _ => {
            let picker = picker(reader.clone())?;
            // Only their own delivery, as they may read it.
            match &picker {
                Picker::Client(user) => {
                    crate::transfers::readable(&state, user, transfer).await?;
                }
                Picker::Guest(guest) => {
                    guest.transfer(transfer)?;
                }
            }
            Some(selections::owner_key_of(&picker))
        }
    };
    let mut lists = selections::selection(&state, transfer, owner.as_deref()).await?;
    if let Some(name) = query.list.as_deref() {
        lists.retain(|l| l.name == name);
    }
    let text = |body: String, kind: &'static str, file: &str| -> Result<Response, AppError> {
        let mut response = body.into_response();
        let h = response.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
        let disposition = crate::downloads::headers::attachment(file);
        h.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&disposition).map_err(AppError::internal)?,
        );
        Ok(response)
    };
    match query.format.as_deref().unwrap_or("json") {
        "json" => Ok(axum::Json(serde_json::json!({ "transfer": transfer, "lists": lists })).into_response()),
        "lightroom" => text(
            selections::lightroom_filter(&lists),
            "text/plain; charset=utf-8",
            "selection-lightroom.txt",
        ),
        "lines" => {
            let mut names = selections::lightroom_names(&lists).join("\n");
            names.push('\n');
            text(names, "text/plain; charset=utf-8", "selection.txt")
        }
        "csv" => text(selections::csv(&lists), "text/csv; charset=utf-8", "selection.csv"),
        "zip" => {
            let files = lists
                .iter()
                .flat_map(|l| &l.files)
                .filter_map(|f| FileId::parse(&f.id))
                .collect();
            let user = match &reader {
                Reader::User(caller) => Some(&caller.user),
                Reader::Guest(_) => None,
            };
            let locale = super::pages::locale_of(&headers, user);
            super::downloads::selection_archive(&state, &reader, transfer, files, locale).await
        }
        other => Err(AppError::validation(
            "format",
            format!("unknown format {other:?} (expected json, lightroom, lines, csv or zip)"),
        )),
    }
}

async fn submit(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    let picker = picker(reader)?;
    let transfer = TransferId::parse(&id).ok_or(AppError::NotFound)?;
    let body = list_of(&body)?;
    let list = selections::submit(&state, &picker, transfer, body.list.as_deref()).await?;
    Ok(axum::Json(list).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LimitsBody {
    limits: HashMap<String, i64>,
}

async fn limits(
    State(state): State<AppState>,
    Studio(_): Studio,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<LimitsBody>,
) -> Result<StatusCode, AppError> {
    let transfer = TransferId::parse(&id).ok_or(AppError::NotFound)?;
    selections::set_limits(&state, transfer, body.limits).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn reopen(
    State(state): State<AppState>,
    Studio(_): Studio,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    if selections::reopen(&state, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::Conflict {
            code: "not_submitted",
            detail: "this list is not submitted".into(),
        })
    }
}
