//! The ends of a resumable upload's life: begun, completed into its object, or discarded.

use bytes::Bytes;
use uuid::Uuid;

use crate::error::BlobError;
use crate::key::{BlobKey, keys};
use crate::object::{BlobMeta, BlobStore, Resumable};
use crate::parts::{MultipartId, PartReceipt};

fn no_multipart(staging: Uuid) -> BlobError {
    BlobError::Backend(format!(
        "upload {staging} has no multipart upload on a storage that needs one"
    ))
}

/// Prepares a new upload of the object `key`: a multipart upload on backends that stage
/// in parts (its id is returned, to be kept with the upload), nothing on the others.
pub async fn begin(store: &std::sync::Arc<dyn BlobStore>, key: &BlobKey) -> Result<Option<MultipartId>, BlobError> {
    match store.clone().resumable() {
        Resumable::Parts(parts) => Ok(Some(parts.begin_multipart(key).await?)),
        Resumable::Staging(_) => Ok(None),
    }
}

/// Puts the upload's `len` bytes in place at `key`: the staging file is moved there, or
/// the recorded `parts` are joined. Safe to repeat after a crash between this and
/// recording it: an object already there with the right size is taken as done.
pub async fn complete(
    store: &std::sync::Arc<dyn BlobStore>,
    staging: Uuid,
    key: &BlobKey,
    multipart: Option<&MultipartId>,
    len: u64,
    parts: &[PartReceipt],
) -> Result<BlobMeta, BlobError> {
    let done = match (store.clone().resumable(), multipart) {
        (Resumable::Staging(files), _) => files.finish_staging(staging, len, key).await,
        (Resumable::Parts(_), None) => Err(no_multipart(staging)),
        // S3 will not complete an upload without parts: an empty file is a plain PUT.
        (Resumable::Parts(multiparts), Some(multipart)) if parts.is_empty() && len == 0 => {
            multiparts.abort_multipart(key, multipart).await?;
            store.put(key, Bytes::new()).await
        }
        (Resumable::Parts(multiparts), Some(multipart)) => multiparts.complete_multipart(key, multipart, parts).await,
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

/// Drops everything storage holds for an unfinished upload: its staging file, or its
/// multipart upload, parts and staged tails up to `staged_seq`.
pub async fn discard(
    store: &std::sync::Arc<dyn BlobStore>,
    staging: Uuid,
    key: &BlobKey,
    multipart: Option<&MultipartId>,
    staged_seq: u64,
) -> Result<(), BlobError> {
    match (store.clone().resumable(), multipart) {
        (Resumable::Staging(files), _) => files.discard_staging(staging).await,
        // Nothing was begun (an upload created before the storage changed).
        (Resumable::Parts(_), None) => Ok(()),
        (Resumable::Parts(multiparts), Some(multipart)) => {
            multiparts.abort_multipart(key, multipart).await?;
            for seq in 0..=staged_seq {
                store.delete(&keys::staged_tail(staging, seq)).await?;
            }
            Ok(())
        }
    }
}
