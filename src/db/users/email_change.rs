//! Moving an account to another address through a link sent to it: the link, its end, and
//! spending it.

use sqlx::{Any, Executor};

use crate::db::{DbError, Tx, parse_id};
use crate::domain::{Email, Timestamp, UserId};

/// A link to move the account to `new_email`; earlier pending moves end here.
pub async fn insert_email_change(
    conn: &mut sqlx::AnyConnection,
    token_hash: &str,
    id: UserId,
    new_email: &Email,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<(), DbError> {
    end_email_changes(&mut *conn, id, now).await?;
    sqlx::query(
        "INSERT INTO email_changes (token_hash, user_id, new_email, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(id.to_db())
    .bind(new_email.as_str())
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Ends the account's pending email-change links.
pub async fn end_email_changes<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: UserId,
    now: Timestamp,
) -> Result<u64, DbError> {
    let done = sqlx::query("UPDATE email_changes SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}

/// Spends an email-change link and moves the account to its address; answers the account
/// and the address it left, or `None` when the link is unknown, used or expired. A taken
/// address surfaces as a unique violation.
pub async fn apply_email_change(
    tx: &mut Tx,
    token_hash: &str,
    now: Timestamp,
) -> Result<Option<(UserId, String)>, DbError> {
    let row: Option<(String, String)> = sqlx::query_as(
        "UPDATE email_changes SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 \
         RETURNING user_id, new_email",
    )
    .bind(now)
    .bind(token_hash)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((user, email)) = row else { return Ok(None) };
    let (old,): (String,) = sqlx::query_as("SELECT email FROM users WHERE id = $1")
        .bind(&user)
        .fetch_one(&mut **tx)
        .await?;
    sqlx::query("UPDATE users SET email = $1, updated_at = $2 WHERE id = $3")
        .bind(&email)
        .bind(now)
        .bind(&user)
        .execute(&mut **tx)
        .await?;
    Ok(Some((parse_id(&user, UserId::parse)?, old)))
}
