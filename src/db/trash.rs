//! SQL of the trash: stamping what is deleted, listing, restoring and purging it.

use sqlx::{Any, Executor, FromRow};

use super::{DbError, Tx};
use crate::domain::{FileId, Timestamp, TransferId, UserId};

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct Entry {
    pub id: String,
    pub kind: String,
    pub item_id: String,
    pub label: String,
    pub files: i64,
    pub bytes: i64,
    pub deleted_by: Option<String>,
    pub deleted_at: Timestamp,
    pub purge_after: Timestamp,
}

const COLUMNS: &str = "id, kind, item_id, label, files, bytes, deleted_by, deleted_at, purge_after";

/// How many live files, and their bytes, a deletion would take.
pub async fn weight(tx: &mut Tx, files_condition: &str, value: &str) -> Result<(i64, i64), DbError> {
    let sql = format!(
        "SELECT COUNT(*), CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM files WHERE ({files_condition}) AND deleted_at IS NULL"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .fetch_one(&mut **tx)
        .await?)
}

pub const FILES_OF_TRANSFER: &str = "transfer_id = $1";
pub const FILES_OF_CLIENT: &str = "transfer_id IN (SELECT id FROM transfers WHERE client_id = $1)";

pub async fn stamp_file(tx: &mut Tx, id: FileId, at: Timestamp) -> Result<bool, DbError> {
    let done = sqlx::query("UPDATE files SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL")
        .bind(at)
        .bind(id.to_db())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    Ok(done == 1)
}

/// Stamps a transfer and its live files with one time, so that restoring the transfer
/// brings back exactly those (files deleted on their own before stay in the trash).
pub async fn stamp_transfer(tx: &mut Tx, id: TransferId, at: Timestamp) -> Result<bool, DbError> {
    let done = sqlx::query("UPDATE transfers SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL")
        .bind(at)
        .bind(id.to_db())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    sqlx::query("UPDATE files SET deleted_at = $1 WHERE transfer_id = $2 AND deleted_at IS NULL")
        .bind(at)
        .bind(id.to_db())
        .execute(&mut **tx)
        .await?;
    Ok(done == 1)
}

pub async fn stamp_client(tx: &mut Tx, id: UserId, at: Timestamp) -> Result<bool, DbError> {
    let done = sqlx::query("UPDATE users SET deleted_at = $1 WHERE id = $2 AND role = 'client' AND deleted_at IS NULL")
        .bind(at)
        .bind(id.to_db())
        .execute(&mut **tx)
        .await?
        .rows_affected();
    sqlx::query(
        "UPDATE files SET deleted_at = $1 WHERE deleted_at IS NULL AND transfer_id IN \
         (SELECT id FROM transfers WHERE client_id = $2 AND deleted_at IS NULL)",
    )
    .bind(at)
    .bind(id.to_db())
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE transfers SET deleted_at = $1 WHERE client_id = $2 AND deleted_at IS NULL")
        .bind(at)
        .bind(id.to_db())
        .execute(&mut **tx)
        .await?;
    Ok(done == 1)
}

/// Clears the stamp `at` from an item and what went with it.
pub async fn unstamp(tx: &mut Tx, kind: &str, item: &str, at: Timestamp) -> Result<(), DbError> {
    let statements: &[&'static str] = match kind {
        "file" => &["UPDATE files SET deleted_at = NULL WHERE id = $1 AND deleted_at = $2"],
        "transfer" => &[
            "UPDATE files SET deleted_at = NULL WHERE transfer_id = $1 AND deleted_at = $2",
            "UPDATE transfers SET deleted_at = NULL WHERE id = $1 AND deleted_at = $2",
        ],
        "client" => &[
            "UPDATE files SET deleted_at = NULL WHERE deleted_at = $2 AND transfer_id IN \
             (SELECT id FROM transfers WHERE client_id = $1)",
            "UPDATE transfers SET deleted_at = NULL WHERE client_id = $1 AND deleted_at = $2",
            "UPDATE users SET deleted_at = NULL WHERE id = $1 AND deleted_at = $2",
        ],
        _ => return Err(DbError::Corrupt(format!("trash kind {kind}"))),
    };
    for sql in statements.iter().copied() {
        sqlx::query(sql).bind(item).bind(at).execute(&mut **tx).await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub async fn insert(
    tx: &mut Tx,
    kind: &str,
    item: &str,
    label: &str,
    (files, bytes): (i64, i64),
    by: Option<UserId>,
    at: Timestamp,
    purge_after: Timestamp,
) -> Result<(), DbError> {
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO trash (id, kind, item_id, label, files, bytes, deleted_by, deleted_at, purge_after) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&id)
    .bind(kind)
    .bind(item)
    .bind(label)
    .bind(files)
    .bind(bytes)
    .bind(by.map(|u| u.to_db()))
    .bind(at)
    .bind(purge_after)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn count<'e>(ex: impl Executor<'e, Database = Any>) -> Result<u64, DbError> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM trash").fetch_one(ex).await?;
    Ok(n.max(0) as u64)
}

pub async fn list<'e>(ex: impl Executor<'e, Database = Any>) -> Result<Vec<Entry>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM trash ORDER BY deleted_at DESC, id DESC");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(ex).await?)
}

pub async fn find(tx: &mut Tx, id: &str) -> Result<Option<Entry>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM trash WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?)
}

pub async fn remove(tx: &mut Tx, id: &str) -> Result<(), DbError> {
    sqlx::query("DELETE FROM trash WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn due<'e>(ex: impl Executor<'e, Database = Any>, now: Timestamp) -> Result<Vec<Entry>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM trash WHERE purge_after < $1 ORDER BY purge_after LIMIT 50");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now).fetch_all(ex).await?)
}

