//! SQL of the guests' links (`links`, `link_sessions`, `link_pin_failures`); the rules
//! (who may make a link, what a guest may reach) live in `crate::guests`.

use sqlx::{Any, Executor, FromRow};

use super::DbError;
use crate::domain::Timestamp;

#[derive(Debug, Clone, FromRow)]
pub struct LinkRow {
    pub id: String,
    pub transfer_id: String,
    pub kind: String,
    pub label: String,
    pub email: Option<String>,
    pub pin_hash: Option<String>,
    pub permissions: String,
    pub expires_at: Option<Timestamp>,
    pub created_by: Option<String>,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    /// Upload links: at most this many files, this many bytes in all.
    pub max_files: Option<i64>,
    pub max_bytes: Option<i64>,
    /// Upload links: the categories taken (comma-separated), every one when `None`.
    pub categories: Option<String>,
}

/// An unlocking session, with the name and address an upload link's guest gave.
#[derive(Debug, Clone, FromRow)]
pub struct SessionRow {
    pub token_hash: String,
    pub link_id: String,
    pub guest_name: Option<String>,
    pub guest_email: Option<String>,
    pub expires_at: Timestamp,
}

const COLUMNS: &str = "id, transfer_id, kind, label, email, pin_hash, permissions, expires_at, created_by, \
                       created_at, revoked_at, max_files, max_bytes, categories";

pub struct NewLink<'a> {
    pub id: &'a str,
    pub transfer: &'a str,
    pub kind: &'a str,
    pub label: &'a str,
    pub email: Option<&'a str>,
    pub token_hash: &'a str,
    pub pin_hash: Option<&'a str>,
    pub permissions: &'a str,
    pub expires_at: Option<Timestamp>,
    pub created_by: &'a str,
    pub max_files: Option<i64>,
    pub max_bytes: Option<i64>,
    pub categories: Option<&'a str>,
}

pub async fn insert<'e>(
    ex: impl Executor<'e, Database = Any>,
    new: &NewLink<'_>,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO links (id, transfer_id, kind, label, email, token_hash, pin_hash, permissions, expires_at, \
         created_by, created_at, max_files, max_bytes, categories) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(new.id)
    .bind(new.transfer)
    .bind(new.kind)
    .bind(new.label)
    .bind(new.email)
    .bind(new.token_hash)
    .bind(new.pin_hash)
    .bind(new.permissions)
    .bind(new.expires_at)
    .bind(new.created_by)
    .bind(now)
    .bind(new.max_files)
    .bind(new.max_bytes)
    .bind(new.categories)
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn find<'e>(ex: impl Executor<'e, Database = Any>, id: &str) -> Result<Option<LinkRow>, DbError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM links WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await?)
}

/// The link whose token hashes to `token_hash`.
pub async fn by_token<'e>(ex: impl Executor<'e, Database = Any>, token_hash: &str) -> Result<Option<LinkRow>, DbError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM links WHERE token_hash = $1"
    )))
    .bind(token_hash)
    .fetch_optional(ex)
    .await?)
}

pub async fn list_for_transfer<'e>(
    ex: impl Executor<'e, Database = Any>,
    transfer: &str,
) -> Result<Vec<LinkRow>, DbError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM links WHERE transfer_id = $1 ORDER BY created_at, id"
    )))
    .bind(transfer)
    .fetch_all(ex)
    .await?)
}

/// Ends a link, and with it every session it opened: they stay only to tell their
/// holders the link was revoked (410), until housekeeping forgets them at their expiry.
pub async fn revoke(tx: &mut super::Tx, id: &str, now: Timestamp) -> Result<bool, DbError> {
    let done = sqlx::query("UPDATE links SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The session whose token hashes to `token_hash`, expired or not (a guest whose link
/// ended is told so, rather than that their token means nothing).
pub async fn session<'e>(
    ex: impl Executor<'e, Database = Any>,
    token_hash: &str,
) -> Result<Option<SessionRow>, DbError> {
    Ok(sqlx::query_as(
        "SELECT token_hash, link_id, guest_name, guest_email, expires_at FROM link_sessions WHERE token_hash = $1",
    )
    .bind(token_hash)
    .fetch_optional(ex)
    .await?)
}

/// Who an upload link's session says they are.
pub struct SessionGuest<'a> {
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
}

pub async fn insert_session<'e>(
    ex: impl Executor<'e, Database = Any>,
    token_hash: &str,
    link: &str,
    guest: SessionGuest<'_>,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO link_sessions (token_hash, link_id, created_at, expires_at, guest_name, guest_email) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash)
    .bind(link)
    .bind(now)
    .bind(expires_at)
    .bind(guest.name)
    .bind(guest.email)
    .execute(ex)
    .await?;
    Ok(())
}

