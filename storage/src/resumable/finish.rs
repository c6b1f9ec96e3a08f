//! The ends of a resumable upload's life: begun, completed into its object, or discarded.

use bytes::Bytes;
use uuid::Uuid;

use crate::error::BlobError;
use crate::key::{BlobKey, keys};
use crate::store::{BlobMeta, BlobStore, MultipartId, PartReceipt, StagingKind};

/// Prepares a new upload of the object `key`: a multipart upload on backends that stage
/// in parts (its id is returned, to be kept with the upload), nothing on the others.
pub async fn begin(store: &dyn BlobStore, key: &BlobKey) -> Result<Option<MultipartId>, BlobError> {
    match store.staging_kind() {
        StagingKind::Parts { .. } => Ok(Some(store.begin_multipart(key).await?)),
        StagingKind::Append => Ok(None),
    }
}

/// Puts the upload's `len` bytes in place at `key`: the staging file is moved there, or
/// the recorded `parts` are joined. Safe to repeat after a crash between this and
/// recording it: an object already there with the right size is taken as done.
pub async fn complete(
    store: &dyn BlobStore,
    staging: Uuid,
    key: &BlobKey,
    multipart: Option<&MultipartId>,
    len: u64,
    parts: &[PartReceipt],
) -> Result<BlobMeta, BlobError> {
    let done = match multipart {
        None => store.finish_append(staging, len, key).await,
        // S3 will not complete an upload without parts: an empty file is a plain PUT.
        Some(multipart) if parts.is_empty() => {
            store.abort_multipart(key, multipart).await?;
            store.put(key, Bytes::new()).await
        }
        Some(multipart) => store.complete_multipart(key, multipart, parts).await,
    };
    match done {
        Ok(meta) if meta.size == len => Ok(meta),
        Ok(meta) => Err(BlobError::Backend(format!(
            "the stored object has {} bytes, {len} were expected",
            meta.size
        ))),
        Err(e) => match store.head(key).await {
            Ok(meta) if meta.size == len => Ok(meta),
            _ => Err(e),
        },
    }
}

/// Drops everything storage holds for an unfinished upload: its staging file, its
/// multipart upload and parts, its staged tails up to `staged_seq`.
pub async fn discard(
    store: &dyn BlobStore,
    staging: Uuid,
    key: &BlobKey,
    multipart: Option<&MultipartId>,
    staged_seq: u64,
) -> Result<(), BlobError> {
    store.discard_append(staging).await?;
    if let Some(multipart) = multipart {
        store.abort_multipart(key, multipart).await?;
        for seq in 0..=staged_seq {
            store.delete(&keys::staged_tail(staging, seq)).await?;
        }
    }
    Ok(())
}
