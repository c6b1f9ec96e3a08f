//! Multipart uploads (S3): parts stored one by one, from any process, joined at the end.

use async_trait::async_trait;

use crate::error::BlobError;
use crate::key::BlobKey;
use crate::object::BlobMeta;
use crate::stream::ByteStream;

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

/// Multipart uploads, on backends that have them. Object-safe.
#[async_trait]
pub trait PartStore: Send + Sync + 'static {
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
    async fn list_parts(&self, key: &BlobKey, upload: &MultipartId) -> Result<Vec<PartReceipt>, BlobError>;

    /// Drops the upload and every part stored for it; unknown ids are not an error.
    async fn abort_multipart(&self, key: &BlobKey, upload: &MultipartId) -> Result<(), BlobError>;
}
