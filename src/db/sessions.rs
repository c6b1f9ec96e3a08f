use sqlx::{Any, Executor, FromRow};

use super::DbError;
use super::users::User;
use crate::domain::{Timestamp, UserId};

pub struct NewSession<'a> {
    pub id_hash: &'a str,
    pub user_id: UserId,
    pub csrf_token: &'a str,
    pub expires_at: Timestamp,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ActiveSession {
    /// The live account it belongs to (not disabled, not in the trash).
    pub user: User,
    pub csrf_token: String,
    pub last_seen_at: Timestamp,
}

#[derive(FromRow)]
struct Row {
    #[sqlx(flatten)]
    user: super::users::UserRow,
    csrf_token: String,
    last_seen_at: Timestamp,
}

pub async fn insert<'e>(
    ex: impl Executor<'e, Database = Any>,
    new: NewSession<'_>,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent) \
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7)",
    )
    .bind(new.id_hash)
    .bind(new.user_id.to_db())
    .bind(new.csrf_token)
    .bind(now)
    .bind(new.expires_at)
    .bind(new.ip)
    .bind(new.user_agent)
    .execute(ex)
    .await?;
    Ok(())
}

/// The session behind a cookie, if it exists and has not expired, with its account if
/// that is live (not disabled, not in the trash): one statement, as it runs on every
/// request a signed-in browser makes.
pub async fn find_active<'e>(
    ex: impl Executor<'e, Database = Any>,
    id_hash: &str,
    now: Timestamp,
) -> Result<Option<ActiveSession>, DbError> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "SELECT {}, s.csrf_token, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.id_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL AND u.deleted_at IS NULL",
            super::users::columns_of("u")
        )
    });
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(SQL.as_str()))
        .bind(id_hash)
        .bind(now)
        .fetch_optional(ex)
        .await?;
    row.map(|r| {
        Ok(ActiveSession {
            user: r.user.into_user()?,
            csrf_token: r.csrf_token,
            last_seen_at: r.last_seen_at,
        })
    })
    .transpose()
}

/// Slides the expiry forward for a session in use.
pub async fn touch<'e>(
    ex: impl Executor<'e, Database = Any>,
    id_hash: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE sessions SET last_seen_at = $1, expires_at = $2 WHERE id_hash = $3")
        .bind(now)
        .bind(expires_at)
        .bind(id_hash)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn delete<'e>(ex: impl Executor<'e, Database = Any>, id_hash: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
        .bind(id_hash)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn delete_for_user<'e>(ex: impl Executor<'e, Database = Any>, user: UserId) -> Result<(), DbError> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn purge_expired<'e>(ex: impl Executor<'e, Database = Any>, now: Timestamp) -> Result<u64, DbError> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
        .bind(now)
        .execute(ex)
        .await?
        .rows_affected())
}

/// Ends every session of `user` but the one whose hash is `keep`.
pub async fn delete_others<'e>(ex: impl Executor<'e, Database = Any>, user: UserId, keep: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND id_hash <> $2")
        .bind(user.to_db())
        .bind(keep)
        .execute(ex)
        .await?;
    Ok(())
}
