//! A transfer's files a page at a time, in the studio's order, as each kind of reader sees
//! them; and their totals, counted by the database rather than by loading every file.
//! A delivery of 10 000 photos opens on a phone with its first page, not 4 MB of cards.

use sqlx::{Any, Executor, FromRow};

use super::DbError;
use super::files::{COLUMNS, FileRecord, Row};
use crate::domain::{Timestamp, TransferId};

/// The most files one page may hold.
pub const MAX_PAGE: u32 = 1000;

/// Who reads the list, which decides the files it holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Every file, uploads under way and failures included.
    Studio,
    /// The client: not files a guest sent that the studio has not accepted yet.
    Client,
    /// A guest with a link: stored files the studio did not hide from guests (nor, like
    /// the client, files not accepted yet).
    Guest,
}

impl Audience {
    /// The condition added to the query: constants of this module, never input.
    fn condition(self) -> &'static str {
        match self {
            Audience::Studio => "",
            Audience::Client => " AND pending_review = 0",
            Audience::Guest => {
                " AND sha256 IS NOT NULL AND size IS NOT NULL AND hidden_from_guests = 0 AND pending_review = 0"
            }
        }
    }
}

/// Where a page ends: the order's key of its last file. Given back as an opaque text
/// (`FileCursor::parse` accepts only what `Display` writes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCursor {
    /// The studio's position, or `None` for files it has not placed (they come after).
    position: Option<i64>,
    created_at: Timestamp,
    id: String,
}

impl FileCursor {
    /// The place just after `file`, at `position` in the studio's order.
    pub fn after_placed(position: i64, file: &FileRecord) -> Self {
        Self {
            position: Some(position),
            created_at: file.created_at,
            id: file.id.to_db(),
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.');
        let (placed, position, created, id) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let position: i64 = position.parse().ok()?;
        let position = match placed {
            "p" => Some(position),
            "n" if position == 0 => None,
            _ => return None,
        };
        let id = crate::domain::FileId::parse(id)?.to_db();
        Some(Self {
            position,
            created_at: Timestamp::from_millis(created.parse().ok()?),
            id,
        })
    }
}

impl std::fmt::Display for FileCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.position {
            Some(p) => write!(f, "p.{p}.{}.{}", self.created_at.as_millis(), self.id),
            None => write!(f, "n.0.{}.{}", self.created_at.as_millis(), self.id),
        }
    }
}

/// One page: its files, and where the next begins (`None`: this was the last).
#[derive(Debug)]
pub struct Page {
    pub files: Vec<FileRecord>,
    pub next: Option<FileCursor>,
}

#[derive(FromRow)]
struct PagedRow {
    #[sqlx(flatten)]
    file: Row,
    position: Option<i64>,
}

/// Up to `limit` files of `transfer` after `after`, in the order every list shows: the
/// studio's positions first, then files it has not placed, as they came.
pub async fn page<'e>(
    ex: impl Executor<'e, Database = Any>,
    transfer: TransferId,
    audience: Audience,
    after: Option<&FileCursor>,
    limit: u32,
) -> Result<Page, DbError> {
    let limit = limit.clamp(1, MAX_PAGE);
    // The key is (placed first, position, created_at, id); after a placed file come the
    // placed ones further on and every unplaced one, after an unplaced file only unplaced
    // ones further on.
    let keyset = match after {
        None => "",
        Some(FileCursor { position: Some(_), .. }) => {
            " AND (position IS NULL OR position > $2 OR (position = $2 AND (created_at > $3 \
             OR (created_at = $3 AND id > $4))))"
        }
        Some(FileCursor { position: None, .. }) => {
            " AND position IS NULL AND (created_at > $3 OR (created_at = $3 AND id > $4))"
        }
    };
    let sql = format!(
        "SELECT {COLUMNS}, position FROM files WHERE transfer_id = $1 AND deleted_at IS NULL{}{keyset} \
         ORDER BY CASE WHEN position IS NULL THEN 1 ELSE 0 END, position, created_at, id LIMIT {}",
        audience.condition(),
        limit + 1
    );
    let mut query = sqlx::query_as::<_, PagedRow>(sqlx::AssertSqlSafe(sql)).bind(transfer.to_db());
    if let Some(c) = after {
        query = query
            .bind(c.position.unwrap_or(0))
            .bind(c.created_at)
            .bind(c.id.clone());
    }
    let mut rows = query.fetch_all(ex).await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    let last_position = rows.last().and_then(|r| r.position);
    let files: Vec<FileRecord> = rows
        .into_iter()
        .map(|r| r.file.into_record())
        .collect::<Result<_, _>>()?;
    let next = match files.last() {
        Some(last) if more => Some(FileCursor {
            position: last_position,
            created_at: last.created_at,
            id: last.id.to_db(),
        }),
        _ => None,
    };
    Ok(Page { files, next })
}

