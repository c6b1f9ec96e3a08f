use sqlx::{Any, Executor, FromRow};

use super::DbError;
use crate::domain::{FileId, Timestamp, TransferId, UserId};

/// One line of the activity log, as stored.
pub struct NewEntry<'a> {
    pub kind: &'a str,
    pub actor: Option<UserId>,
    pub client: Option<UserId>,
    pub transfer: Option<TransferId>,
    pub file: Option<FileId>,
    pub detail: &'a str,
}

pub async fn insert<'e>(ex: impl Executor<'e, Database = Any>, e: NewEntry<'_>, now: Timestamp) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO activity (id, at, kind, actor_id, client_id, transfer_id, file_id, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(now)
    .bind(e.kind)
    .bind(e.actor.map(|u| u.to_db()))
    .bind(e.client.map(|u| u.to_db()))
    .bind(e.transfer.map(|t| t.to_db()))
    .bind(e.file.map(|f| f.to_db()))
    .bind(e.detail)
    .execute(ex)
    .await?;
    Ok(())
}

/// A line of the log with the names it mentions, for display.
#[derive(Debug, Clone, FromRow)]
pub struct Entry {
    pub id: String,
    pub at: Timestamp,
    pub kind: String,
    pub actor_name: Option<String>,
    pub client_id: Option<String>,
    pub client_name: Option<String>,
    pub transfer_id: Option<String>,
    pub file_id: Option<String>,
    pub detail: String,
}

/// The newest entries, for one client or everyone.
pub async fn recent<'e>(
    ex: impl Executor<'e, Database = Any>,
    client: Option<UserId>,
    kind: Option<&str>,
    limit: i64,
) -> Result<Vec<Entry>, DbError> {
    older_than(ex, client, kind, None, limit).await
}

/// Like [`recent`], from just after the entry `(at, id)`: the next page of the log.
pub async fn older_than<'e>(
    ex: impl Executor<'e, Database = Any>,
    client: Option<UserId>,
    kind: Option<&str>,
    after: Option<(Timestamp, &str)>,
    limit: i64,
) -> Result<Vec<Entry>, DbError> {
    let rows = sqlx::query_as(
        "SELECT a.id, a.at, a.kind, actor.name AS actor_name, a.client_id, client.name AS client_name, \
         a.transfer_id, a.file_id, a.detail \
         FROM activity a LEFT JOIN users actor ON actor.id = a.actor_id \
         LEFT JOIN users client ON client.id = a.client_id \
         WHERE ($1 IS NULL OR a.client_id = $1) AND ($2 IS NULL OR a.kind = $2) \
         AND ($4 IS NULL OR a.at < $4 OR (a.at = $4 AND a.id < $5)) \
         ORDER BY a.at DESC, a.id DESC LIMIT $3",
    )
    .bind(client.map(|c| c.to_db()))
    .bind(kind)
    .bind(limit)
    .bind(after.map(|(at, _)| at))
    .bind(after.map(|(_, id)| id))
    .fetch_all(ex)
    .await?;
    Ok(rows)
}
