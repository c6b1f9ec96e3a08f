//! The last byte is in: the object goes in place and the file becomes `stored`.

use relais_storage::resumable::{self, RunningSha256};
use relais_storage::{MultipartId, PartNumber, PartReceipt, keys};

use super::UploadError;
use crate::db;
use crate::db::uploads::UploadRow;
use crate::domain::FileId;
use crate::state::AppState;

/// Puts the object in place (the staging file moved, or the recorded parts joined) and
/// records it. Safe to repeat after a crash between the two.
pub(super) async fn complete(
    state: &AppState,
    upload: &UploadRow,
    len: u64,
    hash: RunningSha256,
) -> Result<FileId, UploadError> {
    let key = keys::file(upload.file.uuid());
    let multipart = upload.multipart_id.clone().map(MultipartId);
    let parts = match &multipart {
        Some(_) => db::uploads::parts(state.db.pool(), upload.id)
            .await?
            .into_iter()
            .map(|(number, size, etag)| {
                let number = PartNumber::new(number)
                    .ok_or_else(|| db::DbError::Corrupt(format!("part number {number} of upload {}", upload.id)))?;
                Ok(PartReceipt { number, size, etag })
            })
            .collect::<Result<Vec<_>, db::DbError>>()?,
        None => Vec::new(),
    };
    resumable::complete(&state.blobs, upload.id.uuid(), &key, multipart.as_ref(), len, &parts).await?;
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
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    super::stored::mark(&mut tx, upload.file, len, &sha256, now).await?;
    // The upload stays, complete, until it expires: a client resuming it learns it is done.
    db::uploads::complete(&mut tx, upload.id, len, super::expiry(state, now), now).await?;
    tx.commit().await.map_err(db::DbError::from)?;
    state.jobs_queued();
    tracing::info!(file = %upload.file, size = len, %sha256, "file stored");
    Ok(())
}
