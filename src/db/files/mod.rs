//! The `files` table: a file's record, its creation and its life as bytes arrive; sums,
//! the media pipeline's marks and guests' files in the submodules.

mod guests;
mod media;
mod totals;

use sqlx::{Any, Executor, FromRow};

use super::{DbError, parse_id};
use crate::domain::{Category, FileId, FileStatus, Timestamp, TransferId, UserId};

pub use guests::{
    accept_review, mark_announced, quiet_unannounced_links, sent_through, set_hidden_from_guests, unannounced,
};
pub use media::{
    fail_orphan_web_copies, mark_failed_because, mark_processing, mark_ready, mark_ready_because, poster, set_duration,
    set_poster, set_web_progress, set_web_state,
};
pub use totals::{
    bytes_by_category, deferred_inbound_bytes, inbound_bytes, stored_bytes, stored_totals, trashed_bytes,
};

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

pub async fn mark_failed<'e>(ex: impl Executor<'e, Database = Any>, id: FileId, now: Timestamp) -> Result<(), DbError> {
    sqlx::query("UPDATE files SET status = 'failed', updated_at = $1 WHERE id = $2")
        .bind(now)
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
