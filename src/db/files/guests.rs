//! Guests' files: hidden from links or shown, accepted after review, listed to the guest
//! who sent them, and told to the studio in batches.

use sqlx::{Any, Executor};

use super::{COLUMNS, FileRecord, Row};
use crate::db::{DbError, Tx};
use crate::domain::{FileId, Timestamp};

/// Shows a file to guests' links or hides it from them.
pub async fn set_hidden_from_guests<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: FileId,
    hidden: bool,
) -> Result<bool, DbError> {
    let done = sqlx::query("UPDATE files SET hidden_from_guests = $1 WHERE id = $2 AND deleted_at IS NULL")
        .bind(i64::from(hidden))
        .bind(id.to_string())
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The studio accepts a guest's file: it leaves "à valider". False when it was not waiting.
pub async fn accept_review<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: FileId,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE files SET pending_review = 0, updated_at = $1 WHERE id = $2 AND pending_review = 1 AND deleted_at IS NULL",
    )
    .bind(now)
    .bind(id.to_db())
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Files a guest sent through `link` from the session `session` (its token's hash), not
/// deleted, oldest first: what their browser may list.
pub async fn sent_through<'e>(
    ex: impl Executor<'e, Database = Any>,
    link: &str,
    session: &str,
) -> Result<Vec<FileRecord>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM files WHERE link_id = $1 AND link_session = $2 AND deleted_at IS NULL \
         ORDER BY created_at, id"
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(link)
        .bind(session)
        .fetch_all(ex)
        .await?;
    rows.into_iter().map(Row::into_record).collect()
}

/// A guest's stored files not yet told in a batch email, for `link` (and `session`, when
/// given), oldest first.
pub async fn unannounced<'e>(
    ex: impl Executor<'e, Database = Any>,
    link: &str,
    session: Option<&str>,
) -> Result<Vec<FileRecord>, DbError> {
    let of_session = if session.is_some() { "AND link_session = $2" } else { "" };
    let sql = format!(
        "SELECT {COLUMNS} FROM files WHERE link_id = $1 {of_session} AND deleted_at IS NULL \
         AND sha256 IS NOT NULL AND batch_notified_at IS NULL ORDER BY stored_at, id"
    );
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(link);
    if let Some(session) = session {
        query = query.bind(session);
    }
    let rows: Vec<Row> = query.fetch_all(ex).await?;
    rows.into_iter().map(Row::into_record).collect()
}

/// Marks files as told in their batch email; returns how many this call marked (a file
/// another request marked first is not counted, so each is told once).
pub async fn mark_announced(tx: &mut Tx, ids: &[FileId], now: Timestamp) -> Result<Vec<FileId>, DbError> {
    let mut marked = Vec::new();
    for id in ids {
        let done = sqlx::query("UPDATE files SET batch_notified_at = $1 WHERE id = $2 AND batch_notified_at IS NULL")
            .bind(now)
            .bind(id.to_db())
            .execute(&mut **tx)
            .await?;
        if done.rows_affected() == 1 {
            marked.push(*id);
        }
    }
    Ok(marked)
}

/// Upload links whose guests stored files that no batch email told yet, the newest of
/// them stored before `quiet_since`: their batch is over even if no page said so.
pub async fn quiet_unannounced_links<'e>(
    ex: impl Executor<'e, Database = Any>,
    quiet_since: Timestamp,
) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT link_id FROM files WHERE link_id IS NOT NULL AND deleted_at IS NULL AND sha256 IS NOT NULL \
         AND batch_notified_at IS NULL GROUP BY link_id HAVING MAX(stored_at) < $1",
    )
    .bind(quiet_since)
    .fetch_all(ex)
    .await?;
    Ok(rows.into_iter().map(|(l,)| l).collect())
}
