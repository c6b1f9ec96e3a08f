//! `DELETE` of files, transfers and clients (to the trash), the trash, and restoring.

use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::auth::{Caller, Studio};
use crate::db;
use crate::domain::{FileId, TransferId, UserId};
use crate::http::error::AppError;
use crate::state::AppState;
use crate::trash;

pub async fn delete_file(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let id = FileId::parse(&id).ok_or(AppError::NotFound)?;
    trash::delete_file(&state, &caller.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn delete_transfer(
    State(state): State<AppState>,
    Studio(caller): Studio,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let id = TransferId::parse(&id).ok_or(AppError::NotFound)?;
    trash::delete_transfer(&state, &caller.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn delete_client(
    State(state): State<AppState>,
    Studio(caller): Studio,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let id = UserId::parse(&id).ok_or(AppError::NotFound)?;
    trash::delete_client(&state, &caller.user, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn list(State(state): State<AppState>, _: Studio) -> Result<axum::Json<Vec<db::trash::Entry>>, AppError> {
    Ok(axum::Json(db::trash::list(state.db.pool()).await?))
}

pub async fn restore(
    State(state): State<AppState>,
    Studio(caller): Studio,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    trash::restore(&state, &caller.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Erases an item of the trash now (204).
pub async fn purge(
    State(state): State<AppState>,
    Studio(caller): Studio,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    trash::purge_now(&state, &caller.user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
