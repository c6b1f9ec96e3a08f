//! Download receipts: who fetched what, when, how much, and whether it finished.

use sqlx::{Any, Executor, FromRow};

use super::DbError;
use crate::domain::{FileId, Timestamp, TransferId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    File,
    Archive,
    /// Sent to a presigned bucket URL; the bytes are not seen by Relais.
    Redirect,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::File => "file",
            Kind::Archive => "archive",
            Kind::Redirect => "redirect",
        }
    }
}

/// Who downloads: an account, or a guest through a link (then `user` is none).
#[derive(Debug, Clone, Default)]
pub struct Downloader {
    pub user: Option<UserId>,
    pub link: Option<String>,
}

impl Downloader {
    pub fn user(user: UserId) -> Self {
        Self {
            user: Some(user),
            link: None,
        }
    }

    pub fn link(link: &str) -> Self {
        Self {
            user: None,
            link: Some(link.to_owned()),
        }
    }
}

pub struct NewDownload {
    pub file: Option<FileId>,
    pub transfer: Option<TransferId>,
    pub who: Downloader,
    pub kind: Kind,
    pub range_start: Option<u64>,
    /// Played in the page (audio, video) rather than saved.
    pub played: bool,
}

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct Receipt {
    pub id: String,
    pub user_id: Option<String>,
    /// The guest's link it went through, if any.
    pub link_id: Option<String>,
    pub kind: String,
    pub range_start: Option<i64>,
    pub bytes_sent: i64,
    pub complete: i64,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    /// Set on a file's row when it came inside that ZIP (the archive's receipt).
    pub archive_id: Option<String>,
    pub played: i64,
}

const RECEIPT_COLUMNS: &str =
    "id, user_id, link_id, kind, range_start, bytes_sent, complete, started_at, finished_at, archive_id, played";

pub async fn insert<'e>(
    ex: impl Executor<'e, Database = Any>,
    new: NewDownload,
    now: Timestamp,
) -> Result<String, DbError> {
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO downloads (id, file_id, transfer_id, user_id, link_id, kind, range_start, played, started_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(new.file.map(|f| f.to_db()))
    .bind(new.transfer.map(|t| t.to_db()))
    .bind(new.who.user.map(|u| u.to_db()))
    .bind(new.who.link.as_deref())
    .bind(new.kind.as_str())
    .bind(new.range_start.map(|s| s as i64))
    .bind(i64::from(new.played))
    .bind(now)
    .execute(ex)
    .await?;
    Ok(id)
}

/// A file a ZIP carried, as far as the client got with it.
pub struct Carried {
    pub file: FileId,
    pub bytes: u64,
    pub complete: bool,
}

/// Rows per statement: ten values each, well under SQLite's 32 766 parameters.
const CARRIED_PER_STATEMENT: usize = 500;

/// One receipt per file of an archive, each pointing at the archive's own receipt; a few
/// multi-row statements, so a 10 000-file ZIP holds the write lock for moments.
pub async fn insert_carried(
    tx: &mut super::Tx,
    archive_id: &str,
    transfer: TransferId,
    who: &Downloader,
    started_at: Timestamp,
    files: &[Carried],
    now: Timestamp,
) -> Result<(), DbError> {
    for chunk in files.chunks(CARRIED_PER_STATEMENT) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| {
                let n = i * 11;
                let p: Vec<String> = (1..=11).map(|k| format!("${}", n + k)).collect();
                format!(
                    "({}, {}, {}, {}, {}, 'file', {}, {}, {}, {}, {}, {})",
                    p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9], p[10]
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO downloads (id, file_id, transfer_id, user_id, link_id, kind, bytes_sent, complete, \
             started_at, finished_at, archive_id, played) VALUES {}",
            rows.join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for f in chunk {
            query = query
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(f.file.to_db())
                .bind(transfer.to_db())
                .bind(who.user.map(|u| u.to_db()))
                .bind(who.link.clone())
                .bind(f.bytes as i64)
                .bind(i64::from(f.complete))
                .bind(started_at)
                .bind(now)
                .bind(archive_id)
                .bind(0_i64);
        }
        query.execute(&mut **tx).await?;
    }
    Ok(())
}

pub async fn finish<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    bytes: u64,
    complete: bool,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE downloads SET bytes_sent = $1, complete = $2, finished_at = $3 WHERE id = $4")
        .bind(bytes as i64)
        .bind(i64::from(complete))
        .bind(now)
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn for_file<'e>(ex: impl Executor<'e, Database = Any>, file: FileId) -> Result<Vec<Receipt>, DbError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {RECEIPT_COLUMNS} FROM downloads WHERE file_id = $1 ORDER BY started_at, id"
    )))
    .bind(file.to_db())
    .fetch_all(ex)
    .await?)
}

pub async fn for_transfer<'e>(
    ex: impl Executor<'e, Database = Any>,
    transfer: TransferId,
) -> Result<Vec<Receipt>, DbError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {RECEIPT_COLUMNS} FROM downloads WHERE transfer_id = $1 AND file_id IS NULL ORDER BY started_at, id"
    )))
    .bind(transfer.to_db())
    .fetch_all(ex)
    .await?)
}

/// Per file of a transfer: downloads from the start (resumed ranges are the same download;
/// a ZIP that carried the file counts as one), how many of them completed, how many times
/// it was played in the page, and when the last download began.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileDownloads {
    pub count: u64,
    pub complete: u64,
    pub played: u64,
    pub last_at: Option<Timestamp>,
}

pub async fn summary_for_transfer<'e>(
    ex: impl Executor<'e, Database = Any>,
    transfer: TransferId,
) -> Result<std::collections::HashMap<String, FileDownloads>, DbError> {
    let rows: Vec<(String, i64, i64, i64, Option<Timestamp>)> = sqlx::query_as(
        "SELECT file_id, \
           CAST(COALESCE(SUM(1 - played), 0) AS BIGINT), \
           CAST(COALESCE(SUM(CASE WHEN played = 0 THEN complete ELSE 0 END), 0) AS BIGINT), \
           CAST(COALESCE(SUM(played), 0) AS BIGINT), \
           MAX(CASE WHEN played = 0 THEN started_at END) \
         FROM downloads \
         WHERE transfer_id = $1 AND file_id IS NOT NULL AND (range_start IS NULL OR range_start = 0) \
         GROUP BY file_id",
    )
    .bind(transfer.to_db())
    .fetch_all(ex)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(file, count, complete, played, last_at)| {
            let summary = FileDownloads {
                count: count.max(0) as u64,
                complete: complete.max(0) as u64,
                played: played.max(0) as u64,
                last_at,
            };
            (file, summary)
        })
        .collect())
}
