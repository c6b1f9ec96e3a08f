//! Signed URLs: one request, made by someone else (a browser) straight to the bucket.

use std::time::Duration;

use async_trait::async_trait;
use url::Url;

use crate::error::BlobError;
use crate::key::BlobKey;
use crate::parts::{MultipartId, PartNumber};

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

/// Backends browsers can reach (S3). Object-safe.
#[async_trait]
pub trait Presign: Send + Sync + 'static {
    /// A URL that lets its holder make exactly one kind of request on `key` until it expires.
    async fn presign(&self, request: &PresignRequest) -> Result<Url, BlobError>;
}
