use sqlx::{Any, Executor, FromRow};

use super::{DbError, parse_id};
use crate::domain::{Direction, FileId, Timestamp, TransferId, UserId};

#[derive(Debug, Clone, serde::Serialize)]
pub struct Transfer {
    pub id: TransferId,
    /// `None` only for the portfolio's transfer, which belongs to no client.
    pub client: Option<UserId>,
    pub direction: Direction,
    pub title: String,
    pub is_default: bool,
    /// Deliveries: when the client was given access; `None` while it is being prepared.
    pub published_at: Option<Timestamp>,
    /// Deliveries: after this the client no longer sees it.
    pub expires_at: Option<Timestamp>,
    /// The photo that stands for the delivery in the client's list; `None`: its first.
    pub cover: Option<FileId>,
    /// Deliveries: which sizes the client and guests may download.
    pub download_sizes: DownloadSizes,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The sizes a delivery offers: its originals, the web-size copies of its photos, or both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DownloadSizes {
    pub original: bool,
    pub web: bool,
}

impl DownloadSizes {
    pub const BOTH: Self = Self {
        original: true,
        web: true,
    };

    /// `original,web`, `original` or `web`; anything else is both (the default).
    pub fn parse(stored: &str) -> Self {
        let has = |s: &str| stored.split(',').any(|p| p == s);
        match (has("original"), has("web")) {
            (false, false) => Self::BOTH,
            (original, web) => Self { original, web },
        }
    }

    pub fn as_list(self) -> Vec<&'static str> {
        let mut list = Vec::new();
        if self.original {
            list.push("original");
        }
        if self.web {
            list.push("web");
        }
        list
    }
}

impl serde::Serialize for DownloadSizes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.as_list().serialize(s)
    }
}

impl Transfer {
    /// A delivery the client may see now.
    pub fn is_visible_to_client(&self, now: Timestamp) -> bool {
        match self.direction {
            Direction::Inbound => true,
            Direction::Delivery => self.published_at.is_some() && self.expires_at.is_none_or(|e| e > now),
            Direction::Portfolio => false,
        }
    }
}

#[derive(FromRow)]
struct Row {
    id: String,
    client_id: Option<String>,
    direction: String,
    title: String,
    is_default: i64,
    published_at: Option<Timestamp>,
    expires_at: Option<Timestamp>,
    cover_file_id: Option<String>,
    download_sizes: String,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl Row {
    fn into_transfer(self) -> Result<Transfer, DbError> {
        Ok(Transfer {
            id: parse_id(&self.id, TransferId::parse)?,
            client: self
                .client_id
                .as_deref()
                .map(|c| parse_id(c, UserId::parse))
                .transpose()?,
            direction: Direction::parse(&self.direction)
                .ok_or_else(|| DbError::Corrupt(format!("direction {:?}", self.direction)))?,
            title: self.title,
            is_default: self.is_default != 0,
            published_at: self.published_at,
            expires_at: self.expires_at,
            cover: self
                .cover_file_id
                .as_deref()
                .map(|f| parse_id(f, FileId::parse))
                .transpose()?,
            download_sizes: DownloadSizes::parse(&self.download_sizes),
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

const COLUMNS: &str = "id, client_id, direction, title, is_default, published_at, expires_at, cover_file_id, download_sizes, created_at, \
     updated_at";

pub struct NewTransfer<'a> {
    /// `None` for the portfolio's transfer only.
    pub client: Option<UserId>,
    pub direction: Direction,
    pub title: &'a str,
    pub is_default: bool,
    pub created_by: UserId,
}

pub async fn insert<'e>(
    ex: impl Executor<'e, Database = Any>,
    new: NewTransfer<'_>,
    now: Timestamp,
) -> Result<Transfer, DbError> {
    let id = TransferId::new();
    sqlx::query(
        "INSERT INTO transfers (id, client_id, direction, title, is_default, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(id.to_db())
    .bind(new.client.map(|c| c.to_db()))
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
        published_at: None,
        expires_at: None,
        cover: None,
        download_sizes: DownloadSizes::BOTH,
        created_at: now,
        updated_at: now,
    })
}

pub async fn find<'e>(ex: impl Executor<'e, Database = Any>, id: TransferId) -> Result<Option<Transfer>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM transfers WHERE id = $1 AND deleted_at IS NULL");
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.to_db())
        .fetch_optional(ex)
        .await?;
    row.map(Row::into_transfer).transpose()
}

