//! One staging file per resumable upload (local directory, memory).

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::BlobError;
use crate::key::BlobKey;
use crate::object::BlobMeta;

/// The staging file of a resumable upload, opened at its committed offset: one thread
/// writes at its end while another makes what was written durable. Both calls block.
pub trait StagingFile: Send + Sync + 'static {
    /// Writes all of `data`, in order, at the end.
    fn write_all(&self, data: &mut [std::io::IoSlice<'_>]) -> std::io::Result<()>;
    /// Makes everything written before the call durable (fsync).
    fn sync(&self) -> std::io::Result<()>;
}

/// Backends that stage a resumable upload in one file. Object-safe.
#[async_trait]
pub trait StagingStore: Send + Sync + 'static {
    /// Opens the staging file of upload `staging` for writing at `offset`: whatever lies
    /// beyond `offset` (bytes written but never committed) is cut off first. Fails with
    /// [`BlobError::StagingShort`] if fewer than `offset` bytes survived.
    async fn open_staging(&self, staging: uuid::Uuid, offset: u64) -> Result<Arc<dyn StagingFile>, BlobError>;

    /// Moves the first `len` bytes of a staging file into place at `key`, atomically.
    async fn finish_staging(&self, staging: uuid::Uuid, len: u64, key: &BlobKey) -> Result<BlobMeta, BlobError>;

    /// Drops a staging file; an unknown one is not an error.
    async fn discard_staging(&self, staging: uuid::Uuid) -> Result<(), BlobError>;
}