/// The files a purge removes for an entry: the file itself, or every file of the
/// transfer or client (their rows go with it, so their objects must go first, whatever
/// their own stamp).
pub async fn files_of<'e>(ex: impl Executor<'e, Database = Any>, entry: &Entry) -> Result<Vec<String>, DbError> {
    let sql = match entry.kind.as_str() {
        "file" => "SELECT id FROM files WHERE id = $1 AND deleted_at = $2",
        "transfer" => "SELECT id FROM files WHERE transfer_id = $1 AND $2 = $2",
        _ => "SELECT id FROM files WHERE $2 = $2 AND transfer_id IN (SELECT id FROM transfers WHERE client_id = $1)",
    };
    let rows: Vec<(String,)> = sqlx::query_as(sql)
        .bind(&entry.item_id)
        .bind(entry.deleted_at)
        .fetch_all(ex)
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The objects of a trashed file's variants.
pub async fn variant_keys<'e>(ex: impl Executor<'e, Database = Any>, file: &str) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT object_key FROM variants WHERE file_id = $1")
        .bind(file)
        .fetch_all(ex)
        .await?;
    Ok(rows.into_iter().map(|(k,)| k).collect())
}

/// Removes the rows of a purged entry's item (files were removed one by one before).
pub async fn delete_item(tx: &mut Tx, entry: &Entry) -> Result<(), DbError> {
    match entry.kind.as_str() {
        "transfer" => {
            sqlx::query("DELETE FROM transfers WHERE id = $1 AND deleted_at = $2")
                .bind(&entry.item_id)
                .bind(entry.deleted_at)
                .execute(&mut **tx)
                .await?;
        }
        "client" => {
            // Their newsletter subscription and appointments are personal data like the rest.
            super::newsletter::erase_account(tx, &entry.item_id).await?;
            super::appointments::erase_client(tx, &entry.item_id).await?;
            // Quotes, invoices and payments the quote site mirrored are kept (French law
            // keeps invoices ten years) and point to the account: then the account stays
            // as a nameless, unusable row, its personal data erased; otherwise it goes.
            let (billed,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM integration_clients WHERE user_id = $1")
                .bind(&entry.item_id)
                .fetch_one(&mut **tx)
                .await?;
            if billed > 0 {
                sqlx::query(
                    "UPDATE users SET email = 'erased-' || id || '@invalid', name = 'Client effacé', \
                     password_hash = NULL, totp_secret = NULL \
                     WHERE id = $1 AND deleted_at = $2",
                )
                .bind(&entry.item_id)
                .bind(entry.deleted_at)
                .execute(&mut **tx)
                .await?;
                for sql in [
                    "DELETE FROM sessions WHERE user_id = $1",
                    "DELETE FROM api_tokens WHERE user_id = $1",
                    "DELETE FROM account_links WHERE user_id = $1",
                    "DELETE FROM recovery_codes WHERE user_id = $1",
                    "DELETE FROM email_changes WHERE user_id = $1",
                    "DELETE FROM transfers WHERE client_id = $1",
                ] {
                    sqlx::query(sql).bind(&entry.item_id).execute(&mut **tx).await?;
                }
            } else {
                sqlx::query("DELETE FROM users WHERE id = $1 AND deleted_at = $2")
                    .bind(&entry.item_id)
                    .bind(entry.deleted_at)
                    .execute(&mut **tx)
                    .await?;
            }
        }
        _ => {}
    }
    remove(tx, &entry.id).await?;
    // Entries of things that went with this one (a file deleted before its transfer).
    sqlx::query(
        "DELETE FROM trash WHERE (kind = 'file' AND item_id NOT IN (SELECT id FROM files)) \
         OR (kind = 'transfer' AND item_id NOT IN (SELECT id FROM transfers))",
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Published deliveries that expired before `before`, not yet in the trash.
pub async fn expired_deliveries<'e>(
    ex: impl Executor<'e, Database = Any>,
    before: Timestamp,
) -> Result<Vec<TransferId>, DbError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT id FROM transfers WHERE direction = 'delivery' AND deleted_at IS NULL \
         AND expires_at IS NOT NULL AND expires_at < $1 LIMIT 200",
    )
    .bind(before)
    .fetch_all(ex)
    .await?;
    Ok(rows.into_iter().filter_map(|(id,)| TransferId::parse(&id)).collect())
}

/// Files of inbound transfers the studio downloaded whole before `before` (and not since
/// deleted): the studio has them.
pub async fn inbound_downloaded_before<'e>(
    ex: impl Executor<'e, Database = Any>,
    before: Timestamp,
) -> Result<Vec<FileId>, DbError> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT f.id FROM files f JOIN transfers t ON t.id = f.transfer_id \
         WHERE t.direction = 'inbound' AND f.deleted_at IS NULL AND t.deleted_at IS NULL \
         AND EXISTS (SELECT 1 FROM downloads d JOIN users u ON u.id = d.user_id \
                     WHERE d.file_id = f.id AND d.complete = 1 AND u.role = 'studio') \
         AND NOT EXISTS (SELECT 1 FROM downloads d JOIN users u ON u.id = d.user_id \
                     WHERE d.file_id = f.id AND d.complete = 1 AND u.role = 'studio' AND d.started_at >= $1) \
         LIMIT 500",
    )
    .bind(before)
    .fetch_all(ex)
    .await?;
    Ok(rows.into_iter().filter_map(|(id,)| FileId::parse(&id)).collect())
}
