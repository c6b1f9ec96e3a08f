use sqlx::{Any, Executor, FromRow};

use super::{DbError, parse_id};
use crate::domain::{Category, FileId, FileStatus, Timestamp, TransferId, UserId};

#[derive(Debug, Clone)]
pub struct FileRecord {
    pub id: FileId,
    pub transfer: TransferId,
    pub name: String,
    pub size: Option<u64>,
    pub media_type: String,
    pub category: Category,
    pub sha256: Option<String>,
    pub status: FileStatus,
    pub uploader: Option<UserId>,
    pub created_at: Timestamp,
    pub stored_at: Option<Timestamp>,
    /// Upright pixel size, once the media pipeline read the picture.
    pub dimensions: Option<(u32, u32)>,
    /// Why the media pipeline failed on it.
    pub failure: Option<String>,
    /// How long it plays (audio, video), when ffprobe could tell.
    pub duration_ms: Option<i64>,
    /// Never shown through a guest's link, not even in its ZIP.
    pub hidden_from_guests: bool,
    /// Sent by a guest through an upload link: the link and the name they gave.
    pub link: Option<String>,
    pub guest_name: Option<String>,
    /// A guest's file the studio has not accepted yet ("à valider").
    pub pending_review: bool,
    /// A video's web copy: where it stands, how far (per mille), why it failed.
    pub web_state: Option<WebState>,
    pub web_progress: Option<i64>,
    pub web_error: Option<String>,
}

/// Where a video's web copy stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WebState {
    Queued,
    Making,
    Ready,
    Failed,
}

impl WebState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Making => "making",
            Self::Ready => "ready",
            Self::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "queued" => Self::Queued,
            "making" => Self::Making,
            "ready" => Self::Ready,
            "failed" => Self::Failed,
            _ => return None,
        })
    }
}

impl FileRecord {
    /// A video (its picture variants are its poster, not a web size of it).
    pub fn is_video(&self) -> bool {
        self.category == Category::Video || self.media_type.starts_with("video/")
    }
    /// Every byte is stored and its SHA-256 recorded: the file can be downloaded, whatever
    /// the media pipeline later made of it (a photo it could not read is still a file).
    pub fn has_bytes(&self) -> bool {
        self.sha256.is_some() && self.size.is_some()
    }
}

#[derive(FromRow)]
pub(super) struct Row {
    id: String,
    transfer_id: String,
    name: String,
    size: Option<i64>,
    media_type: String,
    category: String,
    sha256: Option<String>,
    status: String,
    uploader_id: Option<String>,
    created_at: Timestamp,
    stored_at: Option<Timestamp>,
    width: Option<i64>,
    height: Option<i64>,
    failure: Option<String>,
    duration_ms: Option<i64>,
    hidden_from_guests: i64,
    link_id: Option<String>,
    guest_name: Option<String>,
    pending_review: i64,
    web_state: Option<String>,
    web_progress: Option<i64>,
    web_error: Option<String>,
}

pub(super) const COLUMNS: &str = "id, transfer_id, name, size, media_type, category, sha256, status, uploader_id, created_at, \
                       stored_at, width, height, failure, duration_ms, hidden_from_guests, link_id, guest_name, \
                       pending_review, \
                       web_state, web_progress, web_error";

impl Row {
    pub(super) fn into_record(self) -> Result<FileRecord, DbError> {
        Ok(FileRecord {
            id: parse_id(&self.id, FileId::parse)?,
            transfer: parse_id(&self.transfer_id, TransferId::parse)?,
            name: self.name,
            size: self.size.map(|s| s as u64),
            media_type: self.media_type,
            category: Category::parse(&self.category)
                .ok_or_else(|| DbError::Corrupt(format!("category {:?}", self.category)))?,
            sha256: self.sha256,
            status: FileStatus::parse(&self.status)
                .ok_or_else(|| DbError::Corrupt(format!("status {:?}", self.status)))?,
            uploader: self.uploader_id.as_deref().and_then(UserId::parse),
            created_at: self.created_at,
            stored_at: self.stored_at,
            dimensions: self
                .width
                .zip(self.height)
                .map(|(w, h)| (w.max(0) as u32, h.max(0) as u32)),
            failure: self.failure,
            duration_ms: self.duration_ms,
            hidden_from_guests: self.hidden_from_guests != 0,
            link: self.link_id,
            guest_name: self.guest_name,
            pending_review: self.pending_review != 0,
            web_state: self.web_state.as_deref().and_then(WebState::parse),
            web_progress: self.web_progress,
            web_error: self.web_error,
        })
    }
}

