use sqlx::{Any, Executor, FromRow};

use super::{DbError, parse_id};
use crate::domain::{Email, Locale, Role, Timestamp, UserId};

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
struct UserRow {
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

impl UserRow {
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

pub async fn insert_recovery_codes(
    tx: &mut super::Tx,
    id: UserId,
    hashes: &[String],
    now: Timestamp,
) -> Result<(), DbError> {
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

/// A client with what the studio's list shows about them.
#[derive(Debug, Clone)]
pub struct ClientSummary {
    pub user: User,
    /// Bytes of everything stored for this client, both directions.
    pub stored_bytes: u64,
    pub invited_pending: bool,
}

/// How many clients the studio has (the dashboard's figure), counted, not listed.
pub async fn count_clients<'e>(ex: impl Executor<'e, Database = Any>) -> Result<u64, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE role = 'client' AND deleted_at IS NULL")
        .fetch_one(ex)
        .await?;
    Ok(n.max(0) as u64)
}

/// Clients whose name or address contains `search` (all when empty), by name.
pub async fn clients<'e>(ex: impl Executor<'e, Database = Any>, search: &str) -> Result<Vec<ClientSummary>, DbError> {
    Ok(clients_page(ex, search, None, None)
        .await?
        .into_iter()
        .map(|(c, _)| c)
        .collect())
}

/// Like [`clients`], `limit` at most after the key `after` (the sort name and id of the
/// last client of the page before); each with its key, as the database sorts it.
pub async fn clients_page<'e>(
    ex: impl Executor<'e, Database = Any>,
    search: &str,
    after: Option<(&str, &str)>,
    limit: Option<u32>,
) -> Result<Vec<(ClientSummary, [String; 2])>, DbError> {
    #[derive(FromRow)]
    struct Summary {
        #[sqlx(flatten)]
        user: UserRow,
        stored_bytes: i64,
        sort_name: String,
    }
    let pattern = format!("%{}%", search.to_lowercase().replace(['%', '_'], ""));
    let keyset = if after.is_some() {
        " AND (LOWER(name) > $2 OR (LOWER(name) = $2 AND id > $3))"
    } else {
        ""
    };
    let sql = format!(
        "SELECT {COLUMNS}, CAST(COALESCE((SELECT SUM(f.size) FROM files f JOIN transfers t ON t.id = f.transfer_id \
         WHERE t.client_id = users.id AND f.sha256 IS NOT NULL AND f.deleted_at IS NULL), 0) AS BIGINT) \
         AS stored_bytes, LOWER(name) AS sort_name FROM users WHERE role = 'client' AND deleted_at IS NULL \
         AND (LOWER(name) LIKE $1 OR LOWER(email) LIKE $1){keyset} \
         ORDER BY LOWER(name), id{}",
        limit.map(|l| format!(" LIMIT {l}")).unwrap_or_default()
    );
    let mut query = sqlx::query_as::<_, Summary>(sqlx::AssertSqlSafe(sql)).bind(pattern);
    if let Some((name, id)) = after {
        query = query.bind(name.to_owned()).bind(id.to_owned());
    }
    let rows = query.fetch_all(ex).await?;
    rows.into_iter()
        .map(|r| {
            let invited_pending = r.user.password_hash.is_none();
            let user = r.user.into_credentials()?.user;
            let key = [r.sort_name, user.id.to_string()];
            Ok((
                ClientSummary {
                    user,
                    stored_bytes: r.stored_bytes.max(0) as u64,
                    invited_pending,
                },
                key,
            ))
        })
        .collect()
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
    tx: &mut super::Tx,
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
