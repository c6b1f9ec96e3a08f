//! Objects: the one capability every backend has.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;

use crate::error::BlobError;
use crate::key::{BlobKey, keys};
use crate::parts::PartStore;
use crate::presign::Presign;
use crate::staging::StagingStore;
use crate::stream::{ByteStream, exact_length};

/// A check of a local file (its digest, say), run on a blocking thread while the file is
/// copied in by [`BlobStore::put_file_checked`]: the copy is kept only if it passes.
pub type FileCheck = Box<dyn FnOnce(&std::path::Path) -> Result<(), BlobError> + Send>;

/// The largest object S3 accepts in one PUT; longer ones go up in parts.
pub const MAX_SINGLE_PUT: u64 = 5 * 1024 * 1024 * 1024;

/// What storage knows about an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    pub key: BlobKey,
    pub size: u64,
    /// The backend's entity tag, when it has one.
    pub etag: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub last_modified_ms: i64,
}

/// A byte range, inclusive start and exclusive end, already resolved against the size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// An object being read: its metadata, the range actually served and the bytes.
pub struct BlobRead {
    pub meta: BlobMeta,
    pub range: ByteRange,
    pub body: ByteStream,
}

impl fmt::Debug for BlobRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobRead")
            .field("meta", &self.meta)
            .field("range", &self.range)
            .finish()
    }
}

/// How a backend keeps the bytes of a resumable upload until the upload is complete.
#[derive(Clone)]
pub enum Resumable {
    /// One staging file, written at its end and truncated at will (local directory,
    /// memory); moved into place when complete.
    Staging(Arc<dyn StagingStore>),
    /// A multipart upload (S3); every part but the last must be at least 5 MiB.
    Parts(Arc<dyn PartStore>),
}

impl fmt::Debug for Resumable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Staging(_) => "Resumable::Staging",
            Self::Parts(_) => "Resumable::Parts",
        })
    }
}

