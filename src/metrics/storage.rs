//! Object storage, counted: every operation of the store underneath by backend and name,
//! its failures and its duration, each inside a `storage` span so that the log shows
//! which request or job it served.

use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use bytes::Bytes;
use relais_storage::{
    BlobError, BlobKey, BlobMeta, BlobRead, BlobStore, ByteRange, ByteStream, FileCheck, MultipartId, PartNumber,
    PartReceipt, PartStore, Presign, PresignRequest, Resumable, StagingFile, StagingStore,
};
use tracing::Instrument;
use url::Url;

use super::{SharedMetrics, StorageLabels};

/// Wraps `inner` so that its work shows in the metrics and the log.
pub fn metered(inner: Arc<dyn BlobStore>, metrics: SharedMetrics) -> Arc<dyn BlobStore> {
    Arc::new(Metered::new(inner.backend(), inner, metrics))
}

/// One capability of a store (objects, parts, staging files, signed URLs), counted.
pub struct Metered<T: ?Sized> {
    inner: Arc<T>,
    metrics: SharedMetrics,
    backend: &'static str,
}

impl<T: ?Sized> Metered<T> {
    fn new(backend: &'static str, inner: Arc<T>, metrics: SharedMetrics) -> Self {
        Self {
            inner,
            metrics,
            backend,
        }
    }

    /// Another capability of the same store, counted the same way.
    fn beside<U: ?Sized>(&self, inner: Arc<U>) -> Metered<U> {
        Metered::new(self.backend, inner, self.metrics.clone())
    }

    async fn observe<R>(
        &self,
        op: &'static str,
        work: impl Future<Output = Result<R, BlobError>>,
    ) -> Result<R, BlobError> {
        observe(&self.metrics, self.backend, op, work).await
    }
}

impl fmt::Debug for Metered<dyn BlobStore> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

/// Runs one operation inside its span and counts it. An absent object is an answer, not
/// a failure of the store.
async fn observe<T>(
    metrics: &SharedMetrics,
    backend: &'static str,
    op: &'static str,
    work: impl Future<Output = Result<T, BlobError>>,
) -> Result<T, BlobError> {
    let span = tracing::debug_span!("storage", backend, op);
    let started = Instant::now();
    let result = work.instrument(span.clone()).await;
    let labels = StorageLabels { backend, op };
    metrics.storage_ops.get_or_create(&labels).inc();
    metrics
        .storage_seconds
        .get_or_create(&labels)
        .observe(started.elapsed().as_secs_f64());
    match &result {
        Err(e) if !e.is_not_found() => {
            metrics.storage_errors.get_or_create(&labels).inc();
            span.in_scope(|| tracing::warn!(error = %e, "storage operation failed"));
        }
        _ => span.in_scope(|| tracing::debug!(elapsed_ms = started.elapsed().as_millis(), "storage operation")),
    }
    result
}

#[async_trait]
impl BlobStore for Metered<dyn BlobStore> {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn local_path(&self, key: &BlobKey) -> Option<std::path::PathBuf> {
        self.inner.local_path(key)
    }

    async fn put(&self, key: &BlobKey, body: Bytes) -> Result<BlobMeta, BlobError> {
        self.observe("put", self.inner.put(key, body)).await
    }

    async fn put_stream(&self, key: &BlobKey, body: ByteStream) -> Result<BlobMeta, BlobError> {
        self.observe("put_stream", self.inner.put_stream(key, body)).await
    }

    async fn put_sized(&self, key: &BlobKey, len: u64, body: ByteStream) -> Result<BlobMeta, BlobError> {
        self.observe("put_sized", self.inner.put_sized(key, len, body)).await
    }

    async fn put_file_checked(
        &self,
        key: &BlobKey,
        src: &std::path::Path,
        check: FileCheck,
    ) -> Result<BlobMeta, BlobError> {
        self.observe("put_file_checked", self.inner.put_file_checked(key, src, check))
            .await
    }

    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> Result<BlobRead, BlobError> {
        self.observe("get", self.inner.get(key, range)).await
    }

