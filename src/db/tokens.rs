use std::time::Duration;

use sqlx::{Any, Executor, FromRow};

use super::users::User;
use super::{DbError, parse_id};
use crate::domain::{MINUTE, Timestamp, TokenId, UserId};

/// A personal API token as listed to its owner (never the secret, which is not stored).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenInfo {
    pub id: TokenId,
    pub name: String,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    /// When it stops working by itself.
    pub expires_at: Option<Timestamp>,
    pub revoked: bool,
}

#[derive(FromRow)]
struct Row {
    id: String,
    name: String,
    created_at: Timestamp,
    last_used_at: Option<Timestamp>,
    expires_at: Option<Timestamp>,
    revoked_at: Option<Timestamp>,
}

pub async fn insert<'e>(
    ex: impl Executor<'e, Database = Any>,
    user: UserId,
    name: &str,
    token_hash: &str,
    now: Timestamp,
    expires_at: Timestamp,
) -> Result<TokenId, DbError> {
    let id = TokenId::new();
    sqlx::query(
        "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id.to_db())
    .bind(user.to_db())
    .bind(name)
    .bind(token_hash)
    .bind(now)
    .bind(expires_at)
    .execute(ex)
    .await?;
    Ok(id)
}

/// `last_used_at` is refreshed at most this often: authentication runs on every API
/// request (every upload chunk among them) and must not cost a write each time.
const TOUCH_EVERY: Duration = MINUTE;

#[derive(FromRow)]
struct Holder {
    #[sqlx(flatten)]
    user: super::users::UserRow,
    last_used_at: Option<Timestamp>,
}

/// The account behind a token that exists and is neither revoked nor past its end, if
/// that account is live (not disabled, not in the trash). One statement: it runs on every
/// API request, every upload chunk among them.
pub async fn authenticate(db: &super::Db, token_hash: &str, now: Timestamp) -> Result<Option<User>, DbError> {
    static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        format!(
            "SELECT {}, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled_at IS NULL AND u.deleted_at IS NULL \
             AND (t.expires_at IS NULL OR t.expires_at > $2)",
            super::users::columns_of("u")
        )
    });
    let row: Option<Holder> = sqlx::query_as(sqlx::AssertSqlSafe(SQL.as_str()))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(db.pool())
        .await?;
    let Some(Holder { user, last_used_at }) = row else {
        return Ok(None);
    };
    if last_used_at.is_none_or(|t| now - t >= TOUCH_EVERY) {
        sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(token_hash)
            .execute(db.pool())
            .await?;
    }
    user.into_user().map(Some)
}

pub async fn list<'e>(ex: impl Executor<'e, Database = Any>, user: UserId) -> Result<Vec<TokenInfo>, DbError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, name, created_at, last_used_at, expires_at, revoked_at FROM api_tokens WHERE user_id = $1 \
         ORDER BY created_at, id",
    )
    .bind(user.to_db())
    .fetch_all(ex)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(TokenInfo {
                id: parse_id(&r.id, TokenId::parse)?,
                name: r.name,
                created_at: r.created_at,
                last_used_at: r.last_used_at,
                expires_at: r.expires_at,
                revoked: r.revoked_at.is_some(),
            })
        })
        .collect()
}

/// Revokes one of `user`'s tokens; false when `user` has no such active token, so that
/// another person's token ids reveal nothing.
pub async fn revoke<'e>(
    ex: impl Executor<'e, Database = Any>,
    user: UserId,
    id: TokenId,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done =
        sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(id.to_db())
            .bind(user.to_db())
            .execute(ex)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Revokes every active token of the account (its password was reset or changed).
pub async fn revoke_all<'e>(
    ex: impl Executor<'e, Database = Any>,
    user: UserId,
    now: Timestamp,
) -> Result<u64, DbError> {
    let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(user.to_db())
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}