/// Object storage in domain words. Object-safe, held as `Arc<dyn BlobStore>`.
#[async_trait]
pub trait BlobStore: Send + Sync + fmt::Debug + 'static {
    /// A short name for logs and `relais check`: `local`, `s3` or `memory`.
    fn backend(&self) -> &'static str;

    /// Where the bytes go, for humans (a directory, or `s3://bucket at endpoint`).
    fn describe(&self) -> String;

    /// The object as a file on this machine, when the backend keeps it so: tools that seek
    /// (ffmpeg) read it in place instead of through a copy.
    fn local_path(&self, key: &BlobKey) -> Option<std::path::PathBuf> {
        let _ = key;
        None
    }

    /// Stores a small object in one request.
    async fn put(&self, key: &BlobKey, body: Bytes) -> Result<BlobMeta, BlobError>;

    /// Stores an object of unknown length from a stream, holding a bounded amount of it
    /// in memory. The object appears whole or not at all.
    async fn put_stream(&self, key: &BlobKey, body: ByteStream) -> Result<BlobMeta, BlobError>;

    /// Stores an object of exactly `len` bytes from a stream, in one request where the
    /// backend allows it.
    async fn put_sized(&self, key: &BlobKey, len: u64, body: ByteStream) -> Result<BlobMeta, BlobError> {
        self.put_stream(key, exact_length(body, len, 0)).await
    }

    /// Copies the local file `src` in as `key`, keeping it only when `check(src)` passes.
    /// The check runs beside the copy, on another thread: by default the file is streamed
    /// in and the stream fails at its end if the check did, so nothing is stored.
    async fn put_file_checked(
        &self,
        key: &BlobKey,
        src: &std::path::Path,
        check: FileCheck,
    ) -> Result<BlobMeta, BlobError> {
        use futures_util::StreamExt;
        let file = std::fs::File::open(src)?;
        let len = file.metadata()?.len();
        let path = src.to_path_buf();
        let verdict = tokio::task::spawn_blocking(move || check(&path));
        let tail = futures_util::stream::once(async move {
            match verdict.await {
                Ok(Ok(())) => None,
                Ok(Err(e)) => Some(Err(e)),
                Err(e) => Some(Err(BlobError::Backend(format!("check task failed: {e}")))),
            }
        })
        .filter_map(futures_util::future::ready);
        let body = crate::file_io::read_stream(file, 0, len).chain(tail).boxed();
        if len > MAX_SINGLE_PUT {
            self.put_stream(key, body).await
        } else {
            self.put_sized(key, len, body).await
        }
    }

    /// Reads the whole object, or the part of it given by `range` (clamped to its size).
    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> Result<BlobRead, BlobError>;

    async fn head(&self, key: &BlobKey) -> Result<BlobMeta, BlobError>;

    /// Removes the object; removing an object that is not there is not an error.
    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError>;

    /// Every object whose key starts with `prefix/`.
    async fn list(&self, prefix: &str) -> Result<Vec<BlobMeta>, BlobError>;

    /// How this backend keeps a resumable upload's bytes until it is complete.
    fn resumable(self: Arc<Self>) -> Resumable;

    /// Signed URLs, for requests a browser makes straight to the storage (S3). `None` where
    /// browsers cannot reach the storage (a local directory, memory).
    fn presigner(self: Arc<Self>) -> Option<Arc<dyn Presign>> {
        None
    }

    /// One cheap request that proves the store answers and accepts our credentials (a
    /// HEAD of an object that does not exist answers 404 only to a valid signature).
    async fn ping(&self) -> Result<(), BlobError> {
        match self.head(&keys::probe(uuid::Uuid::nil())).await {
            Ok(_) | Err(BlobError::NotFound { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Writes, reads back and deletes a small object: proves the store is reachable, that
    /// our credentials are accepted and that we may write.
    async fn probe(&self) -> Result<(), BlobError> {
        let key = keys::probe(uuid::Uuid::new_v4());
        let payload = Bytes::from_static(b"relais storage probe");
        self.put(&key, payload.clone()).await?;
        let read = self.get(&key, None).await;
        let deleted = self.delete(&key).await;
        let mut read = read?;
        let mut got = Vec::new();
        while let Some(chunk) = futures_util::StreamExt::next(&mut read.body).await {
            got.extend_from_slice(&chunk?);
        }
        deleted?;
        if got != payload {
            return Err(BlobError::Backend(
                "the probe object read back differs from what was written".into(),
            ));
        }
        Ok(())
    }
}

/// Resolves an optional requested range against an object's size.
pub(crate) fn resolve_range(range: Option<ByteRange>, size: u64) -> Result<ByteRange, BlobError> {
    match range {
        None => Ok(ByteRange { start: 0, end: size }),
        Some(r) if r.start > r.end || (r.start >= size && !(r.start == 0 && size == 0)) => Err(BlobError::InvalidRange),
        Some(r) => Ok(ByteRange {
            start: r.start,
            end: r.end.min(size),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn by_default_a_file_copied_in_fails_at_its_end_when_its_check_does() {
        let dir = std::env::temp_dir().join(format!("relais-check-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let src = dir.join("source");
        std::fs::write(&src, vec![7u8; 2 << 20]).expect("source");
        let store = crate::memory::MemoryStore::new();
        let key = keys::file(uuid::Uuid::new_v4());

        let refused: FileCheck = Box::new(|_| Err(BlobError::Body("changed".into())));
        assert!(store.put_file_checked(&key, &src, refused).await.is_err());
        assert!(matches!(store.head(&key).await, Err(BlobError::NotFound { .. })));

        let passed: FileCheck = Box::new(|_| Ok(()));
        let meta = store.put_file_checked(&key, &src, passed).await.expect("kept");
        assert_eq!(meta.size, 2 << 20);
        std::fs::remove_dir_all(&dir).expect("clean");
    }
}