pub struct NewFile<'a> {
    pub id: FileId,
    pub transfer: TransferId,
    pub name: &'a str,
    pub size: Option<u64>,
    pub media_type: &'a str,
    pub category: Category,
    /// The account that sent it; `None` for a guest's file (see `guest`).
    pub uploader: Option<UserId>,
    pub guest: Option<GuestFile<'a>>,
}

/// A file a guest sends through an upload link: it waits for the studio's review.
pub struct GuestFile<'a> {
    pub link: &'a str,
    pub session: Option<&'a str>,
    pub name: &'a str,
    pub email: Option<&'a str>,
}

pub async fn insert<'e>(
    ex: impl Executor<'e, Database = Any>,
    new: NewFile<'_>,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO files (id, transfer_id, name, size, media_type, category, status, uploader_id, created_at, updated_at, \
         link_id, link_session, guest_name, guest_email, pending_review) \
         VALUES ($1, $2, $3, $4, $5, $6, 'uploading', $7, $8, $8, $9, $10, $11, $12, $13)",
    )
    .bind(new.id.to_db())
    .bind(new.transfer.to_db())
    .bind(new.name)
    .bind(new.size.map(|s| s as i64))
    .bind(new.media_type)
    .bind(new.category.as_str())
    .bind(new.uploader.map(|u| u.to_db()))
    .bind(now)
    .bind(new.guest.as_ref().map(|g| g.link))
    .bind(new.guest.as_ref().and_then(|g| g.session))
    .bind(new.guest.as_ref().map(|g| g.name))
    .bind(new.guest.as_ref().and_then(|g| g.email))
    .bind(i64::from(new.guest.is_some()))
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn find<'e>(ex: impl Executor<'e, Database = Any>, id: FileId) -> Result<Option<FileRecord>, DbError> {
    // A file in the trash is gone for every reader; `find_in_trash` is for the trash.
    let sql = format!("SELECT {COLUMNS} FROM files WHERE id = $1 AND deleted_at IS NULL");
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.to_db())
        .fetch_optional(ex)
        .await?;
    row.map(Row::into_record).transpose()
}

/// Files matching a condition on one bound text value. The condition comes from this
/// crate's own constants (never from input).
pub(super) async fn list_where<'e>(
    ex: impl Executor<'e, Database = Any>,
    condition: &str,
    value: &str,
) -> Result<Vec<FileRecord>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM files WHERE ({condition}) AND deleted_at IS NULL");
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .fetch_all(ex)
        .await?;
    rows.into_iter().map(Row::into_record).collect()
}

pub async fn list_for_transfer<'e>(
    ex: impl Executor<'e, Database = Any>,
    transfer: TransferId,
) -> Result<Vec<FileRecord>, DbError> {
    // The studio's order; files it has not placed yet (added since) follow as they came.
    let sql = format!(
        "SELECT {COLUMNS} FROM files WHERE transfer_id = $1 AND deleted_at IS NULL \
         ORDER BY CASE WHEN position IS NULL THEN 1 ELSE 0 END, position, created_at, id"
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(transfer.to_db())
        .fetch_all(ex)
        .await?;
    rows.into_iter().map(Row::into_record).collect()
}

pub async fn set_size<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: FileId,
    size: u64,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE files SET size = $1, updated_at = $2 WHERE id = $3")
        .bind(size as i64)
        .bind(now)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn mark_stored<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: FileId,
    size: u64,
    sha256: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE files SET status = 'stored', size = $1, sha256 = $2, stored_at = $3, updated_at = $3 WHERE id = $4",
    )
    .bind(size as i64)
    .bind(sha256)
    .bind(now)
    .bind(id.to_db())
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn delete<'e>(ex: impl Executor<'e, Database = Any>, id: FileId) -> Result<(), DbError> {
    sqlx::query("DELETE FROM files WHERE id = $1")
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// Bytes a client has sent or announced: their inbound files, stored or still uploading
/// (an upload in progress counts with its announced length, so parallel uploads cannot
/// overrun a quota together).
pub async fn inbound_bytes<'e>(ex: impl Executor<'e, Database = Any>, client: UserId) -> Result<u64, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(f.size), 0) AS BIGINT) FROM files f JOIN transfers t ON t.id = f.transfer_id \
         WHERE t.client_id = $1 AND t.direction = 'inbound' AND (f.status <> 'failed' OR f.sha256 IS NOT NULL) \
         AND f.deleted_at IS NULL",
    )
    .bind(client.to_db())
    .fetch_one(ex)
    .await?;
    Ok(n.max(0) as u64)
}

