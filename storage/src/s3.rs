//! Any S3-compatible service, through object_store's `AmazonS3`.
//!
//! Parts are streamed: object_store's `MultipartStore::put_part` takes a whole part in
//! memory, so instead each part is sent with a presigned `UploadPart` URL and a streaming
//! body. Creating, completing and aborting go through object_store as usual.

use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::multipart::{MultipartStore, PartId};
use object_store::signer::{SignedUrlOptions, Signer};
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use reqwest::Method;
use url::Url;

use crate::config::S3Config;
use crate::error::BlobError;
use crate::key::BlobKey;
use crate::object::{BlobMeta, BlobRead, BlobStore, ByteRange, Resumable};
use crate::object_store_glue::{meta_from, ranged_get};
use crate::parts::{MultipartId, PartNumber, PartReceipt, PartStore};
use crate::presign::{Presign, PresignOp, PresignRequest};
use crate::s3_error::Refusal;
use crate::stream::{ByteStream, exact_length};

/// How long the URL used to stream one part to the bucket stays valid. A part is at most
/// a few hundred MiB, sent from this process as soon as the URL exists.
const PART_URL_TTL: Duration = Duration::from_secs(3600);
/// S3 refuses presigned URLs valid for more than seven days.
const MAX_PRESIGN_TTL: Duration = Duration::from_secs(7 * 24 * 3600);
/// Chunk size for `put_stream`: every part but the last must be at least 5 MiB.
const STREAM_PART: usize = 8 * 1024 * 1024;

#[derive(Debug)]
pub(crate) struct S3Store {
    inner: AmazonS3,
    /// For ListParts, which object_store lacks.
    sdk: aws_sdk_s3::Client,
    http: reqwest::Client,
    bucket: String,
    endpoint: String,
}

impl S3Store {
    /// PUTs a body of announced length to a presigned URL, streaming it; returns the ETag.
    async fn streaming_put(&self, url: Url, len: u64, body: ByteStream) -> Result<String, BlobError> {
        let response = self
            .http
            .put(url)
            // S3 refuses chunked uploads: the length must be announced.
            .header(reqwest::header::CONTENT_LENGTH, len)
            .body(reqwest::Body::wrap_stream(body))
            .send()
            .await
            .map_err(|e| request_error(&e))?;
        let status = response.status();
        let etag = response
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if !status.is_success() {
            let text = response.text().await.unwrap_or_default();
            return Err(self.fix_bucket(Refusal::parse(Some(status.as_u16()), &text).into_error()));
        }
        etag.ok_or_else(|| BlobError::Backend("the PUT was answered without an ETag".into()))
    }

    pub(crate) fn open(cfg: &S3Config) -> Result<Self, BlobError> {
        let inner = AmazonS3Builder::new()
            .with_bucket_name(&cfg.bucket)
            .with_region(&cfg.region)
            .with_access_key_id(&cfg.access_key_id)
            .with_secret_access_key(&cfg.secret_access_key)
            .with_endpoint(cfg.endpoint_str())
            .with_allow_http(cfg.allows_http())
            .with_virtual_hosted_style_request(!cfg.path_style)
            .build()
            .map_err(|e| BlobError::Config(e.to_string()))?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| BlobError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(Self {
            inner,
            sdk: crate::sdk::client(cfg),
            http,
            bucket: cfg.bucket.clone(),
            endpoint: cfg.endpoint_str(),
        })
    }

    fn fix_bucket(&self, err: BlobError) -> BlobError {
        match err {
            BlobError::NoSuchBucket { .. } => BlobError::NoSuchBucket {
                bucket: self.bucket.clone(),
            },
            other => other,
        }
    }

