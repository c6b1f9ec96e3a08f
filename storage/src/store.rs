use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use url::Url;

use crate::error::BlobError;
use crate::key::{BlobKey, keys};

/// A stream of bytes read from or written to storage. Bodies always travel as streams so
/// that memory stays bounded whatever the size of the object.
pub type ByteStream = BoxStream<'static, Result<Bytes, BlobError>>;

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

/// The id of a multipart upload. It is plain text so the application can persist it and
/// carry on from another request or another process.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MultipartId(pub String);

/// S3 numbers parts from 1 to 10 000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartNumber(u32);

impl PartNumber {
    pub const MAX: u32 = 10_000;

    pub fn new(n: u32) -> Option<Self> {
        (1..=Self::MAX).contains(&n).then_some(Self(n))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

/// What the application records in its part ledger once a part is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartReceipt {
    pub number: PartNumber,
    pub size: u64,
    pub etag: String,
}

/// How a backend keeps the bytes of a resumable upload until the upload is complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StagingKind {
    /// One staging file, written at any offset and truncated at will (local directory,
    /// memory); moved into place when complete.
    Append,
    /// A multipart upload; every part but the last must be at least `min_part` bytes.
    Parts { min_part: u64 },
}

/// The staging file of a resumable upload, opened at its committed offset: one thread
/// writes at its end while another makes what was written durable. Both calls block.
pub trait StagingFile: Send + Sync + 'static {
    /// Writes all of `data`, in order, at the end.
    fn write_all(&self, data: &mut [std::io::IoSlice<'_>]) -> std::io::Result<()>;
    /// Makes everything written before the call durable (fsync).
    fn sync(&self) -> std::io::Result<()>;
}

/// A single request to be made by someone else (a browser) straight to the bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PresignOp {
    /// Download, optionally overriding the `Content-Disposition` the bucket answers with.
    Get {
        content_disposition: Option<String>,
    },
    Put,
    CreateMultipart,
    UploadPart {
        upload: MultipartId,
        part: PartNumber,
    },
    CompleteMultipart {
        upload: MultipartId,
    },
    ListParts {
        upload: MultipartId,
    },
    AbortMultipart {
        upload: MultipartId,
    },
}

#[derive(Debug, Clone)]
pub struct PresignRequest {
    pub key: BlobKey,
    pub op: PresignOp,
    pub expires_in: Duration,
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

    /// Starts a multipart upload to `key`. The id can be stored and used from any process.
    async fn begin_multipart(&self, key: &BlobKey) -> Result<MultipartId, BlobError>;

    /// Stores one part of exactly `len` bytes, streamed from `body`. Writing the same part
    /// number again replaces it. S3 wants every part but the last to be at least 5 MiB.
    async fn put_part(
        &self,
        key: &BlobKey,
        upload: &MultipartId,
        part: PartNumber,
        len: u64,
        body: ByteStream,
    ) -> Result<PartReceipt, BlobError>;

    /// Joins the parts, in the order given, into the object at `key`.
    async fn complete_multipart(
        &self,
        key: &BlobKey,
        upload: &MultipartId,
        parts: &[PartReceipt],
    ) -> Result<BlobMeta, BlobError>;

    /// The parts the service holds for an upload, for uploads whose parts someone else
    /// sent (direct-to-bucket): the service is then the only one that knows them.
    async fn list_parts(&self, key: &BlobKey, upload: &MultipartId) -> Result<Vec<PartReceipt>, BlobError> {
        let _ = (key, upload);
        Err(BlobError::NotSupported("listing multipart parts"))
    }

    /// Drops the upload and every part stored for it; unknown ids are not an error.
    async fn abort_multipart(&self, key: &BlobKey, upload: &MultipartId) -> Result<(), BlobError>;

    /// How this backend stages resumable uploads.
    fn staging_kind(&self) -> StagingKind;

    /// Opens the staging file of upload `staging` for writing at `offset`: whatever lies
    /// beyond `offset` (bytes written but never committed) is cut off first. Fails with
    /// [`BlobError::StagingShort`] if fewer than `offset` bytes survived.
    async fn open_staging(
        &self,
        staging: uuid::Uuid,
        offset: u64,
    ) -> Result<std::sync::Arc<dyn StagingFile>, BlobError> {
        let _ = (staging, offset);
        Err(BlobError::NotSupported("append staging"))
    }

