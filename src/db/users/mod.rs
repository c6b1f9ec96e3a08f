//! The `users` table: accounts, their roles, profiles, quotas and status; signing in, the
//! studio's client list and address changes in the submodules.

mod clients;
mod email_change;
mod sign_in;

use sqlx::{Any, Executor, FromRow};

use super::{DbError, parse_id};
use crate::domain::{Email, Locale, Role, Timestamp, UserId};

pub use clients::{ClientSummary, clients, clients_page, count_clients};
pub use email_change::{apply_email_change, end_email_changes, insert_email_change};
pub use sign_in::{
    claim_totp_step, credentials, credentials_by_id, insert_recovery_codes, set_password, set_pending_totp,
    use_recovery_code,
};

/// An account, without its secrets.
#[derive(Debug, Clone, serde::Serialize)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub locale: Locale,
    pub totp_enabled: bool,
    pub disabled: bool,
    pub created_at: Timestamp,
}

/// What login needs to check a person's proof of identity.
pub struct Credentials {
    pub user: User,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
}

pub struct NewUser<'a> {
    pub email: &'a Email,
    pub name: &'a str,
    pub role: Role,
    pub locale: Locale,
    pub password_hash: Option<String>,
    pub totp_secret: Option<String>,
}

#[derive(FromRow)]
pub(super) struct UserRow {
    id: String,
    email: String,
    name: String,
    role: String,
    locale: String,
    totp_enabled_at: Option<Timestamp>,
    disabled_at: Option<Timestamp>,
    created_at: Timestamp,
    password_hash: Option<String>,
    totp_secret: Option<String>,
}

const COLUMNS: &str =
    "id, email, name, role, locale, totp_enabled_at, disabled_at, created_at, password_hash, totp_secret";

/// [`UserRow`]'s columns of the `users` table named `alias` in a join, for reading the
/// account alone: its secrets are not read (NULL in their place).
pub(super) fn columns_of(alias: &str) -> String {
    COLUMNS
        .split(", ")
        .map(|column| match column {
            "password_hash" | "totp_secret" => format!("NULL AS {column}"),
            _ => format!("{alias}.{column}"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl UserRow {
    pub(super) fn into_user(self) -> Result<User, DbError> {
        self.into_credentials().map(|c| c.user)
    }

    fn into_credentials(self) -> Result<Credentials, DbError> {
        let user = User {
            id: parse_id(&self.id, UserId::parse)?,
            role: Role::parse(&self.role).ok_or_else(|| DbError::Corrupt(format!("role {:?}", self.role)))?,
            locale: Locale::parse(&self.locale).unwrap_or_default(),
            email: self.email,
            name: self.name,
            totp_enabled: self.totp_enabled_at.is_some(),
            disabled: self.disabled_at.is_some(),
            created_at: self.created_at,
        };
        Ok(Credentials {
            user,
            password_hash: self.password_hash,
            totp_secret: self.totp_secret,
        })
    }
}

pub async fn insert<'e>(
    ex: impl Executor<'e, Database = Any>,
    new: NewUser<'_>,
    now: Timestamp,
) -> Result<User, DbError> {
    let id = UserId::new();
    sqlx::query(
        "INSERT INTO users (id, email, name, role, locale, password_hash, totp_secret, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(id.to_db())
    .bind(new.email.as_str())
    .bind(new.name)
    .bind(new.role.as_str())
    .bind(new.locale.as_str())
    .bind(new.password_hash)
    .bind(new.totp_secret)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(User {
        id,
        email: new.email.as_str().to_owned(),
        name: new.name.to_owned(),
        role: new.role,
        locale: new.locale,
        totp_enabled: false,
        disabled: false,
        created_at: now,
    })
}

pub async fn find<'e>(ex: impl Executor<'e, Database = Any>, id: UserId) -> Result<Option<User>, DbError> {
    // An account in the trash is gone: it cannot sign in and is found by no one.
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = $1 AND deleted_at IS NULL");
    let row: Option<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.to_db())
        .fetch_optional(ex)
        .await?;
    row.map(|r| r.into_credentials().map(|c| c.user)).transpose()
}

/// Whether the account holding `email` is in the trash (deleted, not yet erased): the
/// address stays taken until the studio restores or erases it.
pub async fn in_trash_with_email<'e>(ex: impl Executor<'e, Database = Any>, email: &Email) -> Result<bool, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE email = $1 AND deleted_at IS NOT NULL")
        .bind(email.as_str())
        .fetch_one(ex)
        .await?;
    Ok(n > 0)
}