/// The client's default inbound transfer, created on first use. A unique partial index
/// guarantees one per client even when two uploads race to create it.
pub async fn default_inbound(db: &super::Db, client: UserId, title: &str, now: Timestamp) -> Result<Transfer, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM transfers WHERE client_id = $1 AND is_default = 1");
    let find = || sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql.clone())).bind(client.to_db());
    if let Some(row) = find().fetch_optional(db.pool()).await? {
        return row.into_transfer();
    }
    let new = NewTransfer {
        client: Some(client),
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

/// The transfer that holds the files uploaded for the portfolio, created on first use
/// (one only, by a unique partial index, even when two uploads race).
pub async fn portfolio(db: &super::Db, created_by: UserId, now: Timestamp) -> Result<Transfer, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM transfers WHERE direction = 'portfolio'");
    let find = || sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql.clone()));
    if let Some(row) = find().fetch_optional(db.pool()).await? {
        return row.into_transfer();
    }
    let new = NewTransfer {
        client: None,
        direction: Direction::Portfolio,
        title: "Portfolio",
        is_default: false,
        created_by,
    };
    match insert(db.pool(), new, now).await {
        Ok(t) => Ok(t),
        Err(e) if e.is_unique_violation() => find().fetch_one(db.pool()).await?.into_transfer(),
        Err(e) => Err(e),
    }
}

/// Transfers newest first after the key `after` (`created_at`, id of the last one of the
/// page before), `limit` at most; for one client or everyone.
pub async fn list_page<'e>(
    ex: impl Executor<'e, Database = Any>,
    client: Option<UserId>,
    after: (Timestamp, &str),
    limit: u32,
) -> Result<Vec<Transfer>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM transfers WHERE deleted_at IS NULL AND ($1 IS NULL OR client_id = $1) \
         AND (created_at < $2 OR (created_at = $2 AND id < $3)) ORDER BY created_at DESC, id DESC LIMIT {limit}"
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(client.map(|c| c.to_db()))
        .bind(after.0)
        .bind(after.1.to_owned())
        .fetch_all(ex)
        .await?;
    rows.into_iter().map(Row::into_transfer).collect()
}

/// A client's transfers, or everyone's when `client` is `None`; newest first.
pub async fn list<'e>(ex: impl Executor<'e, Database = Any>, client: Option<UserId>) -> Result<Vec<Transfer>, DbError> {
    let rows: Vec<Row> = match client {
        Some(c) => {
            let sql = format!(
                "SELECT {COLUMNS} FROM transfers WHERE client_id = $1 AND deleted_at IS NULL ORDER BY created_at DESC, id DESC"
            );
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .bind(c.to_db())
                .fetch_all(ex)
                .await?
        }
        None => {
            let sql =
                format!("SELECT {COLUMNS} FROM transfers WHERE deleted_at IS NULL ORDER BY created_at DESC, id DESC");
            sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(ex).await?
        }
    };
    rows.into_iter().map(Row::into_transfer).collect()
}

/// Publishes a delivery with its expiry. Returns true when this is its first publication,
/// the one moment its client is told.
pub async fn publish(
    tx: &mut super::Tx,
    id: TransferId,
    expires_at: Option<Timestamp>,
    announce: bool,
    now: Timestamp,
) -> Result<bool, DbError> {
    sqlx::query(
        "UPDATE transfers SET published_at = COALESCE(published_at, $2), expires_at = $3, \
         reminder_sent_at = NULL, updated_at = $2 WHERE id = $1",
    )
    .bind(id.to_db())
    .bind(now)
    .bind(expires_at)
    .execute(&mut **tx)
    .await?;
    if !announce {
        return Ok(false);
    }
    claim_announcement(tx, id, now).await
}