/// The first photo of a transfer, in the order of its pages, that has its thumbnail: what
/// stands for a delivery without a chosen cover. The search stops at the first.
pub async fn first_photo_with_thumb<'e>(
    ex: impl Executor<'e, Database = Any>,
    transfer: TransferId,
) -> Result<Option<FileRecord>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM files WHERE transfer_id = $1 AND deleted_at IS NULL AND category = 'photo' \
         AND EXISTS (SELECT 1 FROM variants v WHERE v.file_id = files.id AND v.name = 'thumb' AND v.format = 'jpeg') \
         ORDER BY CASE WHEN position IS NULL THEN 1 ELSE 0 END, position, created_at, id LIMIT 1"
    );
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(transfer.to_db())
        .fetch_optional(ex)
        .await?;
    row.map(Row::into_record).transpose()
}

/// Puts `first` (files of `transfer`, each once) at the head of its order, the others
/// keeping theirs after them: every placed file moves `first.len()` places on in one
/// statement, then the given ones take places 0.. — a click on a page of 150 files writes
/// about 150 rows, not the whole delivery. Rows are written in id order (no deadlock
/// between two saves).
pub async fn place_first(
    tx: &mut super::Tx,
    transfer: TransferId,
    first: &[crate::domain::FileId],
) -> Result<(), DbError> {
    sqlx::query("UPDATE files SET position = position + $1 WHERE transfer_id = $2 AND position IS NOT NULL")
        .bind(first.len() as i64)
        .bind(transfer.to_db())
        .execute(&mut **tx)
        .await?;
    let mut placed: Vec<(String, i64)> = first.iter().map(|f| f.to_db()).zip(0..).collect();
    placed.sort();
    for (file, position) in placed {
        sqlx::query("UPDATE files SET position = $1 WHERE id = $2 AND transfer_id = $3")
            .bind(position)
            .bind(file)
            .bind(transfer.to_db())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// What an archive needs of a file, and nothing more: a ZIP of 10 000 files starts after
/// one lean query.
#[derive(Debug, FromRow)]
pub struct ArchiveRow {
    pub id: String,
    pub name: String,
    pub size: i64,
    pub stored_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub category: String,
    pub media_type: String,
}

/// Every file of `transfer` with all its bytes stored, as `audience` sees it, in the
/// order of its pages.
pub async fn archive_rows<'e>(
    ex: impl Executor<'e, Database = Any>,
    transfer: TransferId,
    audience: Audience,
) -> Result<Vec<ArchiveRow>, DbError> {
    let sql = format!(
        "SELECT id, name, size, stored_at, created_at, category, media_type FROM files \
         WHERE transfer_id = $1 AND deleted_at IS NULL AND sha256 IS NOT NULL AND size IS NOT NULL{} \
         ORDER BY CASE WHEN position IS NULL THEN 1 ELSE 0 END, position, created_at, id",
        audience.condition()
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(transfer.to_db())
        .fetch_all(ex)
        .await?)
}

/// The live files of `transfer` among `ids` (a list's, a selection's, an order's), in no
/// particular order: a few queries of bound ids, whatever the transfer's size.
pub async fn by_ids(pool: &sqlx::Pool<Any>, transfer: TransferId, ids: &[String]) -> Result<Vec<FileRecord>, DbError> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(MAX_PAGE as usize) {
        let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM files WHERE transfer_id = ${} AND id IN ({}) AND deleted_at IS NULL",
            chunk.len() + 1,
            marks.join(", ")
        );
        let mut query = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql));
        for id in chunk {
            query = query.bind(id.as_str());
        }
        query = query.bind(transfer.to_db());
        for row in query.fetch_all(pool).await? {
            found.push(row.into_record()?);
        }
    }
    Ok(found)
}