/// Bytes already received by a client's inbound uploads whose length is still deferred
/// (their files have no size yet, so `inbound_bytes` does not count them).
pub async fn deferred_inbound_bytes<'e>(ex: impl Executor<'e, Database = Any>, client: UserId) -> Result<u64, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(u.upload_offset), 0) AS BIGINT) FROM uploads u \
         JOIN files f ON f.id = u.file_id JOIN transfers t ON t.id = f.transfer_id \
         WHERE t.client_id = $1 AND t.direction = 'inbound' AND u.length IS NULL AND u.completed_at IS NULL \
         AND f.deleted_at IS NULL",
    )
    .bind(client.to_db())
    .fetch_one(ex)
    .await?;
    Ok(n.max(0) as u64)
}

pub async fn mark_failed<'e>(ex: impl Executor<'e, Database = Any>, id: FileId, now: Timestamp) -> Result<(), DbError> {
    sqlx::query("UPDATE files SET status = 'failed', updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// Bytes of every stored file, in one sum (what the dashboard shows).
pub async fn stored_bytes<'e>(ex: impl Executor<'e, Database = Any>) -> Result<u64, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files WHERE sha256 IS NOT NULL AND deleted_at IS NULL",
    )
    .fetch_one(ex)
    .await?;
    Ok(n.max(0) as u64)
}

/// Per transfer: how many files are stored (or further along) and their bytes. For one
/// client's transfers, or everyone's.
pub async fn stored_totals<'e>(
    ex: impl Executor<'e, Database = Any>,
    client: Option<UserId>,
) -> Result<std::collections::HashMap<TransferId, (u64, u64)>, DbError> {
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT f.transfer_id, COUNT(*), CAST(COALESCE(SUM(f.size), 0) AS BIGINT) FROM files f \
         JOIN transfers t ON t.id = f.transfer_id \
         WHERE f.sha256 IS NOT NULL AND f.deleted_at IS NULL AND ($1 IS NULL OR t.client_id = $1) \
         GROUP BY f.transfer_id",
    )
    .bind(client.map(|c| c.to_db()))
    .fetch_all(ex)
    .await?;
    rows.into_iter()
        .map(|(id, n, bytes)| {
            Ok((
                parse_id(&id, TransferId::parse)?,
                (n.max(0) as u64, bytes.max(0) as u64),
            ))
        })
        .collect()
}

/// The pipeline took the file: `processing`.
pub async fn mark_processing<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: FileId,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE files SET status = 'processing', failure = NULL, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// The pipeline is done with the file: `ready`, with the picture's size when it has one.
pub async fn mark_ready<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: FileId,
    dimensions: Option<(u32, u32)>,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE files SET status = 'ready', failure = NULL, width = $1, height = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(dimensions.map(|d| i64::from(d.0)))
    .bind(dimensions.map(|d| i64::from(d.1)))
    .bind(now)
    .bind(id.to_db())
    .execute(ex)
    .await?;
    Ok(())
}

/// The pipeline could not read the file: `failed`, and why (the original stays).
pub async fn mark_failed_because<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: FileId,
    reason: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE files SET status = 'failed', failure = $1, updated_at = $2 WHERE id = $3")
        .bind(reason)
        .bind(now)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// Records where the file's poster comes from (`auto` or `custom`).
