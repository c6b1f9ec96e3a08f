//! SQL of resumable uploads: the row, the one-writer lease, compare-and-set commits and
//! the S3 part ledger.

use sqlx::{Any, Executor, FromRow};

use super::{DbError, Tx, parse_id};
use crate::domain::{FileId, Timestamp, TransferId, UploadId, UserId};

#[derive(Debug, Clone)]
pub struct UploadRow {
    pub id: UploadId,
    pub file: FileId,
    pub transfer: TransferId,
    pub owner: UserId,
    pub length: Option<u64>,
    pub offset: u64,
    pub metadata: String,
    pub hash_state: Vec<u8>,
    pub multipart_id: Option<String>,
    pub part_size: u64,
    pub staged_len: u64,
    pub staged_seq: u64,
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<Timestamp>,
    pub expires_at: Timestamp,
    /// Set once every byte is stored; the row then only answers HEAD.
    pub completed_at: Option<Timestamp>,
    /// Parts go from the browser straight to the bucket; not a tus upload.
    pub direct: bool,
    /// A guest's upload: the link it came through, and the session (its token's hash)
    /// when the guest held one. Only that same link and session reach it.
    pub link: Option<String>,
    pub link_session: Option<String>,
}

#[derive(FromRow)]
struct Row {
    id: String,
    file_id: String,
    transfer_id: String,
    owner_id: String,
    length: Option<i64>,
    upload_offset: i64,
    metadata: String,
    hash_state: Vec<u8>,
    multipart_id: Option<String>,
    part_size: i64,
    staged_len: i64,
    staged_seq: i64,
    lease_owner: Option<String>,
    lease_expires_at: Option<Timestamp>,
    expires_at: Timestamp,
    completed_at: Option<Timestamp>,
    direct: i64,
    link_id: Option<String>,
    link_session: Option<String>,
}

impl Row {
    fn into_upload(self) -> Result<UploadRow, DbError> {
        Ok(UploadRow {
            id: parse_id(&self.id, UploadId::parse)?,
            file: parse_id(&self.file_id, FileId::parse)?,
            transfer: parse_id(&self.transfer_id, TransferId::parse)?,
            owner: parse_id(&self.owner_id, UserId::parse)?,
            length: self.length.map(|l| l as u64),
            offset: self.upload_offset as u64,
            metadata: self.metadata,
            hash_state: self.hash_state,
            multipart_id: self.multipart_id,
            part_size: self.part_size as u64,
            staged_len: self.staged_len as u64,
            staged_seq: self.staged_seq as u64,
            lease_owner: self.lease_owner,
            lease_expires_at: self.lease_expires_at,
            expires_at: self.expires_at,
            completed_at: self.completed_at,
            direct: self.direct != 0,
            link: self.link_id,
            link_session: self.link_session,
        })
    }
}

const SELECT: &str = "SELECT u.id, u.file_id, f.transfer_id, u.owner_id, u.length, u.upload_offset, u.metadata, \
     u.hash_state, u.multipart_id, u.part_size, u.staged_len, u.staged_seq, u.lease_owner, u.lease_expires_at, \
     u.expires_at, u.completed_at, u.direct, u.link_id, u.link_session FROM uploads u JOIN files f ON f.id = u.file_id \
     AND f.deleted_at IS NULL";

/// The upload of a file, whether or not the file is in the trash (for its purge).
pub async fn of_file_even_trashed<'e>(
    ex: impl Executor<'e, Database = Any>,
    file: FileId,
) -> Result<Option<UploadRow>, DbError> {
    let sql = SELECT.replace(" AND f.deleted_at IS NULL", "") + " WHERE u.file_id = $1";
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(file.to_db())
        .fetch_optional(ex)
        .await?;
    row.map(Row::into_upload).transpose()
}