/// Marks the delivery announced to its client; false when it already was (the email goes
/// once).
pub async fn claim_announcement(tx: &mut super::Tx, id: TransferId, now: Timestamp) -> Result<bool, DbError> {
    let first = sqlx::query("UPDATE transfers SET announced_at = $2 WHERE id = $1 AND announced_at IS NULL")
        .bind(id.to_db())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(first.rows_affected() == 1)
}

/// When the client was told of the delivery, if they were.
pub async fn announced_at<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: TransferId,
) -> Result<Option<Timestamp>, DbError> {
    let row: Option<(Option<Timestamp>,)> = sqlx::query_as("SELECT announced_at FROM transfers WHERE id = $1")
        .bind(id.to_db())
        .fetch_optional(ex)
        .await?;
    Ok(row.and_then(|(at,)| at))
}

pub async fn unpublish<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: TransferId,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE transfers SET published_at = NULL, updated_at = $2 WHERE id = $1")
        .bind(id.to_db())
        .bind(now)
        .execute(ex)
        .await?;
    Ok(())
}

/// Moves an inbound transfer's "studio told up to" mark to `now`. Returns the previous
/// mark (`Some(None)` when never told), or `None` when a concurrent request moved it first.
pub async fn mark_notified(
    tx: &mut super::Tx,
    id: TransferId,
    now: Timestamp,
) -> Result<Option<Option<Timestamp>>, DbError> {
    let Some((previous,)): Option<(Option<Timestamp>,)> =
        sqlx::query_as("SELECT notified_at FROM transfers WHERE id = $1")
            .bind(id.to_db())
            .fetch_optional(&mut **tx)
            .await?
    else {
        return Ok(None);
    };
    // Compare-and-set, so two "done" clicks racing on PostgreSQL send one email.
    let moved = sqlx::query("UPDATE transfers SET notified_at = $2 WHERE id = $1 AND COALESCE(notified_at, -1) = $3")
        .bind(id.to_db())
        .bind(now)
        .bind(previous.map_or(-1, Timestamp::as_millis))
        .execute(&mut **tx)
        .await?;
    Ok((moved.rows_affected() == 1).then_some(previous))
}

/// Published deliveries expiring before `before` whose client has not been reminded.
pub async fn due_reminders<'e>(
    ex: impl Executor<'e, Database = Any>,
    now: Timestamp,
    before: Timestamp,
) -> Result<Vec<Transfer>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM transfers WHERE direction = 'delivery' AND published_at IS NOT NULL \
         AND reminder_sent_at IS NULL AND expires_at IS NOT NULL AND expires_at > $1 AND expires_at <= $2 \
         AND deleted_at IS NULL AND announced_at IS NOT NULL"
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(before)
        .fetch_all(ex)
        .await?;
    rows.into_iter().map(Row::into_transfer).collect()
}

/// Claims the reminder of one delivery; false when another node already sent it.
pub async fn claim_reminder(tx: &mut super::Tx, id: TransferId, now: Timestamp) -> Result<bool, DbError> {
    let done = sqlx::query("UPDATE transfers SET reminder_sent_at = $2 WHERE id = $1 AND reminder_sent_at IS NULL")
        .bind(id.to_db())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The delivery's cover; the caller has checked that the file is one of its own.
pub async fn set_cover<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: TransferId,
    cover: Option<FileId>,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE transfers SET cover_file_id = $1, updated_at = $2 WHERE id = $3")
        .bind(cover.map(|f| f.to_db()))
        .bind(now)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn set_download_sizes<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: TransferId,
    sizes: DownloadSizes,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE transfers SET download_sizes = $1, updated_at = $2 WHERE id = $3")
        .bind(sizes.as_list().join(","))
        .bind(now)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}
