//! How the studio arranges a transfer for its client: the files' order
//! (`PUT /api/v1/transfers/{id}/order`) and the delivery's cover
//! (`PATCH /api/v1/transfers/{id}` with `{"cover": file id | null}`).

use std::collections::HashSet;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::ApiJson;
use super::auth::Studio;
use crate::db::file_pages::FileCursor;
use crate::db::{self, DbError};
use crate::domain::{Direction, FileId, TransferId};
use crate::http::error::AppError;
use crate::state::AppState;

/// An order lists every file of a delivery: 2 MiB holds some 50 000 ids.
pub const ORDER_BODY_LIMIT: usize = 2 * 1024 * 1024;

#[derive(Deserialize)]
pub struct OrderBody {
    files: Vec<String>,
    /// `files` are the first files of the order (what a page shown a page at a time has
    /// loaded); the others keep their order after them.
    #[serde(default)]
    partial: bool,
}

/// The order of every file of the transfer, each exactly once: what the page shows is then
/// exactly what is saved, whatever another tab did meanwhile. A partial order (the files a
/// page has loaded) answers where the next page now starts: every file is placed after it,
/// so a cursor the page held from before would point nowhere.
pub async fn order(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<OrderBody>,
) -> Result<Response, AppError> {
    let id = TransferId::parse(&id).ok_or(AppError::NotFound)?;
    db::transfers::find(state.db.pool(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if body.partial {
        return place_first(&state, id, &body.files).await;
    }
    let records = db::files::list_for_transfer(state.db.pool(), id).await?;
    let current: Vec<FileId> = records.iter().map(|f| f.id).collect();
    let files: HashSet<FileId> = current.iter().copied().collect();
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
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `"partial": true`: the files a page has loaded take the first places, in that order; the
/// others keep theirs after them. The answer says where the page's next page now starts
/// (every file is placed after the given ones, so the cursor it held points nowhere).
async fn place_first(state: &AppState, id: TransferId, given: &[String]) -> Result<Response, AppError> {
    let order: Vec<FileId> = given.iter().filter_map(|f| FileId::parse(f)).collect();
    let distinct: HashSet<FileId> = order.iter().copied().collect();
    let found = db::file_pages::by_ids(state.db.pool(), id, given).await?;
    if order.is_empty() || order.len() != given.len() || distinct.len() != order.len() || found.len() != order.len() {
        return Err(AppError::validation(
            "files",
            "expected files of the transfer, each at most once",
        ));
    }
    let mut tx = state.db.begin().await?;
    db::file_pages::place_first(&mut tx, id, &order).await?;
    tx.commit().await.map_err(DbError::from)?;
    let total = db::file_pages::totals(state.db.pool(), id, db::file_pages::Audience::Studio)
        .await?
        .listed;
    let last = order.last().and_then(|l| found.iter().find(|f| f.id == *l));
    let next_cursor = last
        .filter(|_| (order.len() as u64) < total)
        .map(|last| FileCursor::after_placed(order.len() as i64 - 1, last).to_string());
    Ok(axum::Json(serde_json::json!({ "next_cursor": next_cursor })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrangeBody {
    /// A photo of this delivery, or `null` for "its first photo"; absent: unchanged.
    #[serde(default, deserialize_with = "present")]
    cover: Option<Option<String>>,
    /// The sizes the delivery offers: `["original"]`, `["web"]` or both.
    #[serde(default)]
    download_sizes: Option<Vec<String>>,
}

/// Tells `"cover": null` (`Some(None)`) from no `cover` at all (`None`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Deserialize::deserialize(d)?))
}

pub async fn arrange(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ArrangeBody>,
) -> Result<StatusCode, AppError> {
    let id = TransferId::parse(&id).ok_or(AppError::NotFound)?;
    let transfer = db::transfers::find(state.db.pool(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    if let Some(sizes) = body.download_sizes {
        if transfer.direction != Direction::Delivery {
            return Err(AppError::validation("download_sizes", "only a delivery offers sizes"));
        }
        let original = sizes.iter().any(|s| s == "original");
        let web = sizes.iter().any(|s| s == "web");
        if sizes.iter().any(|s| s != "original" && s != "web") || !(original || web) {
            return Err(AppError::validation("download_sizes", "expected original, web or both"));
        }
        let sizes = db::transfers::DownloadSizes { original, web };
        db::transfers::set_download_sizes(state.db.pool(), id, sizes, state.clock.now()).await?;
    }
    let Some(cover) = body.cover else {
        return Ok(StatusCode::NO_CONTENT);
    };
    if transfer.direction != Direction::Delivery {
        return Err(AppError::validation("cover", "only a delivery has a cover"));
    }
    let cover = match cover.as_deref() {
        None => None,
        Some(raw) => Some(cover_photo(&state, id, raw).await?),
    };
    db::transfers::set_cover(state.db.pool(), id, cover, state.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A cover is a picture: a file of this delivery that has web sizes.
async fn cover_photo(state: &AppState, delivery: TransferId, raw: &str) -> Result<FileId, AppError> {
    let refused = || AppError::validation("cover", "expected a photo of this delivery");
    let file = FileId::parse(raw).ok_or_else(refused)?;
    let ours = db::files::find(state.db.pool(), file)
        .await?
        .is_some_and(|f| f.transfer == delivery);
    if !ours {
        return Err(refused());
    }
    let pictured = db::variants::for_file(state.db.pool(), file)
        .await?
        .iter()
        .any(|v| v.name == "thumb");
    if pictured { Ok(file) } else { Err(refused()) }
}