pub struct NewUpload<'a> {
    pub id: UploadId,
    pub file: FileId,
    pub owner: UserId,
    pub length: Option<u64>,
    pub metadata: &'a str,
    pub hash_state: Vec<u8>,
    pub multipart_id: Option<&'a str>,
    pub part_size: u64,
    pub expires_at: Timestamp,
    pub direct: bool,
    pub link: Option<&'a str>,
    pub link_session: Option<&'a str>,
}

pub async fn insert<'e>(
    ex: impl Executor<'e, Database = Any>,
    new: NewUpload<'_>,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO uploads (id, file_id, owner_id, length, metadata, hash_state, multipart_id, part_size, expires_at, \
         created_at, updated_at, direct, link_id, link_session) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12, $13)",
    )
    .bind(new.id.to_db())
    .bind(new.file.to_db())
    .bind(new.owner.to_db())
    .bind(new.length.map(|l| l as i64))
    .bind(new.metadata)
    .bind(new.hash_state)
    .bind(new.multipart_id)
    .bind(new.part_size as i64)
    .bind(new.expires_at)
    .bind(now)
    .bind(i64::from(new.direct))
    .bind(new.link)
    .bind(new.link_session)
    .execute(ex)
    .await?;
    Ok(())
}

/// A direct-to-bucket upload by its multipart upload id.
pub async fn find_direct<'e>(
    ex: impl Executor<'e, Database = Any>,
    multipart_id: &str,
) -> Result<Option<UploadRow>, DbError> {
    let sql = format!("{SELECT} WHERE u.multipart_id = $1 AND u.direct = 1");
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(multipart_id)
        .fetch_optional(ex)
        .await?;
    row.map(Row::into_upload).transpose()
}

pub async fn find<'e>(ex: impl Executor<'e, Database = Any>, id: UploadId) -> Result<Option<UploadRow>, DbError> {
    let sql = format!("{SELECT} WHERE u.id = $1");
    let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.to_db())
        .fetch_optional(ex)
        .await?;
    row.map(Row::into_upload).transpose()
}

/// What may have changed since an upload was read, as it stands once its lease is taken:
/// a previous holder may have recorded more, staged a new tail or finished.
#[derive(Debug, Clone)]
pub struct Taken {
    pub length: Option<u64>,
    pub offset: u64,
    pub hash_state: Vec<u8>,
    pub multipart_id: Option<String>,
    pub staged_len: u64,
    pub staged_seq: u64,
    pub expires_at: Timestamp,
    pub completed_at: Option<Timestamp>,
    /// False once the upload's file is in the trash.
    pub file_live: bool,
}

impl UploadRow {
    /// The row as it stands under the lease.
    pub fn taken(self, now: &Taken) -> Self {
        Self {
            length: now.length,
            offset: now.offset,
            hash_state: now.hash_state.clone(),
            multipart_id: now.multipart_id.clone(),
            staged_len: now.staged_len,
            staged_seq: now.staged_seq,
            expires_at: now.expires_at,
            completed_at: now.completed_at,
            ..self
        }
    }
}

type TakenRow = (
    Option<i64>,
    i64,
    Vec<u8>,
    Option<String>,
    i64,
    i64,
    Timestamp,
    Option<Timestamp>,
    i64,
);

/// Takes the lease if it is free, expired, or already ours, and answers the upload as it
/// stands then (one round trip: the writer needs it next). The lease is what makes one
/// request, on one node, the only writer of an upload.
pub async fn acquire_lease<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: UploadId,
    owner: &str,
    until: Timestamp,
    now: Timestamp,
) -> Result<Option<Taken>, DbError> {
    let row: Option<TakenRow> = sqlx::query_as(
        "UPDATE uploads SET lease_owner = $1, lease_expires_at = $2, release_requested = 0 \
         WHERE id = $3 AND (lease_owner IS NULL OR lease_expires_at < $4 OR lease_owner = $1) \
         RETURNING length, upload_offset, hash_state, multipart_id, staged_len, staged_seq, expires_at, completed_at, \
         (SELECT COUNT(*) FROM files f WHERE f.id = uploads.file_id AND f.deleted_at IS NULL)",
    )
    .bind(owner)
    .bind(until)
    .bind(id.to_db())
    .bind(now)
    .fetch_optional(ex)
    .await?;
    Ok(row.map(
        |(length, offset, hash_state, multipart_id, staged_len, staged_seq, expires_at, completed_at, live)| Taken {
            length: length.map(|l| l as u64),
            offset: offset as u64,
            hash_state,
            multipart_id,
            staged_len: staged_len as u64,
            staged_seq: staged_seq as u64,
            expires_at,
            completed_at,
            file_live: live > 0,
        },
    ))
}

