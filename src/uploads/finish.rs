//! The last byte is in: the object goes in place and the file becomes `stored`.

use relais_storage::{BlobError, keys};

use super::UploadError;
use super::hashing::RunningSha256;
use crate::db;
use crate::db::uploads::UploadRow;
use crate::domain::FileId;
use crate::state::AppState;

/// Moves the staging file into place. Safe to repeat: if an earlier attempt moved it and
/// then died before recording it, the object is already there with the right size.
pub(super) async fn appended(
    state: &AppState,
    upload: &UploadRow,
    len: u64,
    hash: RunningSha256,
) -> Result<FileId, UploadError> {
    let key = keys::file(upload.file.uuid());
    match state.blobs.finish_append(upload.id.uuid(), len, &key).await {
        Ok(meta) if meta.size == len => {}
        Ok(meta) => {
            return Err(BlobError::Backend(format!("stored object has {} bytes, expected {len}", meta.size)).into());
        }
        Err(BlobError::StagingShort { .. }) if state.blobs.head(&key).await.is_ok_and(|m| m.size == len) => {}
        Err(e) => return Err(e.into()),
    }
    record_stored(state, upload, len, hash.finish_hex()).await?;
    Ok(upload.file)
}

/// Marks the file stored with its SHA-256 and the upload complete, in one transaction.
pub(super) async fn record_stored(
    state: &AppState,
    upload: &UploadRow,
    len: u64,
    sha256: String,
) -> Result<(), UploadError> {
    let now = state.clock.now_ms();
    let mut tx = state.db.begin().await?;
    super::stored::mark(&mut tx, upload.file, len, &sha256, now).await?;
    // The upload stays, complete, until it expires: a client resuming it learns it is done.
    db::uploads::complete(&mut tx, upload.id, len, super::expiry(state, now), now).await?;
    tx.commit().await.map_err(db::DbError::from)?;
    state.jobs_queued();
    tracing::info!(file = %upload.file, size = len, %sha256, "file stored");
    Ok(())
}
