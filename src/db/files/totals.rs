//! Sums over files: a client's inbound bytes (for quotas), stored bytes and counts per
//! transfer, per category, in the trash.

use sqlx::{Any, Executor};

use crate::db::{DbError, parse_id};
use crate::domain::{TransferId, UserId};

/// Bytes a client has sent or announced: their inbound files, stored or still uploading
/// (an upload in progress counts with its announced length, so parallel uploads cannot
/// overrun a quota together).
pub async fn inbound_bytes<'e>(ex: impl Executor<'e, Database = Any>, client: UserId) -> Result<u64, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(f.size), 0) AS BIGINT) FROM files f JOIN transfers t ON t.id = f.transfer_id \
         WHERE t.client_id = $1 AND t.direction = 'inbound' AND (f.status <> 'failed' OR f.sha256 IS NOT NULL) \
         AND f.deleted_at IS NULL",
    )
    .bind(client.to_db())
    .fetch_one(ex)
    .await?;
    Ok(n.max(0) as u64)
}

/// Bytes already received by a client's inbound uploads whose length is still deferred
/// (their files have no size yet, so `inbound_bytes` does not count them).
pub async fn deferred_inbound_bytes<'e>(ex: impl Executor<'e, Database = Any>, client: UserId) -> Result<u64, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(u.upload_offset), 0) AS BIGINT) FROM uploads u \
         JOIN files f ON f.id = u.file_id JOIN transfers t ON t.id = f.transfer_id \
         WHERE t.client_id = $1 AND t.direction = 'inbound' AND u.length IS NULL AND u.completed_at IS NULL \
         AND f.deleted_at IS NULL",
    )
    .bind(client.to_db())
    .fetch_one(ex)
    .await?;
    Ok(n.max(0) as u64)
}

/// Bytes of every stored file, in one sum (what the dashboard shows).
pub async fn stored_bytes<'e>(ex: impl Executor<'e, Database = Any>) -> Result<u64, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files WHERE sha256 IS NOT NULL AND deleted_at IS NULL",
    )
    .fetch_one(ex)
    .await?;
    Ok(n.max(0) as u64)
}

/// Per transfer: how many files are stored (or further along) and their bytes. For one
/// client's transfers, or everyone's.
pub async fn stored_totals<'e>(
    ex: impl Executor<'e, Database = Any>,
    client: Option<UserId>,
) -> Result<std::collections::HashMap<TransferId, (u64, u64)>, DbError> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT f.transfer_id, COUNT(*), CAST(COALESCE(SUM(f.size), 0) AS BIGINT) FROM files f \
         JOIN transfers t ON t.id = f.transfer_id \
         WHERE f.sha256 IS NOT NULL AND f.deleted_at IS NULL AND ($1 IS NULL OR t.client_id = $1) \
         GROUP BY f.transfer_id",
    )
    .bind(client.map(|c| c.to_db()))
    .fetch_all(ex)
    .await?;
    rows.into_iter()
        .map(|(id, n, bytes)| {
            Ok((
                parse_id(&id, TransferId::parse)?,
                (n.max(0) as u64, bytes.max(0) as u64),
            ))
        })
        .collect()
}

/// Stored bytes per category, across every live file (the studio's storage overview).
pub async fn bytes_by_category<'e>(ex: impl Executor<'e, Database = Any>) -> Result<Vec<(String, u64)>, DbError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT category, CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files \
         WHERE sha256 IS NOT NULL AND deleted_at IS NULL GROUP BY category ORDER BY category",
    )
    .fetch_all(ex)
    .await?;
    Ok(rows.into_iter().map(|(c, b)| (c, b.max(0) as u64)).collect())
}

/// Stored bytes waiting in the trash.
pub async fn trashed_bytes<'e>(ex: impl Executor<'e, Database = Any>) -> Result<u64, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files WHERE sha256 IS NOT NULL AND deleted_at IS NOT NULL",
    )
    .fetch_one(ex)
    .await?;
    Ok(n.max(0) as u64)
}