/// Asks the current holder to save what it has and let go (tusd's "request unlock").
pub async fn request_release<'e>(ex: impl Executor<'e, Database = Any>, id: UploadId) -> Result<(), DbError> {
    sqlx::query("UPDATE uploads SET release_requested = 1 WHERE id = $1 AND lease_owner IS NOT NULL")
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// Extends our lease. `None`: we lost it; `Some(true)`: someone asked us to let go.
pub async fn renew_lease<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: UploadId,
    owner: &str,
    until: Timestamp,
) -> Result<Option<bool>, DbError> {
    let row: Option<(i64,)> = sqlx::query_as(
        "UPDATE uploads SET lease_expires_at = $1 WHERE id = $2 AND lease_owner = $3 RETURNING release_requested",
    )
    .bind(until)
    .bind(id.to_db())
    .bind(owner)
    .fetch_optional(ex)
    .await?;
    Ok(row.map(|(r,)| r != 0))
}

pub async fn release_lease<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: UploadId,
    owner: &str,
) -> Result<(), DbError> {
    sqlx::query("UPDATE uploads SET lease_owner = NULL, lease_expires_at = NULL, release_requested = 0 WHERE id = $1 AND lease_owner = $2")
        .bind(id.to_db())
        .bind(owner)
        .execute(ex)
        .await?;
    Ok(())
}

/// A new durable point of an upload.
pub struct Commit<'a> {
    pub from_offset: u64,
    pub to_offset: u64,
    pub hash_state: &'a [u8],
    pub staged_len: u64,
    pub staged_seq: u64,
    pub expires_at: Timestamp,
}