pub async fn find_by_email<'e>(ex: impl Executor<'e, Database = Any>, email: &Email) -> Result<Option<User>, DbError> {
    Ok(credentials(ex, email).await?.map(|c| c.user))
}

pub async fn count_by_role<'e>(ex: impl Executor<'e, Database = Any>, role: Role) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE role = $1")
        .bind(role.as_str())
        .fetch_one(ex)
        .await?;
    Ok(n)
}

/// The client's storage quota, if the studio set one.
pub async fn quota<'e>(ex: impl Executor<'e, Database = Any>, id: UserId) -> Result<Option<u64>, DbError> {
    let row: Option<(Option<i64>,)> = sqlx::query_as("SELECT quota_bytes FROM users WHERE id = $1")
        .bind(id.to_db())
        .fetch_optional(ex)
        .await?;
    Ok(row.and_then(|(q,)| q).map(|q| q.max(0) as u64))
}

pub async fn set_quota<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: UserId,
    quota: Option<u64>,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE users SET quota_bytes = $1, updated_at = $2 WHERE id = $3")
        .bind(quota.map(|q| q as i64))
        .bind(now)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// Active accounts with this role, by name: the studio's recipients of notifications.
pub async fn active_with_role<'e>(ex: impl Executor<'e, Database = Any>, role: Role) -> Result<Vec<User>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM users WHERE role = $1 AND disabled_at IS NULL AND deleted_at IS NULL ORDER BY name, id"
    );
    let rows: Vec<UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(role.as_str())
        .fetch_all(ex)
        .await?;
    rows.into_iter().map(|r| r.into_credentials().map(|c| c.user)).collect()
}

pub async fn set_disabled<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: UserId,
    disabled: bool,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE users SET disabled_at = $1, updated_at = $2 WHERE id = $3")
        .bind(disabled.then_some(now))
        .bind(now)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// Changes what a person may change about themselves: their name and language.
pub async fn update_profile<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: UserId,
    name: Option<&str>,
    locale: Option<Locale>,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE users SET name = COALESCE($1, name), locale = COALESCE($2, locale), updated_at = $3 WHERE id = $4",
    )
    .bind(name)
    .bind(locale.map(Locale::as_str))
    .bind(now)
    .bind(id.to_db())
    .execute(ex)
    .await?;
    Ok(())
}

/// Moves an account to another address at once (the quote site vouches for it). A taken
/// address surfaces as a unique violation.
pub async fn set_email<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: UserId,
    email: &Email,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE users SET email = $1, updated_at = $2 WHERE id = $3")
        .bind(email.as_str())
        .bind(now)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// Whether the studio lets this client make links for their own guests.
pub async fn may_share<'e>(ex: impl Executor<'e, Database = Any>, id: UserId) -> Result<bool, DbError> {
    let row: Option<(i64,)> = sqlx::query_as("SELECT may_share FROM users WHERE id = $1")
        .bind(id.to_db())
        .fetch_optional(ex)
        .await?;
    Ok(row.is_some_and(|(m,)| m != 0))
}

pub async fn set_may_share<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: UserId,
    may: bool,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE users SET may_share = $1, updated_at = $2 WHERE id = $3")
        .bind(i64::from(may))
        .bind(now)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}