    async fn sign(
        &self,
        method: Method,
        key: &BlobKey,
        ttl: Duration,
        query: &[(&str, &str)],
    ) -> Result<Url, BlobError> {
        let options = SignedUrlOptions::new().with_query(query.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        Ok(self
            .inner
            .signed_url_opts(method, &key.to_path(), ttl.min(MAX_PRESIGN_TTL), &options)
            .await?)
    }
}

#[async_trait]
impl BlobStore for S3Store {
    fn backend(&self) -> &'static str {
        "s3"
    }

    fn describe(&self) -> String {
        format!("bucket {} at {}", self.bucket, self.endpoint)
    }

    async fn put(&self, key: &BlobKey, body: Bytes) -> Result<BlobMeta, BlobError> {
        let path = key.to_path();
        self.inner
            .put(&path, PutPayload::from(body))
            .await
            .map_err(|e| self.fix_bucket(e.into()))?;
        self.head(key).await
    }

    async fn put_stream(&self, key: &BlobKey, mut body: ByteStream) -> Result<BlobMeta, BlobError> {
        let upload = self
            .inner
            .put_multipart(&key.to_path())
            .await
            .map_err(|e| self.fix_bucket(e.into()))?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, STREAM_PART);
        while let Some(chunk) = body.next().await {
            match chunk {
                Ok(chunk) => {
                    // At most two parts in flight: memory stays around 2 × STREAM_PART.
                    writer.wait_for_capacity(2).await?;
                    writer.put(chunk);
                }
                Err(e) => {
                    writer.abort().await?;
                    return Err(e);
                }
            }
        }
        writer.finish().await?;
        self.head(key).await
    }

    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> Result<BlobRead, BlobError> {
        ranged_get(&self.inner, key, range)
            .await
            .map_err(|e| self.fix_bucket(e))
    }

    async fn head(&self, key: &BlobKey) -> Result<BlobMeta, BlobError> {
        let meta = self
            .inner
            .head(&key.to_path())
            .await
            .map_err(|e| self.fix_bucket(e.into()))?;
        meta_from(meta)
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        match self.inner.delete(&key.to_path()).await {
            Err(object_store::Error::NotFound { .. }) | Ok(()) => Ok(()),
            Err(e) => Err(self.fix_bucket(e.into())),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<BlobMeta>, BlobError> {
        let prefix = object_store::path::Path::from(prefix);
        let metas: Vec<ObjectMeta> = self
            .inner
            .list(Some(&prefix))
            .try_collect()
            .await
            .map_err(|e| self.fix_bucket(e.into()))?;
        metas.into_iter().map(meta_from).collect()
    }

    async fn put_sized(&self, key: &BlobKey, len: u64, body: ByteStream) -> Result<BlobMeta, BlobError> {
        let url = self.sign(Method::PUT, key, PART_URL_TTL, &[]).await?;
        self.streaming_put(url, len, exact_length(body, len, 0)).await?;
        self.head(key).await
    }

    fn resumable(self: std::sync::Arc<Self>) -> Resumable {
        Resumable::Parts(self)
    }

    fn presigner(self: std::sync::Arc<Self>) -> Option<std::sync::Arc<dyn Presign>> {
        Some(self)
    }
}

#[async_trait]
impl PartStore for S3Store {
    async fn begin_multipart(&self, key: &BlobKey) -> Result<MultipartId, BlobError> {
        let id = self
            .inner
            .create_multipart(&key.to_path())
            .await
            .map_err(|e| self.fix_bucket(e.into()))?;
        Ok(MultipartId(id))
    }

    async fn put_part(
        &self,
        key: &BlobKey,
        upload: &MultipartId,
        part: PartNumber,
        len: u64,
        body: ByteStream,
    ) -> Result<PartReceipt, BlobError> {
        let number = part.get().to_string();
        let query = [("partNumber", number.as_str()), ("uploadId", upload.0.as_str())];
        let url = self.sign(Method::PUT, key, PART_URL_TTL, &query).await?;
        let etag = self
            .streaming_put(url, len, exact_length(body, len, part.get()))
            .await?;
        Ok(PartReceipt {
            number: part,
            size: len,
            etag,
        })
    }

    async fn complete_multipart(
        &self,
        key: &BlobKey,
        upload: &MultipartId,
        parts: &[PartReceipt],
    ) -> Result<BlobMeta, BlobError> {
        // object_store numbers parts by their position in the list: they must be 1..=n.
        if let Some((i, p)) = parts.iter().enumerate().find(|(i, p)| p.number.get() as usize != i + 1) {
            return Err(BlobError::Backend(format!(
                "parts must be numbered 1..n without gaps; position {} holds part {}",
                i + 1,
                p.number.get()
            )));
        }
        let ids = parts
            .iter()
            .map(|p| PartId {
                content_id: p.etag.clone(),
            })
            .collect();
        self.inner
            .complete_multipart(&key.to_path(), &upload.0, ids)
            .await
            .map_err(|e| self.fix_bucket(e.into()))?;
        self.head(key).await
    }

    async fn abort_multipart(&self, key: &BlobKey, upload: &MultipartId) -> Result<(), BlobError> {
        match self
            .inner
            .abort_multipart(&key.to_path(), &upload.0)
            .await
            .map_err(BlobError::from)
        {
            Err(BlobError::NotFound { .. } | BlobError::NoSuchUpload(_)) | Ok(()) => Ok(()),
            // Some servers (s3s-fs among them) answer AccessDenied, not NoSuchUpload, for an
            // upload that no longer exists. If our credentials work otherwise, it is gone.
            Err(BlobError::Unauthorized { .. }) if self.ping().await.is_ok() => Ok(()),
            Err(e) => Err(self.fix_bucket(e)),
        }
    }

    async fn list_parts(&self, key: &BlobKey, upload: &MultipartId) -> Result<Vec<PartReceipt>, BlobError> {
        crate::sdk::list_parts(&self.sdk, &self.bucket, key, upload).await
    }
}

#[async_trait]
impl Presign for S3Store {
    async fn presign(&self, request: &PresignRequest) -> Result<Url, BlobError> {
        let (key, ttl) = (&request.key, request.expires_in);
        match &request.op {
            PresignOp::Get {
                content_disposition: Some(cd),
            } => {
                self.sign(Method::GET, key, ttl, &[("response-content-disposition", cd)])
                    .await
            }
            PresignOp::Get {
                content_disposition: None,
            } => self.sign(Method::GET, key, ttl, &[]).await,
            PresignOp::Put => self.sign(Method::PUT, key, ttl, &[]).await,
            PresignOp::CreateMultipart => self.sign(Method::POST, key, ttl, &[("uploads", "")]).await,
            PresignOp::UploadPart { upload, part } => {
                let number = part.get().to_string();
                self.sign(
                    Method::PUT,
                    key,
                    ttl,
                    &[("partNumber", &number), ("uploadId", &upload.0)],
                )
                .await
            }
            PresignOp::CompleteMultipart { upload } => {
                self.sign(Method::POST, key, ttl, &[("uploadId", &upload.0)]).await
            }
            PresignOp::ListParts { upload } => self.sign(Method::GET, key, ttl, &[("uploadId", &upload.0)]).await,
            PresignOp::AbortMultipart { upload } => {
                self.sign(Method::DELETE, key, ttl, &[("uploadId", &upload.0)]).await
            }
        }
    }
}

fn request_error(err: &reqwest::Error) -> BlobError {
    // Without the URL: a presigned one carries its credential and signature, and this
    // text reaches logs and pages.
    let mut detail = match err.url() {
        Some(url) => err.to_string().replace(url.as_str(), url.path()),
        None => err.to_string(),
    };
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        source = s.source();
    }
    if err.is_connect() || err.is_timeout() {
        BlobError::Unreachable { detail }
    } else if err.is_body() || err.is_request() {
        BlobError::Body(detail)
    } else {
        BlobError::Backend(detail)
    }
}
