use sqlx::{Any, Executor, FromRow};

use super::DbError;
use crate::domain::{FileId, Timestamp};

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct VariantRow {
    pub name: String,
    pub format: String,
    pub width: i64,
    pub height: i64,
    pub size: i64,
    #[serde(skip)]
    pub object_key: String,
    #[serde(skip)]
    pub created_at: Timestamp,
}

pub struct NewVariant<'a> {
    pub name: &'a str,
    pub format: &'a str,
    pub width: u32,
    pub height: u32,
    pub size: u64,
    pub object_key: &'a str,
    /// Hex SHA-256 of the object's bytes.
    pub sha256: &'a str,
}

/// Records a variant, replacing one of the same name and format; returns the key of the
/// replaced object, to delete once the new one is visible.
pub async fn upsert(
    tx: &mut super::Tx,
    file: FileId,
    v: NewVariant<'_>,
    now: Timestamp,
) -> Result<Option<String>, DbError> {
    let old: Option<(String,)> =
        sqlx::query_as("SELECT object_key FROM variants WHERE file_id = $1 AND name = $2 AND format = $3")
            .bind(file.to_db())
            .bind(v.name)
            .bind(v.format)
            .fetch_optional(&mut **tx)
            .await?;
    sqlx::query("DELETE FROM variants WHERE file_id = $1 AND name = $2 AND format = $3")
        .bind(file.to_db())
        .bind(v.name)
        .bind(v.format)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO variants (file_id, name, format, width, height, size, object_key, created_at, sha256) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(file.to_db())
    .bind(v.name)
    .bind(v.format)
    .bind(i64::from(v.width))
    .bind(i64::from(v.height))
    .bind(v.size as i64)
    .bind(v.object_key)
    .bind(now)
    .bind(v.sha256)
    .execute(&mut **tx)
    .await?;
    Ok(old.map(|(k,)| k).filter(|k| k != v.object_key))
}

pub async fn for_file<'e>(ex: impl Executor<'e, Database = Any>, file: FileId) -> Result<Vec<VariantRow>, DbError> {
    Ok(sqlx::query_as(
        "SELECT name, format, width, height, size, object_key, created_at FROM variants \
         WHERE file_id = $1 ORDER BY name, format",
    )
    .bind(file.to_db())
    .fetch_all(ex)
    .await?)
}

/// Variants of many files at once (a page of files), by file id.
pub async fn for_transfer<'e>(
    ex: impl Executor<'e, Database = Any>,
    transfer: crate::domain::TransferId,
) -> Result<std::collections::HashMap<String, Vec<VariantRow>>, DbError> {
    list_where(
        ex,
        "file_id IN (SELECT id FROM files WHERE transfer_id = $1 AND deleted_at IS NULL)",
        &transfer.to_db(),
    )
    .await
}

/// Variants of the files of one page, by file id: one query, bound ids (a page holds at most
/// `file_pages::MAX_PAGE`, far below either database's limit on parameters).
pub async fn for_files<'e>(
    ex: impl Executor<'e, Database = Any>,
    files: &[FileId],
) -> Result<std::collections::HashMap<String, Vec<VariantRow>>, DbError> {
    #[derive(FromRow)]
    struct Row {
        file_id: String,
        #[sqlx(flatten)]
        variant: VariantRow,
    }
    let mut map: std::collections::HashMap<String, Vec<VariantRow>> = std::collections::HashMap::new();
    if files.is_empty() {
        return Ok(map);
    }
    let marks: Vec<String> = (1..=files.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT file_id, name, format, width, height, size, object_key, created_at FROM variants \
         WHERE file_id IN ({})",
        marks.join(", ")
    );
    let mut query = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql));
    for id in files {
        query = query.bind(id.to_db());
    }
    for row in query.fetch_all(ex).await? {
        map.entry(row.file_id).or_default().push(row.variant);
    }
    Ok(map)
}

/// Variants matching a condition on one bound text value, by file id. The condition comes
/// from this crate's own constants (never from input).
pub(super) async fn list_where<'e>(
    ex: impl Executor<'e, Database = Any>,
    condition: &str,
    value: &str,
) -> Result<std::collections::HashMap<String, Vec<VariantRow>>, DbError> {
    #[derive(FromRow)]
    struct Row {
        file_id: String,
        #[sqlx(flatten)]
        variant: VariantRow,
    }
    let sql = format!(
        "SELECT file_id, name, format, width, height, size, object_key, created_at FROM variants WHERE {condition}"
    );
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .fetch_all(ex)
        .await?;
    let mut map: std::collections::HashMap<String, Vec<VariantRow>> = std::collections::HashMap::new();
    for row in rows {
        map.entry(row.file_id).or_default().push(row.variant);
    }
    Ok(map)
}

/// Records the digest of a variant made before digests were kept (see migration 0017).
pub async fn fill_digest<'e>(
    ex: impl Executor<'e, Database = Any>,
    object_key: &str,
    sha256: &str,
) -> Result<(), DbError> {
    sqlx::query("UPDATE variants SET sha256 = $1 WHERE object_key = $2 AND sha256 IS NULL")
        .bind(sha256)
        .bind(object_key)
        .execute(ex)
        .await?;
    Ok(())
}
