//! Integrations (who may call the signed API), the idempotency ledger of their requests
//! and the log of every call.

use sqlx::{Any, Executor, FromRow};

use super::{Db, DbError};
use crate::domain::Timestamp;

/// Stores an integration with its first secret, in one transaction; returns its id.
pub async fn insert(db: &Db, name: &str, secret: &str, now: Timestamp) -> Result<String, DbError> {
    let id = uuid::Uuid::now_v7().to_string();
    let mut tx = db.begin().await?;
    sqlx::query::<Any>("INSERT INTO integrations (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind(name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query::<Any>("INSERT INTO integration_secrets (integration_id, secret, created_at) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind(secret)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// A secret that signs validly now, and whose it is.
#[derive(FromRow)]
pub struct ActiveSecret {
    pub integration_id: String,
    pub secret: String,
}

/// Every secret that signs validly now: those of integrations not revoked, not expired.
pub async fn active_secrets(db: &Db, now: Timestamp) -> Result<Vec<ActiveSecret>, DbError> {
    Ok(sqlx::query_as(
        "SELECT s.integration_id, s.secret FROM integration_secrets s JOIN integrations i ON i.id = s.integration_id \
         WHERE i.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > $1) ORDER BY s.created_at DESC",
    )
    .bind(now)
    .fetch_all(db.pool())
    .await?)
}

/// An integration as the studio sees it (never its secrets).
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct Integration {
    pub id: String,
    pub name: String,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    /// When the previous secret stops working, while a rotation is under way.
    pub rotation_ends_at: Option<Timestamp>,
    /// The last call it signed.
    pub last_call_at: Option<Timestamp>,
}

pub async fn list(db: &Db, now: Timestamp) -> Result<Vec<Integration>, DbError> {
    Ok(sqlx::query_as(
        "SELECT i.id, i.name, i.created_at, i.revoked_at, \
           (SELECT MAX(s.expires_at) FROM integration_secrets s WHERE s.integration_id = i.id AND s.expires_at > $1) \
             AS rotation_ends_at, \
           (SELECT MAX(c.at) FROM integration_calls c WHERE c.integration_id = i.id) AS last_call_at \
         FROM integrations i ORDER BY i.created_at",
    )
    .bind(now)
    .fetch_all(db.pool())
    .await?)
}

/// Starts a rotation: the secrets in use keep working until `old_until`, `secret` from now.
/// Returns false when the integration is unknown or revoked.
pub async fn rotate(db: &Db, id: &str, secret: &str, now: Timestamp, old_until: Timestamp) -> Result<bool, DbError> {
    let mut tx = db.begin().await?;
    let live: Option<(String,)> = sqlx::query_as("SELECT id FROM integrations WHERE id = $1 AND revoked_at IS NULL")
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
    if live.is_none() {
        return Ok(false);
    }
    sqlx::query::<Any>(
        "UPDATE integration_secrets SET expires_at = $1 \
         WHERE integration_id = $2 AND (expires_at IS NULL OR expires_at > $1)",
    )
    .bind(old_until)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query::<Any>("INSERT INTO integration_secrets (integration_id, secret, created_at) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(secret)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// Revokes an integration: none of its secrets signs from now on. Returns false when it
/// was unknown or already revoked.
pub async fn revoke(db: &Db, id: &str, now: Timestamp) -> Result<bool, DbError> {
    let done = sqlx::query("UPDATE integrations SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(db.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

/// What the idempotency ledger holds for a `webhook-id`.
#[derive(Debug, FromRow)]
pub struct SeenRequest {
    pub request_hash: String,
    pub status: Option<i64>,
    pub response: Option<String>,
    pub claimed_at: Timestamp,
}

/// Records that a request with this id is being processed; false when the id is known.
pub async fn claim(db: &Db, webhook_id: &str, integration: &str, hash: &str, now: Timestamp) -> Result<bool, DbError> {
    let done = sqlx::query(
        "INSERT INTO integration_requests (webhook_id, integration_id, request_hash, claimed_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (webhook_id) DO NOTHING",
    )
    .bind(webhook_id)
    .bind(integration)
    .bind(hash)
    .bind(now)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn seen(db: &Db, webhook_id: &str) -> Result<Option<SeenRequest>, DbError> {
    Ok(sqlx::query_as(
        "SELECT request_hash, status, response, claimed_at FROM integration_requests WHERE webhook_id = $1",
    )
    .bind(webhook_id)
    .fetch_optional(db.pool())
    .await?)
}

/// Takes over a claim whose holder stopped without finishing (a crashed node): only if it
/// is still the claim that was seen, so two takers cannot both win.
pub async fn take_over(db: &Db, webhook_id: &str, seen_claimed_at: Timestamp, now: Timestamp) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE integration_requests SET claimed_at = $1 \
         WHERE webhook_id = $2 AND claimed_at = $3 AND status IS NULL",
    )
    .bind(now)
    .bind(webhook_id)
    .bind(seen_claimed_at)
    .execute(db.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Stores the answer, in the transaction that applied the request: the change and its
/// answer are kept together or not at all.
pub async fn complete<'e>(
    ex: impl Executor<'e, Database = Any>,
    webhook_id: &str,
    status: u16,
    response: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE integration_requests SET status = $1, response = $2, completed_at = $3 WHERE webhook_id = $4")
        .bind(i64::from(status))
        .bind(response)
        .bind(now)
        .bind(webhook_id)
        .execute(ex)
        .await?;
    Ok(())
}

/// Forgets a claim whose request was refused (invalid, unknown parent) or failed, so
/// that a retry with the same id is processed afresh.
pub async fn release(db: &Db, webhook_id: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM integration_requests WHERE webhook_id = $1 AND status IS NULL")
        .bind(webhook_id)
        .execute(db.pool())
        .await?;
    Ok(())
}

/// Drops ledger entries older than `before`.
pub async fn purge_requests<'e>(ex: impl Executor<'e, Database = Any>, before: Timestamp) -> Result<u64, DbError> {
    let done = sqlx::query("DELETE FROM integration_requests WHERE claimed_at < $1")
        .bind(before)
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}

/// One line of the call log.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct Call {
    pub id: String,
    pub integration_id: Option<String>,
    pub webhook_id: Option<String>,
    pub method: String,
    pub path: String,
    pub status: i64,
    pub outcome: String,
    pub reason: Option<String>,
    pub at: Timestamp,
}

pub async fn log_call(db: &Db, call: &Call) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO integration_calls (id, integration_id, webhook_id, method, path, status, outcome, reason, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&call.id)
    .bind(&call.integration_id)
    .bind(&call.webhook_id)
    .bind(&call.method)
    .bind(&call.path)
    .bind(call.status)
    .bind(&call.outcome)
    .bind(&call.reason)
    .bind(call.at)
    .execute(db.pool())
    .await?;
    Ok(())
}

/// The latest calls, newest first.
pub async fn recent_calls(db: &Db, limit: i64) -> Result<Vec<Call>, DbError> {
    Ok(sqlx::query_as(
        "SELECT id, integration_id, webhook_id, method, path, status, outcome, reason, at \
         FROM integration_calls ORDER BY at DESC, id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db.pool())
    .await?)
}

pub async fn purge_calls<'e>(ex: impl Executor<'e, Database = Any>, before: Timestamp) -> Result<u64, DbError> {
    let done = sqlx::query("DELETE FROM integration_calls WHERE at < $1")
        .bind(before)
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}