/// Advances the offset from `from_offset`, only for the lease holder: zero rows means the
/// lease or the offset moved under us, and nothing is written. With `release`, the same
/// statement lets the lease go (the body's last checkpoint): one write, not two.
pub async fn commit<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: UploadId,
    owner: &str,
    c: Commit<'_>,
    release: bool,
    now: Timestamp,
) -> Result<bool, DbError> {
    let sql = if release {
        "UPDATE uploads SET upload_offset = $1, hash_state = $2, staged_len = $3, staged_seq = $4, expires_at = $5, \
         updated_at = $6, lease_owner = NULL, lease_expires_at = NULL, release_requested = 0 \
         WHERE id = $7 AND lease_owner = $8 AND upload_offset = $9"
    } else {
        "UPDATE uploads SET upload_offset = $1, hash_state = $2, staged_len = $3, staged_seq = $4, expires_at = $5, \
         updated_at = $6 WHERE id = $7 AND lease_owner = $8 AND upload_offset = $9"
    };
    let done = sqlx::query(sql)
        .bind(c.to_offset as i64)
        .bind(c.hash_state.to_vec())
        .bind(c.staged_len as i64)
        .bind(c.staged_seq as i64)
        .bind(c.expires_at)
        .bind(now)
        .bind(id.to_db())
        .bind(owner)
        .bind(c.from_offset as i64)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Pushes an upload's expiry back: it is still in use.
pub async fn touch_expiry<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: UploadId,
    expires_at: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE uploads SET expires_at = $1 WHERE id = $2 AND completed_at IS NULL")
        .bind(expires_at)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// Sets a deferred length once; false if it was already set.
pub async fn set_length<'e>(ex: impl Executor<'e, Database = Any>, id: UploadId, length: u64) -> Result<bool, DbError> {
    let done = sqlx::query("UPDATE uploads SET length = $1 WHERE id = $2 AND length IS NULL")
        .bind(length as i64)
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn insert_part(tx: &mut Tx, id: UploadId, number: u32, size: u64, etag: &str) -> Result<(), DbError> {
    // A part number written again (a retried part) replaces the earlier one.
    sqlx::query(
        "INSERT INTO upload_parts (upload_id, number, size, etag) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (upload_id, number) DO UPDATE SET size = excluded.size, etag = excluded.etag",
    )
    .bind(id.to_db())
    .bind(i64::from(number))
    .bind(size as i64)
    .bind(etag)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn parts<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: UploadId,
) -> Result<Vec<(u32, u64, String)>, DbError> {
    let rows: Vec<(i64, i64, String)> =
        sqlx::query_as("SELECT number, size, etag FROM upload_parts WHERE upload_id = $1 ORDER BY number")
            .bind(id.to_db())
            .fetch_all(ex)
            .await?;
    Ok(rows.into_iter().map(|(n, s, e)| (n as u32, s as u64, e)).collect())
}

/// Marks an upload finished: the offset is its length, the lease and the part ledger go,
/// and the row lives on until `expires_at` to answer HEAD.
pub async fn complete(
    tx: &mut Tx,
    id: UploadId,
    length: u64,
    expires_at: Timestamp,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE uploads SET completed_at = $1, upload_offset = $2, length = $2, lease_owner = NULL, \
         lease_expires_at = NULL, staged_len = 0, expires_at = $3, updated_at = $1 WHERE id = $4",
    )
    .bind(now)
    .bind(length as i64)
    .bind(expires_at)
    .bind(id.to_db())
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM upload_parts WHERE upload_id = $1")
        .bind(id.to_db())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn delete<'e>(ex: impl Executor<'e, Database = Any>, id: UploadId) -> Result<(), DbError> {
    sqlx::query("DELETE FROM uploads WHERE id = $1")
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

/// Uploads with no byte for longer than their expiry, oldest first.
pub async fn expired<'e>(
    ex: impl Executor<'e, Database = Any>,
    now: Timestamp,
    limit: i64,
) -> Result<Vec<UploadRow>, DbError> {
    let sql = format!(
        "{SELECT} WHERE u.expires_at < $1 AND (u.lease_owner IS NULL OR u.lease_expires_at < $1) ORDER BY u.expires_at LIMIT $2"
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(limit)
        .fetch_all(ex)
        .await?;
    rows.into_iter().map(Row::into_upload).collect()
}

/// Frees the leases a previous run of this node held: it is gone, and its uploads should
/// not wait for their leases to time out.
pub async fn release_node_leases<'e>(ex: impl Executor<'e, Database = Any>, node: &str) -> Result<u64, DbError> {
    let done = sqlx::query("UPDATE uploads SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner LIKE $1")
        .bind(format!("{node}/%"))
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}

/// An upload still receiving bytes, as the studio's dashboard shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InProgress {
    pub file_name: String,
    pub transfer_id: String,
    pub client_name: String,
    pub received: i64,
    pub length: Option<i64>,
    pub updated_at: Timestamp,
}

/// Uploads not complete and not expired, most recently active first.
pub async fn in_progress<'e>(
    ex: impl Executor<'e, Database = Any>,
    now: Timestamp,
    limit: i64,
) -> Result<Vec<InProgress>, DbError> {
    Ok(sqlx::query_as(
        "SELECT f.name AS file_name, f.transfer_id, c.name AS client_name, u.upload_offset AS received, \
         u.length, u.updated_at FROM uploads u JOIN files f ON f.id = u.file_id \
         JOIN transfers t ON t.id = f.transfer_id JOIN users c ON c.id = t.client_id \
         WHERE u.completed_at IS NULL AND u.expires_at > $1 AND f.deleted_at IS NULL \
         ORDER BY u.updated_at DESC LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(ex)
    .await?)
}