pub async fn set_poster<'e>(ex: impl Executor<'e, Database = Any>, id: FileId, source: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE files SET poster = $1 WHERE id = $2")
        .bind(source)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn poster<'e>(ex: impl Executor<'e, Database = Any>, id: FileId) -> Result<Option<String>, DbError> {
    let row: Option<(Option<String>,)> = sqlx::query_as("SELECT poster FROM files WHERE id = $1")
        .bind(id.to_db())
        .fetch_optional(ex)
        .await?;
    Ok(row.and_then(|r| r.0))
}

pub async fn set_duration<'e>(ex: impl Executor<'e, Database = Any>, id: FileId, ms: i64) -> Result<(), DbError> {
    sqlx::query("UPDATE files SET duration_ms = $1 WHERE id = $2")
        .bind(ms)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// Places the files of a transfer in this order (the caller has checked that `order`
/// holds each of them exactly once). Rows are updated in id order, whatever the new
/// order: two saves at once lock them in the same sequence and cannot deadlock.
pub async fn set_positions(tx: &mut super::Tx, transfer: TransferId, order: &[FileId]) -> Result<(), DbError> {
    let mut placed: Vec<(FileId, usize)> = order.iter().copied().zip(0..).collect();
    placed.sort_by_key(|(file, _)| file.to_db());
    for (file, position) in placed {
        sqlx::query("UPDATE files SET position = $1 WHERE id = $2 AND transfer_id = $3")
            .bind(position as i64)
            .bind(file.to_db())
            .bind(transfer.to_db())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Stored bytes per category, across every live file (the studio's storage overview).
pub async fn bytes_by_category<'e>(ex: impl Executor<'e, Database = Any>) -> Result<Vec<(String, u64)>, DbError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT category, CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files \
         WHERE sha256 IS NOT NULL AND deleted_at IS NULL GROUP BY category ORDER BY category",
    )
    .fetch_all(ex)
    .await?;
    Ok(rows.into_iter().map(|(c, b)| (c, b.max(0) as u64)).collect())
}

/// Stored bytes waiting in the trash.
pub async fn trashed_bytes<'e>(ex: impl Executor<'e, Database = Any>) -> Result<u64, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files WHERE sha256 IS NOT NULL AND deleted_at IS NOT NULL",
    )
    .fetch_one(ex)
    .await?;
    Ok(n.max(0) as u64)
}

/// Shows a file to guests' links or hides it from them.
pub async fn set_hidden_from_guests<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: FileId,
    hidden: bool,
) -> Result<bool, DbError> {
    let done = sqlx::query("UPDATE files SET hidden_from_guests = $1 WHERE id = $2 AND deleted_at IS NULL")
        .bind(i64::from(hidden))
        .bind(id.to_string())
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The studio accepts a guest's file: it leaves "à valider". False when it was not waiting.
pub async fn accept_review<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: FileId,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE files SET pending_review = 0, updated_at = $1 WHERE id = $2 AND pending_review = 1 AND deleted_at IS NULL",
    )
    .bind(now)
    .bind(id.to_db())
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Files a guest sent through `link` from the session `session` (its token's hash), not
/// deleted, oldest first: what their browser may list.
pub async fn sent_through<'e>(
    ex: impl Executor<'e, Database = Any>,
    link: &str,
    session: &str,
) -> Result<Vec<FileRecord>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM files WHERE link_id = $1 AND link_session = $2 AND deleted_at IS NULL \
         ORDER BY created_at, id"
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(link)
        .bind(session)
        .fetch_all(ex)
        .await?;
    rows.into_iter().map(Row::into_record).collect()
}

/// A guest's stored files not yet told in a batch email, for `link` (and `session`, when
/// given), oldest first.
pub async fn unannounced<'e>(
    ex: impl Executor<'e, Database = Any>,
    link: &str,
    session: Option<&str>,
) -> Result<Vec<FileRecord>, DbError> {
    let of_session = if session.is_some() { "AND link_session = $2" } else { "" };
    let sql = format!(
        "SELECT {COLUMNS} FROM files WHERE link_id = $1 {of_session} AND deleted_at IS NULL \
         AND sha256 IS NOT NULL AND batch_notified_at IS NULL ORDER BY stored_at, id"
    );
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(link);
    if let Some(session) = session {
        query = query.bind(session);
    }
    let rows: Vec<Row> = query.fetch_all(ex).await?;
    rows.into_iter().map(Row::into_record).collect()
}

