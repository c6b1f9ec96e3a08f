//! Appointments: the caller's (or, for the studio, one client's), the studio's own
//! additions and changes, one appointment as an `.ics`, and the client's private feed.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};
use serde_json::json;

use super::auth::{Caller, Studio};
use super::json::ApiJson;
use crate::appointments::{self, Raw, View};
use crate::domain::{Role, UserId};
use crate::http::error::AppError;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/appointments", get(list).post(create))
        .route("/appointments/{id}", patch(update))
        .route("/appointments/{id}/ics", get(ics))
        .route("/me/calendar", post(new_feed).delete(revoke_feed))
}

#[derive(serde::Deserialize)]
pub struct ListQuery {
    client: Option<String>,
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<View>>, AppError> {
    let client = match q.client.as_deref() {
        Some(raw) => Some(UserId::parse(raw).ok_or(AppError::NotFound)?),
        None => None,
    };
    let list = appointments::list(&state, &caller.user, client).await?;
    Ok(Json(
        list.iter().map(|a| appointments::view(a, caller.user.locale)).collect(),
    ))
}

#[derive(serde::Deserialize)]
pub struct CreateBody {
    client: String,
    #[serde(flatten)]
    raw: Raw,
}

pub async fn create(
    State(state): State<AppState>,
    Studio(caller): Studio,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<Response, AppError> {
    let client = UserId::parse(&body.client).ok_or_else(|| AppError::validation("client", "not a client id"))?;
    let made = appointments::create(&state, client, &body.raw).await?;
    Ok((StatusCode::CREATED, Json(appointments::view(&made, caller.user.locale))).into_response())
}

pub async fn update(
    State(state): State<AppState>,
    Studio(caller): Studio,
    Path(id): Path<String>,
    ApiJson(raw): ApiJson<Raw>,
) -> Result<Json<View>, AppError> {
    let changed = appointments::update(&state, &id, &raw).await?;
    Ok(Json(appointments::view(&changed, caller.user.locale)))
}

pub async fn ics(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Response, AppError> {
    let a = appointments::visible(&state, &caller.user, &id).await?;
    let text = appointments::calendar(&state, std::slice::from_ref(&a)).await?;
    Ok(calendar_response(text, "rendez-vous.ics"))
}

/// A calendar file: downloaded (and opened by the calendar), never rendered.
pub fn calendar_response(text: String, name: &str) -> Response {
    let mut response = text.into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/calendar; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A new private feed address (shown once; the previous one stops working).
pub async fn new_feed(State(state): State<AppState>, caller: Caller) -> Result<Response, AppError> {
    if caller.user.role != Role::Client {
        return Err(AppError::Forbidden);
    }
    let url = appointments::new_feed(&state, &caller.user).await?;
    Ok((StatusCode::CREATED, Json(json!({ "url": url }))).into_response())
}

pub async fn revoke_feed(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, AppError> {
    crate::db::appointments::revoke_feed(state.db.pool(), caller.user.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /calendar/{token}.ics`: the feed a phone's calendar subscribes to. The token is
/// the only credential; a revoked or unknown one answers 404.
pub async fn feed(State(state): State<AppState>, Path(file): Path<String>) -> Result<Response, AppError> {
    let token = file.strip_suffix(".ics").ok_or(AppError::NotFound)?;
    let text = appointments::feed(&state, token).await?.ok_or(AppError::NotFound)?;
    Ok(calendar_response(text, "rendez-vous.ics"))
}