    /// Moves the first `len` bytes of a staging file into place at `key`, atomically.
    async fn finish_append(&self, staging: uuid::Uuid, len: u64, key: &BlobKey) -> Result<BlobMeta, BlobError> {
        let _ = (staging, len, key);
        Err(BlobError::NotSupported("append staging"))
    }

    /// Drops a staging file; an unknown one is not an error.
    async fn discard_append(&self, staging: uuid::Uuid) -> Result<(), BlobError> {
        let _ = staging;
        Ok(())
    }

    /// A URL that lets its holder make exactly one kind of request on `key` until it expires.
    async fn presign(&self, request: &PresignRequest) -> Result<Url, BlobError> {
        let _ = request;
        Err(BlobError::NotSupported("presigned URLs"))
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

/// Passes a stream on while checking it holds exactly `len` bytes: a body that runs long
/// or ends short fails instead of silently producing a part of the wrong size. Once `len`
/// bytes have passed it looks one item ahead before handing over the last chunk, because
/// an HTTP client that announced `Content-Length: len` stops reading right there and
/// would never see the excess.
pub(crate) fn exact_length(body: ByteStream, len: u64, part: u32) -> ByteStream {
    use futures_util::StreamExt;
    let wrong = move |actual: u64| BlobError::PartLength {
        part,
        expected: len,
        actual,
    };
    futures_util::stream::unfold((body, 0u64, false), move |(mut body, seen, finished)| async move {
        if finished {
            return None;
        }
        let chunk = match body.next().await {
            None if seen == len => return None,
            None => return Some((Err(wrong(seen)), (body, seen, true))),
            Some(Err(e)) => return Some((Err(e), (body, seen, true))),
            Some(Ok(chunk)) => chunk,
        };
        let seen = seen + chunk.len() as u64;
        if seen > len {
            return Some((Err(wrong(seen)), (body, seen, true)));
        }
        if seen < len {
            return Some((Ok(chunk), (body, seen, false)));
        }
        loop {
            match body.next().await {
                None => return Some((Ok(chunk), (body, seen, true))),
                Some(Ok(extra)) if extra.is_empty() => continue,
                Some(Ok(extra)) => return Some((Err(wrong(seen + extra.len() as u64)), (body, seen, true))),
                Some(Err(e)) => return Some((Err(e), (body, seen, true))),
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn chunks(sizes: &[usize]) -> ByteStream {
        let items: Vec<Result<Bytes, BlobError>> = sizes.iter().map(|n| Ok(Bytes::from(vec![7u8; *n]))).collect();
        futures_util::stream::iter(items).boxed()
    }

    async fn total(stream: ByteStream) -> Result<usize, BlobError> {
        let mut stream = stream;
        let mut n = 0;
        while let Some(item) = stream.next().await {
            n += item?.len();
        }
        Ok(n)
    }

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

    #[tokio::test]
    async fn exact_length_passes_an_exact_body_and_refuses_long_or_short_ones() {
        assert_eq!(total(exact_length(chunks(&[500, 500]), 1000, 1)).await.ok(), Some(1000));
        assert_eq!(
            total(exact_length(chunks(&[500, 500, 0]), 1000, 1)).await.ok(),
            Some(1000)
        );
        // The excess arrives after exactly `len` bytes: the last good chunk is held back.
        let mut long = exact_length(chunks(&[500, 500, 1000]), 1000, 1);
        assert!(long.next().await.is_some_and(|c| c.is_ok()));
        assert!(matches!(
            long.next().await,
            Some(Err(BlobError::PartLength { actual: 2000, .. }))
        ));
        assert!(matches!(
            total(exact_length(chunks(&[400]), 1000, 1)).await,
            Err(BlobError::PartLength { actual: 400, .. })
        ));
        assert!(matches!(
            total(exact_length(chunks(&[1500]), 1000, 1)).await,
            Err(BlobError::PartLength { .. })
        ));
    }
}