/// What a reader's list holds in all: files and bytes, counting only files stored or on
/// their way through the pipeline (not uploads under way nor failures without bytes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub files: u64,
    pub bytes: u64,
    /// Every file the list holds, whatever its state (for "12 / 10 000").
    pub listed: u64,
    /// Files whose bytes are all stored: what "download everything" would hold.
    pub stored: u64,
    /// Some picture has a web size (not a video, whose pictures are its poster).
    pub any_web_sized: bool,
}

pub async fn totals(pool: &sqlx::Pool<Any>, transfer: TransferId, audience: Audience) -> Result<Totals, DbError> {
    let mut conn = pool.acquire().await?;
    let sql = format!(
        "SELECT CAST(COALESCE(SUM(CASE WHEN status NOT IN ('uploading', 'failed') THEN 1 ELSE 0 END), 0) AS BIGINT), \
         CAST(COALESCE(SUM(CASE WHEN status NOT IN ('uploading', 'failed') THEN size ELSE 0 END), 0) AS BIGINT), \
         COUNT(*), \
         CAST(COALESCE(SUM(CASE WHEN sha256 IS NOT NULL AND size IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) \
         FROM files WHERE transfer_id = $1 AND deleted_at IS NULL{}",
        audience.condition()
    );
    let (files, bytes, listed, stored): (i64, i64, i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(transfer.to_db())
        .fetch_one(&mut *conn)
        .await?;
    // One picture with a web size is enough: the search stops at the first.
    let sql = format!(
        "SELECT id FROM files WHERE transfer_id = $1 AND deleted_at IS NULL{} AND category <> 'video' \
         AND substr(media_type, 1, 6) <> 'video/' AND EXISTS \
         (SELECT 1 FROM variants v WHERE v.file_id = files.id AND v.name = 'large' AND v.format = 'jpeg') LIMIT 1",
        audience.condition()
    );
    let any_web_sized = sqlx::query_as::<_, (String,)>(sqlx::AssertSqlSafe(sql))
        .bind(transfer.to_db())
        .fetch_optional(&mut *conn)
        .await?
        .is_some();
    Ok(Totals {
        files: files.max(0) as u64,
        bytes: bytes.max(0) as u64,
        listed: listed.max(0) as u64,
        stored: stored.max(0) as u64,
        any_web_sized,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_only_what_it_wrote() {
        let id = crate::domain::FileId::new().to_db();
        for position in [Some(3), Some(-1), None] {
            let c = FileCursor {
                position,
                created_at: Timestamp::from_millis(1_733_500_000_000),
                id: id.clone(),
            };
            assert_eq!(FileCursor::parse(&c.to_string()), Some(c));
        }
        for bad in [
            "",
            "p.1.2",
            "x.1.2.3",
            "n.5.1.00000000-0000-0000-0000-000000000000",
            "p.1.2.not-an-id",
            "p.1.2.00000000-0000-0000-0000-000000000000.x",
            "p.1e3.2.00000000-0000-0000-0000-000000000000",
        ] {
            assert_eq!(FileCursor::parse(bad), None, "{bad}");
        }
    }
}
