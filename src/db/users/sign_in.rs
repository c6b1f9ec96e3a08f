//! What signing in checks and changes: an account's credentials, its password, its TOTP
//! enrolment and the steps already used, its recovery codes.

use sqlx::{Any, Executor};

use super::{COLUMNS, Credentials, UserRow};
use crate::db::{DbError, Tx};
use crate::domain::{Email, Timestamp, UserId};

pub async fn credentials<'e>(
    ex: impl Executor<'e, Database = Any>,
    email: &Email,
) -> Result<Option<Credentials>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE email = $1 AND deleted_at IS NULL");
    let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(email.as_str())
        .fetch_optional(ex)
        .await?;
    row.map(UserRow::into_credentials).transpose()
}

pub async fn credentials_by_id<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: UserId,
) -> Result<Option<Credentials>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1 AND deleted_at IS NULL");
    let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.to_db())
        .fetch_optional(ex)
        .await?;
    row.map(UserRow::into_credentials).transpose()
}

pub async fn set_password<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: UserId,
    hash: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
        .bind(hash)
        .bind(now)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// Records that a TOTP code of `step` was accepted, unless a code of this step or a later
/// one was accepted before: the compare-and-set is what makes a code single-use, even
/// when two requests race with the same code. Marks the enrolment as confirmed.
pub async fn claim_totp_step<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: UserId,
    step: i64,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE users SET totp_last_step = $1, totp_enabled_at = COALESCE(totp_enabled_at, $2), updated_at = $2 \
         WHERE id = $3 AND (totp_last_step IS NULL OR totp_last_step < $1)",
    )
    .bind(step)
    .bind(now)
    .bind(id.to_db())
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn insert_recovery_codes(tx: &mut Tx, id: UserId, hashes: &[String], now: Timestamp) -> Result<(), DbError> {
    sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(id.to_db())
        .execute(&mut **tx)
        .await?;
    for hash in hashes {
        sqlx::query("INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)")
            .bind(id.to_db())
            .bind(hash)
            .bind(now)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Spends a recovery code; false if it does not exist or was already used.
pub async fn use_recovery_code<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: UserId,
    hash: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done =
        sqlx::query("UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
            .bind(now)
            .bind(id.to_db())
            .bind(hash)
            .execute(ex)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Stores a TOTP secret awaiting confirmation; an enrolment already confirmed is kept.
pub async fn set_pending_totp<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: UserId,
    secret: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE users SET totp_secret = $1, totp_last_step = NULL, updated_at = $2 WHERE id = $3 AND totp_enabled_at IS NULL",
    )
    .bind(secret)
    .bind(now)
    .bind(id.to_db())
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}
