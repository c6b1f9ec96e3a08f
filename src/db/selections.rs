//! SQL of favourites and selections (`selection_lists`, `favourites`,
//! `selection_limits`); the rules live in `crate::selections`.

use sqlx::{Any, Executor, FromRow};

use super::{Backend, DbError, Tx};
use crate::domain::{FileId, Timestamp, TransferId};

#[derive(Debug, Clone, FromRow)]
pub struct ListRow {
    pub id: String,
    pub transfer_id: String,
    pub name: String,
    pub user_id: Option<String>,
    pub link_id: Option<String>,
    pub owner_key: String,
    pub submitted_at: Option<Timestamp>,
    pub created_at: Timestamp,
}

const COLUMNS: &str = "id, transfer_id, name, user_id, link_id, owner_key, submitted_at, created_at";

/// Whose list: an account or a guest's link.
#[derive(Debug, Clone)]
pub enum Owner {
    User(String),
    Link(String),
}

impl Owner {
    pub fn key(&self) -> String {
        match self {
            Owner::User(id) => format!("user:{id}"),
            Owner::Link(id) => format!("link:{id}"),
        }
    }
}

pub async fn find_list<'e>(
    ex: impl Executor<'e, Database = Any>,
    transfer: TransferId,
    owner_key: &str,
    name: &str,
) -> Result<Option<ListRow>, DbError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM selection_lists WHERE transfer_id = $1 AND owner_key = $2 AND name = $3"
    )))
    .bind(transfer.to_db())
    .bind(owner_key)
    .bind(name)
    .fetch_optional(ex)
    .await?)
}

pub async fn find_by_id<'e>(ex: impl Executor<'e, Database = Any>, id: &str) -> Result<Option<ListRow>, DbError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM selection_lists WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await?)
}

/// The owner's list `name` on `transfer`, made when missing; its row held until the
/// transaction ends (PostgreSQL; SQLite's write transactions come one at a time), so
/// that marks made at once are counted in turn against the limit.
pub async fn list_for_update(
    tx: &mut Tx,
    backend: Backend,
    transfer: TransferId,
    owner: &Owner,
    name: &str,
    now: Timestamp,
) -> Result<ListRow, DbError> {
    let key = owner.key();
    let (user, link) = match owner {
        Owner::User(id) => (Some(id.as_str()), None),
        Owner::Link(id) => (None, Some(id.as_str())),
    };
    sqlx::query(
        "INSERT INTO selection_lists (id, transfer_id, name, user_id, link_id, owner_key, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (transfer_id, owner_key, name) DO NOTHING",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(transfer.to_db())
    .bind(name)
    .bind(user)
    .bind(link)
    .bind(&key)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let lock = if backend == Backend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let row: ListRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM selection_lists WHERE transfer_id = $1 AND owner_key = $2 AND name = $3{lock}"
    )))
    .bind(transfer.to_db())
    .bind(&key)
    .bind(name)
    .fetch_one(&mut **tx)
    .await?;
    Ok(row)
}

/// Files in a list that are still there (not deleted).
pub async fn count<'e>(ex: impl Executor<'e, Database = Any>, list: &str) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM favourites v JOIN files f ON f.id = v.file_id AND f.deleted_at IS NULL WHERE v.list_id = $1",
    )
    .bind(list)
    .fetch_one(ex)
    .await?;
    Ok(n)
}

/// Adds a file to a list; false when it was already in it.
pub async fn add<'e>(
    ex: impl Executor<'e, Database = Any>,
    list: &str,
    file: FileId,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "INSERT INTO favourites (list_id, file_id, created_at) VALUES ($1, $2, $3) ON CONFLICT (list_id, file_id) DO NOTHING",
    )
    .bind(list)
    .bind(file.to_db())
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn contains<'e>(ex: impl Executor<'e, Database = Any>, list: &str, file: FileId) -> Result<bool, DbError> {
    let row: Option<(String,)> = sqlx::query_as("SELECT list_id FROM favourites WHERE list_id = $1 AND file_id = $2")
        .bind(list)
        .bind(file.to_db())
        .fetch_optional(ex)
        .await?;
    Ok(row.is_some())
}

