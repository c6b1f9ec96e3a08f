use sqlx::{Any, Executor};

use super::DbError;
use crate::domain::Timestamp;

/// Replaces every unused setup link by this one: only the newest printed link works.
pub async fn replace(
    tx: &mut super::Tx,
    token_hash: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("DELETE FROM setup_links WHERE used_at IS NULL")
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO setup_links (token_hash, created_at, expires_at) VALUES ($1, $2, $3)")
        .bind(token_hash)
        .bind(now)
        .bind(expires_at)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn is_usable<'e>(
    ex: impl Executor<'e, Database = Any>,
    token_hash: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT 1 FROM setup_links WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2")
            .bind(token_hash)
            .bind(now)
            .fetch_optional(ex)
            .await?;
    Ok(row.is_some())
}

/// Spends the link; false when it is unknown, used or expired.
pub async fn consume<'e>(
    ex: impl Executor<'e, Database = Any>,
    token_hash: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE setup_links SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}