    async fn head(&self, key: &BlobKey) -> Result<BlobMeta, BlobError> {
        self.observe("head", self.inner.head(key)).await
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        self.observe("delete", self.inner.delete(key)).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<BlobMeta>, BlobError> {
        self.observe("list", self.inner.list(prefix)).await
    }

    fn resumable(self: Arc<Self>) -> Resumable {
        match self.inner.clone().resumable() {
            Resumable::Staging(files) => Resumable::Staging(Arc::new(self.beside(files))),
            Resumable::Parts(parts) => Resumable::Parts(Arc::new(self.beside(parts))),
        }
    }

    fn presigner(self: Arc<Self>) -> Option<Arc<dyn Presign>> {
        let inner = self.inner.clone().presigner()?;
        Some(Arc::new(self.beside(inner)))
    }

    async fn ping(&self) -> Result<(), BlobError> {
        self.observe("ping", self.inner.ping()).await
    }

    async fn probe(&self) -> Result<(), BlobError> {
        self.observe("probe", self.inner.probe()).await
    }
}

#[async_trait]
impl PartStore for Metered<dyn PartStore> {
    async fn begin_multipart(&self, key: &BlobKey) -> Result<MultipartId, BlobError> {
        self.observe("begin_multipart", self.inner.begin_multipart(key)).await
    }

    async fn put_part(
        &self,
        key: &BlobKey,
        upload: &MultipartId,
        part: PartNumber,
        len: u64,
        body: ByteStream,
    ) -> Result<PartReceipt, BlobError> {
        self.observe("put_part", self.inner.put_part(key, upload, part, len, body))
            .await
    }

    async fn complete_multipart(
        &self,
        key: &BlobKey,
        upload: &MultipartId,
        parts: &[PartReceipt],
    ) -> Result<BlobMeta, BlobError> {
        self.observe("complete_multipart", self.inner.complete_multipart(key, upload, parts))
            .await
    }

    async fn list_parts(&self, key: &BlobKey, upload: &MultipartId) -> Result<Vec<PartReceipt>, BlobError> {
        self.observe("list_parts", self.inner.list_parts(key, upload)).await
    }

    async fn abort_multipart(&self, key: &BlobKey, upload: &MultipartId) -> Result<(), BlobError> {
        self.observe("abort_multipart", self.inner.abort_multipart(key, upload))
            .await
    }
}

#[async_trait]
impl StagingStore for Metered<dyn StagingStore> {
    async fn open_staging(&self, staging: uuid::Uuid, offset: u64) -> Result<Arc<dyn StagingFile>, BlobError> {
        let inner = self
            .observe("open_staging", self.inner.open_staging(staging, offset))
            .await?;
        Ok(Arc::new(MeteredStaging {
            inner,
            metrics: self.metrics.clone(),
            backend: self.backend,
        }))
    }

    async fn finish_staging(&self, staging: uuid::Uuid, len: u64, key: &BlobKey) -> Result<BlobMeta, BlobError> {
        self.observe("finish_staging", self.inner.finish_staging(staging, len, key))
            .await
    }

    async fn discard_staging(&self, staging: uuid::Uuid) -> Result<(), BlobError> {
        self.observe("discard_staging", self.inner.discard_staging(staging))
            .await
    }
}

#[async_trait]
impl Presign for Metered<dyn Presign> {
    async fn presign(&self, request: &PresignRequest) -> Result<Url, BlobError> {
        self.observe("presign", self.inner.presign(request)).await
    }
}

/// The staging file of a resumable upload: its syncs (the durable checkpoints) are
/// counted and timed, its writes only when they fail. Both run on the writer's threads,
/// outside any span.
struct MeteredStaging {
    inner: Arc<dyn StagingFile>,
    metrics: SharedMetrics,
    backend: &'static str,
}

impl MeteredStaging {
    fn count_error(&self, op: &'static str) {
        let labels = StorageLabels {
            backend: self.backend,
            op,
        };
        self.metrics.storage_errors.get_or_create(&labels).inc();
    }
}

impl StagingFile for MeteredStaging {
    fn write_all(&self, data: &mut [std::io::IoSlice<'_>]) -> std::io::Result<()> {
        // The hot path of every upload: only failures are counted here.
        let written = self.inner.write_all(data);
        if written.is_err() {
            self.count_error("append_write");
        }
        written
    }

    fn sync(&self) -> std::io::Result<()> {
        let started = Instant::now();
        let synced = self.inner.sync();
        let labels = StorageLabels {
            backend: self.backend,
            op: "append_sync",
        };
        self.metrics.storage_ops.get_or_create(&labels).inc();
        self.metrics
            .storage_seconds
            .get_or_create(&labels)
            .observe(started.elapsed().as_secs_f64());
        if synced.is_err() {
            self.count_error("append_sync");
        }
        synced
    }
}