pub async fn remove<'e>(ex: impl Executor<'e, Database = Any>, list: &str, file: FileId) -> Result<bool, DbError> {
    let done = sqlx::query("DELETE FROM favourites WHERE list_id = $1 AND file_id = $2")
        .bind(list)
        .bind(file.to_db())
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The studio's limit for lists called `name` on `transfer`.
pub async fn limit<'e>(
    ex: impl Executor<'e, Database = Any>,
    transfer: TransferId,
    name: &str,
) -> Result<Option<i64>, DbError> {
    let row: Option<(i64,)> =
        sqlx::query_as("SELECT max_items FROM selection_limits WHERE transfer_id = $1 AND name = $2")
            .bind(transfer.to_db())
            .bind(name)
            .fetch_optional(ex)
            .await?;
    Ok(row.map(|(n,)| n))
}

pub async fn limits<'e>(
    ex: impl Executor<'e, Database = Any>,
    transfer: TransferId,
) -> Result<Vec<(String, i64)>, DbError> {
    Ok(
        sqlx::query_as("SELECT name, max_items FROM selection_limits WHERE transfer_id = $1 ORDER BY name")
            .bind(transfer.to_db())
            .fetch_all(ex)
            .await?,
    )
}

/// Replaces a delivery's limits with `limits`.
pub async fn set_limits(tx: &mut Tx, transfer: TransferId, limits: &[(String, i64)]) -> Result<(), DbError> {
    sqlx::query("DELETE FROM selection_limits WHERE transfer_id = $1")
        .bind(transfer.to_db())
        .execute(&mut **tx)
        .await?;
    for (name, max) in limits {
        sqlx::query("INSERT INTO selection_limits (transfer_id, name, max_items) VALUES ($1, $2, $3)")
            .bind(transfer.to_db())
            .bind(name)
            .bind(max)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The lists of a delivery (one owner's, when `owner_key` is given), oldest first.
pub async fn lists<'e>(
    ex: impl Executor<'e, Database = Any>,
    transfer: TransferId,
    owner_key: Option<&str>,
) -> Result<Vec<ListRow>, DbError> {
    let of_owner = if owner_key.is_some() { " AND owner_key = $2" } else { "" };
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM selection_lists WHERE transfer_id = $1{of_owner} ORDER BY created_at, id"
    )))
    .bind(transfer.to_db());
    if let Some(key) = owner_key {
        query = query.bind(key);
    }
    Ok(query.fetch_all(ex).await?)
}

/// (list id, file id) of every favourite in a delivery's lists whose file is still
/// there, in the order they were marked.
pub async fn items<'e>(
    ex: impl Executor<'e, Database = Any>,
    transfer: TransferId,
) -> Result<Vec<(String, String)>, DbError> {
    Ok(sqlx::query_as(
        "SELECT v.list_id, v.file_id FROM favourites v JOIN selection_lists l ON l.id = v.list_id \
         JOIN files f ON f.id = v.file_id AND f.deleted_at IS NULL WHERE l.transfer_id = $1 \
         ORDER BY v.created_at, v.file_id",
    )
    .bind(transfer.to_db())
    .fetch_all(ex)
    .await?)
}

/// Locks (`Some(now)`) or reopens (`None`) a list; false when it was already so.
pub async fn set_submitted<'e>(
    ex: impl Executor<'e, Database = Any>,
    list: &str,
    at: Option<Timestamp>,
) -> Result<bool, DbError> {
    let condition = if at.is_some() {
        "submitted_at IS NULL"
    } else {
        "submitted_at IS NOT NULL"
    };
    let done = sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE selection_lists SET submitted_at = $1 WHERE id = $2 AND {condition}"
    )))
    .bind(at)
    .bind(list)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}
