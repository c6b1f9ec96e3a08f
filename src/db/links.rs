//! Single-use links sent by email (invitations, password resets).

use sqlx::{Any, Executor};

use super::{DbError, parse_id};
use crate::domain::{Timestamp, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Invitation,
    PasswordReset,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Invitation => "invitation",
            Purpose::PasswordReset => "password_reset",
        }
    }
}

/// A new link for `purpose`; the account's older unused links of that purpose end here:
/// a newer invitation or reset supersedes the ones mailed before it.
pub async fn insert(
    conn: &mut sqlx::AnyConnection,
    token_hash: &str,
    user: UserId,
    purpose: Purpose,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE account_links SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL")
        .bind(now)
        .bind(user.to_db())
        .bind(purpose.as_str())
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO account_links (token_hash, user_id, purpose, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(user.to_db())
    .bind(purpose.as_str())
    .bind(now)
    .bind(expires_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Ends every unused link of the account, whatever its purpose: a password was set or
/// the address changed, so links mailed before no longer speak for its owner.
pub async fn end_all<'e>(ex: impl Executor<'e, Database = Any>, user: UserId, now: Timestamp) -> Result<u64, DbError> {
    let done = sqlx::query("UPDATE account_links SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL")
        .bind(now)
        .bind(user.to_db())
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}

/// Spends a link: returns its user if the link exists, is unused and unexpired. One
/// statement, so two clicks racing each other cannot both succeed.
pub async fn consume<'e>(
    ex: impl Executor<'e, Database = Any>,
    token_hash: &str,
    purpose: Purpose,
    now: Timestamp,
) -> Result<Option<UserId>, DbError> {
    let row: Option<(String,)> = sqlx::query_as(
        "UPDATE account_links SET used_at = $1 \
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
    )
    .bind(now)
    .bind(token_hash)
    .bind(purpose.as_str())
    .fetch_optional(ex)
    .await?;
    row.map(|(id,)| parse_id(&id, UserId::parse)).transpose()
}

/// Removes links that can no longer be used, once they are old enough to be of no
/// interest (expired or used before `before`).
pub async fn purge<'e>(ex: impl Executor<'e, Database = Any>, before: Timestamp) -> Result<u64, DbError> {
    let done = sqlx::query("DELETE FROM account_links WHERE expires_at < $1 OR used_at < $1")
        .bind(before)
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}

/// The account a link would open, without spending it: to show a form only for a link
/// that still works.
pub async fn peek<'e>(
    ex: impl Executor<'e, Database = Any>,
    token_hash: &str,
    purpose: Purpose,
    now: Timestamp,
) -> Result<Option<UserId>, DbError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT user_id FROM account_links WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(token_hash)
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(ex)
    .await?;
    row.map(|(id,)| parse_id(&id, UserId::parse)).transpose()
}