/// Marks files as told in their batch email; returns how many this call marked (a file
/// another request marked first is not counted, so each is told once).
pub async fn mark_announced(tx: &mut super::Tx, ids: &[FileId], now: Timestamp) -> Result<Vec<FileId>, DbError> {
    let mut marked = Vec::new();
    for id in ids {
        let done = sqlx::query("UPDATE files SET batch_notified_at = $1 WHERE id = $2 AND batch_notified_at IS NULL")
            .bind(now)
            .bind(id.to_db())
            .execute(&mut **tx)
            .await?;
        if done.rows_affected() == 1 {
            marked.push(*id);
        }
    }
    Ok(marked)
}

/// Upload links whose guests stored files that no batch email told yet, the newest of
/// them stored before `quiet_since`: their batch is over even if no page said so.
pub async fn quiet_unannounced_links<'e>(
    ex: impl Executor<'e, Database = Any>,
    quiet_since: Timestamp,
) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT link_id FROM files WHERE link_id IS NOT NULL AND deleted_at IS NULL AND sha256 IS NOT NULL \
         AND batch_notified_at IS NULL GROUP BY link_id HAVING MAX(stored_at) < $1",
    )
    .bind(quiet_since)
    .fetch_all(ex)
    .await?;
    Ok(rows.into_iter().map(|(l,)| l).collect())
}

pub async fn rename<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: FileId,
    name: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE files SET name = $1, updated_at = $2 WHERE id = $3 AND deleted_at IS NULL")
        .bind(name)
        .bind(now)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// Records where a video's web copy stands (and why it failed, when it did).
pub async fn set_web_state<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: FileId,
    state: Option<WebState>,
    error: Option<&str>,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE files SET web_state = $1, web_error = $2, updated_at = $3 WHERE id = $4")
        .bind(state.map(WebState::as_str))
        .bind(error)
        .bind(now)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn set_web_progress<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: FileId,
    per_mille: i64,
) -> Result<(), DbError> {
    sqlx::query("UPDATE files SET web_progress = $1 WHERE id = $2")
        .bind(per_mille)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// Ready as it is, with why it has no variants (a RAW without a usable preview, an HEIC
/// without the tool that reads it): shown to the studio like a failure's reason.
pub async fn mark_ready_because<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: FileId,
    reason: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE files SET status = 'ready', failure = $1, updated_at = $2 WHERE id = $3")
        .bind(reason)
        .bind(now)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// Holds a file's row until the transaction ends (PostgreSQL; SQLite's write transactions
/// come one at a time); false when the file is deleted or in the trash.
pub async fn lock_live(tx: &mut super::Tx, backend: super::Backend, id: FileId) -> Result<bool, DbError> {
    let lock = if backend == super::Backend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let row: Option<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM files WHERE id = $1 AND deleted_at IS NULL{lock}"
    )))
    .bind(id.to_db())
    .fetch_optional(&mut **tx)
    .await?;
    Ok(row.is_some())
}

/// Web copies left `queued` or `making` with no job to finish them (a job that gave up
/// after crashes, a last attempt that failed on storage): marked failed, so that no page
/// promises a copy that will never come. Returns how many.
pub async fn fail_orphan_web_copies<'e>(ex: impl Executor<'e, Database = Any>, now: Timestamp) -> Result<u64, DbError> {
    let done = sqlx::query(
        "UPDATE files SET web_state = 'failed', web_error = $1, updated_at = $2 \
         WHERE web_state IN ('queued', 'making') AND NOT EXISTS ( \
           SELECT 1 FROM jobs j WHERE j.kind = 'web_copy' AND j.status IN ('queued', 'running') \
           AND j.payload LIKE '%' || files.id || '%')",
    )
    .bind("interrupted before it was made; make it again")
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected())
}
