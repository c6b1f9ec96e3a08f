//! What the media pipeline records on a file: its processing state, picture size, poster,
//! duration, and a video's web copy.

use sqlx::{Any, Executor};

use super::WebState;
use crate::db::DbError;
use crate::domain::{FileId, Timestamp};

/// The pipeline took the file: `processing`.
pub async fn mark_processing<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: FileId,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE files SET status = 'processing', failure = NULL, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// The pipeline is done with the file: `ready`, with the picture's size when it has one.
pub async fn mark_ready<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: FileId,
    dimensions: Option<(u32, u32)>,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE files SET status = 'ready', failure = NULL, width = $1, height = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(dimensions.map(|d| i64::from(d.0)))
    .bind(dimensions.map(|d| i64::from(d.1)))
    .bind(now)
    .bind(id.to_db())
    .execute(ex)
    .await?;
    Ok(())
}

/// The pipeline could not read the file: `failed`, and why (the original stays).
pub async fn mark_failed_because<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: FileId,
    reason: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE files SET status = 'failed', failure = $1, updated_at = $2 WHERE id = $3")
        .bind(reason)
        .bind(now)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// Ready as it is, with why it has no variants (a RAW without a usable preview, an HEIC
/// without the tool that reads it): shown to the studio like a failure's reason.
pub async fn mark_ready_because<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: FileId,
    reason: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE files SET status = 'ready', failure = $1, updated_at = $2 WHERE id = $3")
        .bind(reason)
        .bind(now)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// Records where the file's poster comes from (`auto` or `custom`).
pub async fn set_poster<'e>(ex: impl Executor<'e, Database = Any>, id: FileId, source: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE files SET poster = $1 WHERE id = $2")
        .bind(source)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn poster<'e>(ex: impl Executor<'e, Database = Any>, id: FileId) -> Result<Option<String>, DbError> {
    let row: Option<(Option<String>,)> = sqlx::query_as("SELECT poster FROM files WHERE id = $1")
        .bind(id.to_db())
        .fetch_optional(ex)
        .await?;
    Ok(row.and_then(|r| r.0))
}

pub async fn set_duration<'e>(ex: impl Executor<'e, Database = Any>, id: FileId, ms: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE files SET duration_ms = $1 WHERE id = $2")
        .bind(ms)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// Records where a video's web copy stands (and why it failed, when it did).
pub async fn set_web_state<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: FileId,
    state: Option<WebState>,
    error: Option<&str>,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE files SET web_state = $1, web_error = $2, updated_at = $3 WHERE id = $4")
        .bind(state.map(WebState::as_str))
        .bind(error)
        .bind(now)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn set_web_progress<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: FileId,
    per_mille: i64,
) -> Result<(), DbError> {
    sqlx::query("UPDATE files SET web_progress = $1 WHERE id = $2")
        .bind(per_mille)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// Web copies left `queued` or `making` with no job to finish them (a job that gave up
/// after crashes, a last attempt that failed on storage): marked failed, so that no page
/// promises a copy that will never come. Returns how many.
pub async fn fail_orphan_web_copies<'e>(ex: impl Executor<'e, Database = Any>, now: Timestamp) -> Result<u64, DbError> {
    let done = sqlx::query(
        "UPDATE files SET web_state = 'failed', web_error = $1, updated_at = $2 \
         WHERE web_state IN ('queued', 'making') AND NOT EXISTS ( \
           SELECT 1 FROM jobs j WHERE j.kind = 'web_copy' AND j.status IN ('queued', 'running') \
           AND j.payload LIKE '%' || files.id || '%')",
    )
    .bind("interrupted before it was made; make it again")
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected())
}