/// Files sent through an upload link and not deleted: how many, and their declared bytes.
pub async fn sent_totals<'e>(ex: impl Executor<'e, Database = Any>, link: &str) -> Result<(i64, i64), DbError> {
    Ok(sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files WHERE link_id = $1 AND deleted_at IS NULL",
    )
    .bind(link)
    .fetch_one(ex)
    .await?)
}

/// Wrong PINs for `link` since `since`: in all, and from `address`.
pub async fn pin_failures<'e>(
    ex: impl Executor<'e, Database = Any>,
    link: &str,
    address: &str,
    since: Timestamp,
) -> Result<(i64, i64), DbError> {
    let (all, here): (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN address = $2 THEN 1 ELSE 0 END), 0) FROM link_pin_failures \
         WHERE link_id = $1 AND failed_at > $3",
    )
    .bind(link)
    .bind(address)
    .bind(since)
    .fetch_one(ex)
    .await?;
    Ok((all, here))
}

/// Counts a PIN attempt as a failure before it is checked (so that attempts made at once
/// all count); `forgive_pin_attempt` takes it back when the PIN was right. Returns its id.
pub async fn record_pin_attempt<'e>(
    ex: impl Executor<'e, Database = Any>,
    link: &str,
    address: &str,
    now: Timestamp,
) -> Result<String, DbError> {
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query("INSERT INTO link_pin_failures (id, link_id, address, failed_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(link)
        .bind(address)
        .bind(now)
        .execute(ex)
        .await?;
    Ok(id)
}

pub async fn forgive_pin_attempt<'e>(ex: impl Executor<'e, Database = Any>, id: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM link_pin_failures WHERE id = $1")
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

/// Holds the link's row until the transaction ends (PostgreSQL; SQLite's write
/// transactions already come one at a time), so that nodes count PIN attempts in turn.
pub async fn lock(tx: &mut super::Tx, backend: super::Backend, link: &str) -> Result<(), DbError> {
    if backend == super::Backend::Postgres {
        sqlx::query("SELECT id FROM links WHERE id = $1 FOR UPDATE")
            .bind(link)
            .fetch_optional(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Downloads through each link of a transfer: (link id, count, complete ones).
pub async fn download_counts<'e>(
    ex: impl Executor<'e, Database = Any>,
    transfer: &str,
) -> Result<Vec<(String, i64, i64)>, DbError> {
    Ok(sqlx::query_as(
        "SELECT d.link_id, COUNT(*), CAST(COALESCE(SUM(d.complete), 0) AS BIGINT) FROM downloads d JOIN links l ON l.id = d.link_id \
         WHERE l.transfer_id = $1 AND (d.range_start IS NULL OR d.range_start = 0) AND d.played = 0 \
         AND d.archive_id IS NULL \
         GROUP BY d.link_id",
    )
    .bind(transfer)
    .fetch_all(ex)
    .await?)
}

/// Housekeeping: guests' unlocking sessions and wrong PINs past their time; how many.
pub async fn forget_expired<'e>(
    ex: impl Executor<'e, Database = Any> + Copy,
    now: Timestamp,
    failures_before: Timestamp,
) -> Result<u64, DbError> {
    let sessions = sqlx::query("DELETE FROM link_sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(ex)
        .await?;
    let failures = sqlx::query("DELETE FROM link_pin_failures WHERE failed_at < $1")
        .bind(failures_before)
        .execute(ex)
        .await?;
    Ok(sessions.rows_affected() + failures.rows_affected())
}

/// Files sent through each upload link of a transfer (not deleted): (link id, files,
/// waiting for review).
pub async fn file_counts<'e>(
    ex: impl Executor<'e, Database = Any>,
    transfer: &str,
) -> Result<Vec<(String, i64, i64)>, DbError> {
    Ok(sqlx::query_as(
        "SELECT link_id, COUNT(*), CAST(COALESCE(SUM(pending_review), 0) AS BIGINT) FROM files \
         WHERE transfer_id = $1 AND link_id IS NOT NULL AND deleted_at IS NULL GROUP BY link_id",
    )
    .bind(transfer)
    .fetch_all(ex)
    .await?)
}

/// Claims the link's next batch email: true when none went out since `not_after` (the
/// claim is recorded at `now`), so that a guest saying "done" again and again does not
/// email the studio each time.
pub async fn claim_batch(
    tx: &mut super::Tx,
    link: &str,
    not_after: Timestamp,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE links SET last_batch_at = $1 WHERE id = $2 AND (last_batch_at IS NULL OR last_batch_at <= $3)",
    )
    .bind(now)
    .bind(link)
    .bind(not_after)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Counts a receipt to a session's address; false once it had `max`.
pub async fn count_receipt(tx: &mut super::Tx, session: &str, max: i64) -> Result<bool, DbError> {
    let done = sqlx::query("UPDATE link_sessions SET receipts = receipts + 1 WHERE token_hash = $1 AND receipts < $2")
        .bind(session)
        .bind(max)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}
