//! How the studio arranges a transfer for its client: the files' order
//! (`PUT /api/v1/transfers/{id}/order`) and the delivery's cover
//! (`PATCH /api/v1/transfers/{id}` with `{"cover": file id | null}`).

use std::collections::HashSet;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::ApiJson;
use super::auth::Studio;
use crate::db::{self, DbError};
use crate::domain::{FileId, TransferId};
use crate::error::AppError;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct OrderBody {
    files: Vec<String>,
}

/// The order of every file of the transfer, each exactly once: what the page shows is then
/// exactly what is saved, whatever another tab did meanwhile.
pub async fn order(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<OrderBody>,
) -> Result<StatusCode, AppError> {
    let id = TransferId::parse(&id).ok_or(AppError::NotFound)?;
    db::transfers::find(state.db.pool(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let files: HashSet<FileId> = db::files::list_for_transfer(state.db.pool(), id)
        .await?
        .into_iter()
        .map(|f| f.id)
        .collect();
    let order: Vec<FileId> = body.files.iter().filter_map(|f| FileId::parse(f)).collect();
    let distinct: HashSet<FileId> = order.iter().copied().collect();
    if order.len() != body.files.len() || distinct.len() != order.len() || distinct != files {
        return Err(AppError::validation(
            "files",
            "expected every file of the transfer exactly once",
        ));
    }
    let mut tx = state.db.begin().await?;
    db::files::set_positions(&mut tx, id, &order).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct ArrangeBody {
    /// A file of this transfer, or `null` for "its first photo".
    cover: Option<String>,
}

pub async fn arrange(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ArrangeBody>,
) -> Result<StatusCode, AppError> {
    let id = TransferId::parse(&id).ok_or(AppError::NotFound)?;
    db::transfers::find(state.db.pool(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let cover = match body.cover.as_deref() {
        None => None,
        Some(raw) => {
            let file = FileId::parse(raw).ok_or_else(|| AppError::validation("cover", "not a file id"))?;
            match db::files::find(state.db.pool(), file).await? {
                Some(f) if f.transfer == id => Some(file),
                _ => return Err(AppError::validation("cover", "expected a file of this transfer")),
            }
        }
    };
    db::transfers::set_cover(state.db.pool(), id, cover, state.clock.now_ms()).await?;
    Ok(StatusCode::NO_CONTENT)
}
