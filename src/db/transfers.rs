use sqlx::{Any, Executor, FromRow};

use super::{DbError, parse_id};
use crate::domain::{Direction, Millis, TransferId, UserId};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Transfer {
    pub id: TransferId,
    pub client: UserId,
    pub direction: Direction,
    pub title: String,
    pub is_default: bool,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[derive(FromRow)]
struct Row {
    id: String,
    client_id: String,
    direction: String,
    title: String,
    is_default: i64,
    created_at: i64,
    updated_at: i64,
}

impl Row {
    fn into_transfer(self) -> Result<Transfer, DbError> {
        Ok(Transfer {
            id: parse_id(&self.id, TransferId::parse)?,
            client: parse_id(&self.client_id, UserId::parse)?,
            direction: Direction::parse(&self.direction)
                .ok_or_else(|| DbError::Corrupt(format!("direction {:?}", self.direction)))?,
            title: self.title,
            is_default: self.is_default != 0,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

const COLUMNS: &str = "id, client_id, direction, title, is_default, created_at, updated_at";

pub struct NewTransfer<'a> {
    pub client: UserId,
    pub direction: Direction,
    pub title: &'a str,
    pub is_default: bool,
    pub created_by: UserId,
}

pub async fn insert<'e>(
    ex: impl Executor<'e, Database = Any>,
    new: NewTransfer<'_>,
    now: Millis,
) -> Result<Transfer, DbError> {
    let id = TransferId::new();
    sqlx::query(
        "INSERT INTO transfers (id, client_id, direction, title, is_default, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(id.to_db())
    .bind(new.client.to_db())
    .bind(new.direction.as_str())
    .bind(new.title)
    .bind(i64::from(new.is_default))
    .bind(new.created_by.to_db())
    .bind(now)
    .execute(ex)
    .await?;
    Ok(Transfer {
        id,
        client: new.client,
        direction: new.direction,
        title: new.title.to_owned(),
        is_default: new.is_default,
        created_at: now,
        updated_at: now,
    })
}

pub async fn find<'e>(ex: impl Executor<'e, Database = Any>, id: TransferId) -> Result<Option<Transfer>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM transfers WHERE id = $1");
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.to_db())
        .fetch_optional(ex)
        .await?;
    row.map(Row::into_transfer).transpose()
}

/// The client's default inbound transfer, created on first use. A unique partial index
/// guarantees one per client even when two uploads race to create it.
pub async fn default_inbound(db: &super::Db, client: UserId, title: &str, now: Millis) -> Result<Transfer, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM transfers WHERE client_id = $1 AND is_default = 1");
    let find = || sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql.clone())).bind(client.to_db());
    if let Some(row) = find().fetch_optional(db.pool()).await? {
        return row.into_transfer();
    }
    let new = NewTransfer {
        client,
        direction: Direction::Inbound,
        title,
        is_default: true,
        created_by: client,
    };
    match insert(db.pool(), new, now).await {
        Ok(t) => Ok(t),
        Err(e) if e.is_unique_violation() => find().fetch_one(db.pool()).await?.into_transfer(),
        Err(e) => Err(e),
    }
}

/// A client's transfers, or everyone's when `client` is `None`; newest first.
pub async fn list<'e>(ex: impl Executor<'e, Database = Any>, client: Option<UserId>) -> Result<Vec<Transfer>, DbError> {
    let rows: Vec<Row> = match client {
        Some(c) => {
            let sql = format!("SELECT {COLUMNS} FROM transfers WHERE client_id = $1 ORDER BY created_at DESC, id DESC");
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(c.to_db())
                .fetch_all(ex)
                .await?
        }
        None => {
            let sql = format!("SELECT {COLUMNS} FROM transfers ORDER BY created_at DESC, id DESC");
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(ex).await?
        }
    };
    rows.into_iter().map(Row::into_transfer).collect()
}
