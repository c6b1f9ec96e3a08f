//! `/api/v1/files/{id}`: one file of a transfer, as its readers see it, and what the studio
//! does to it (rename, hide from guests, accept, process again, remake its web copy).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;

use super::FileView;
use crate::db;
use crate::domain::{Category, FileId};
use crate::http::ApiJson;
use crate::http::auth::{Reader, Studio};
use crate::http::error::AppError;
use crate::state::AppState;
use crate::transfers;

pub async fn file(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
) -> Result<axum::Json<FileView>, AppError> {
    let id = FileId::parse(&id).ok_or(AppError::NotFound)?;
    // Readable through its transfer (or the guest's link); otherwise it does not exist.
    let file = match &reader {
        Reader::User(caller) => {
            let file = db::files::find(state.db.pool(), id).await?.ok_or(AppError::NotFound)?;
            transfers::readable(&state, &caller.user, file.transfer).await?;
            if !transfers::can_see_file(&caller.user, &file) {
                return Err(AppError::NotFound);
            }
            file
        }
        Reader::Guest(guest) => guest.file(&state, id).await?,
    };
    let variants = db::variants::for_file(state.db.pool(), id).await?;
    Ok(axum::Json(FileView::new(file, &variants)))
}

/// `POST /api/v1/files/{id}/process`: the studio asks the media pipeline to try again.
pub async fn reprocess(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let id = FileId::parse(&id).ok_or(AppError::NotFound)?;
    let file = db::files::find(state.db.pool(), id).await?.ok_or(AppError::NotFound)?;
    if !file.has_bytes() {
        return Err(AppError::Conflict {
            code: "file_not_ready",
            detail: "the file is still being uploaded".into(),
        });
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    crate::media::queue(&mut tx, id, now).await?;
    tx.commit().await.map_err(db::DbError::from)?;
    state.jobs_queued();
    Ok(StatusCode::ACCEPTED)
}

/// `GET /api/v1/files/{id}/downloads`: the file's download receipts, for the studio.
pub async fn receipts(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<db::downloads::Receipt>>, AppError> {
    let id = FileId::parse(&id).ok_or(AppError::NotFound)?;
    db::files::find(state.db.pool(), id).await?.ok_or(AppError::NotFound)?;
    Ok(axum::Json(db::downloads::for_file(state.db.pool(), id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilePatch {
    #[serde(default)]
    hidden_from_guests: Option<bool>,
    /// A new name (what downloads and ZIPs call it); selections follow the file, not
    /// its name.
    #[serde(default)]
    name: Option<String>,
}

/// `PATCH /api/v1/files/{id}` (studio): rename a file, or hide it from guests' links (or
/// show it again).
pub async fn patch_file(
    State(state): State<AppState>,
    Studio(_): Studio,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<FilePatch>,
) -> Result<axum::Json<FileView>, AppError> {
    let id = FileId::parse(&id).ok_or(AppError::NotFound)?;
    db::files::find(state.db.pool(), id).await?.ok_or(AppError::NotFound)?;
    if let Some(name) = body.name.as_deref() {
        let name =
            crate::domain::FileName::parse(name.trim()).map_err(|e| AppError::validation("name", e.to_string()))?;
        db::files::rename(state.db.pool(), id, name.as_str(), state.clock.now()).await?;
    }
    if let Some(hidden) = body.hidden_from_guests
        && !db::files::set_hidden_from_guests(state.db.pool(), id, hidden).await?
    {
        return Err(AppError::NotFound);
    }
    let file = db::files::find(state.db.pool(), id).await?.ok_or(AppError::NotFound)?;
    let variants = db::variants::for_file(state.db.pool(), id).await?;
    Ok(axum::Json(FileView::new(file, &variants)))
}

/// `POST /api/v1/files/{id}/accept` (studio): a file a guest sent through an upload link
/// leaves "à valider". Deleting it instead is `DELETE /api/v1/files/{id}`.
pub async fn accept(
    State(state): State<AppState>,
    Studio(caller): Studio,
    Path(id): Path<String>,
) -> Result<axum::Json<FileView>, AppError> {
    let id = FileId::parse(&id).ok_or(AppError::NotFound)?;
    let file = db::files::find(state.db.pool(), id).await?.ok_or(AppError::NotFound)?;
    if !file.pending_review {
        return Err(AppError::Conflict {
            code: "not_pending_review",
            detail: "this file does not wait for review".into(),
        });
    }
    if !file.has_bytes() {
        return Err(AppError::Conflict {
            code: "not_stored",
            detail: "this file is still arriving; accept it once it is stored".into(),
        });
    }
    db::files::accept_review(state.db.pool(), id, state.clock.now()).await?;
    tracing::info!(file = %id, studio = %caller.user.id, "guest file accepted");
    let file = db::files::find(state.db.pool(), id).await?.ok_or(AppError::NotFound)?;
    let variants = db::variants::for_file(state.db.pool(), id).await?;
    Ok(axum::Json(FileView::new(file, &variants)))
}

/// `POST /api/v1/files/{id}/web-copy` (studio): makes a video's web copy again (after a
/// failure, or with new settings).
pub async fn remake_web_copy(
    State(state): State<AppState>,
    Studio(_): Studio,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let id = FileId::parse(&id).ok_or(AppError::NotFound)?;
    let file = db::files::find(state.db.pool(), id).await?.ok_or(AppError::NotFound)?;
    let is_video = file.category == Category::Video || file.media_type.starts_with("video/");
    if !is_video || !file.has_bytes() {
        return Err(AppError::Conflict {
            code: "not_a_video",
            detail: "only a stored video has a web copy".into(),
        });
    }
    if matches!(
        file.web_state,
        Some(db::files::WebState::Queued | db::files::WebState::Making)
    ) {
        return Err(AppError::Conflict {
            code: "web_copy_on_its_way",
            detail: "this video's web copy is already being made".into(),
        });
    }
    if crate::media::video::ffmpeg_version().is_none() {
        return Err(AppError::Conflict {
            code: "no_ffmpeg",
            detail: "ffmpeg is not installed on this server (see relais check)".into(),
        });
    }
    let mut tx = state.db.begin().await?;
    crate::media::web_copy::queue(&mut tx, id, state.clock.now()).await?;
    tx.commit().await.map_err(db::DbError::from)?;
    state.jobs_queued();
    Ok(StatusCode::ACCEPTED)
}
