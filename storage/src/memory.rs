//! Process memory, through object_store's `InMemory`; for unit tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::memory::InMemory;
use object_store::multipart::{MultipartStore, PartId};
use object_store::{GetOptions, GetRange, ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload};

use crate::error::BlobError;
use crate::key::BlobKey;
use uuid::Uuid;

use crate::store::{
    BlobMeta, BlobRead, BlobStore, ByteRange, ByteStream, MultipartId, PartNumber, PartReceipt, StagingFile,
    StagingKind, exact_length, resolve_range,
};

type Staging = Arc<Mutex<HashMap<Uuid, Vec<u8>>>>;

#[derive(Debug)]
pub(crate) struct MemoryStore {
    inner: InMemory,
    staging: Staging,
}

impl MemoryStore {
    pub(crate) fn new() -> Self {
        Self {
            inner: InMemory::new(),
            staging: Staging::default(),
        }
    }
}

/// Staging in memory: writes land at once, `sync` has nothing to do.
struct MemoryAppend {
    staging: Staging,
    id: Uuid,
}

fn lock(staging: &Staging) -> Result<std::sync::MutexGuard<'_, HashMap<Uuid, Vec<u8>>>, BlobError> {
    staging
        .lock()
        .map_err(|_| BlobError::Backend("staging lock poisoned".into()))
}

impl StagingFile for MemoryAppend {
    fn write_all(&self, data: &mut [std::io::IoSlice<'_>]) -> std::io::Result<()> {
        let mut map = lock(&self.staging).map_err(std::io::Error::other)?;
        let bytes = map.entry(self.id).or_default();
        data.iter().for_each(|piece| bytes.extend_from_slice(piece));
        Ok(())
    }

    fn sync(&self) -> std::io::Result<()> {
        Ok(())
    }
}

pub(crate) fn meta_from(meta: ObjectMeta) -> Result<BlobMeta, BlobError> {
    Ok(BlobMeta {
        key: BlobKey::parse(meta.location.as_ref()).map_err(|e| BlobError::Backend(e.to_string()))?,
        size: meta.size,
        etag: meta.e_tag,
        last_modified_ms: meta.last_modified.timestamp_millis(),
    })
}

/// Collects a stream into a payload: object_store's multipart API takes whole parts.
/// Only the memory backend does this; S3 parts are streamed (see `s3.rs`).
async fn collect(body: ByteStream) -> Result<PutPayload, BlobError> {
    let chunks: Vec<Bytes> = body.try_collect().await?;
    Ok(chunks.into_iter().collect())
}

pub(crate) async fn ranged_get(
    store: &dyn ObjectStore,
    key: &BlobKey,
    range: Option<ByteRange>,
) -> Result<BlobRead, BlobError> {
    let path = key.to_path();
    let meta = meta_from(store.head(&path).await?)?;
    let range = resolve_range(range, meta.size)?;
    if range.is_empty() {
        return Ok(BlobRead {
            meta,
            range,
            body: futures_util::stream::empty().boxed(),
        });
    }
    let options = GetOptions {
        range: Some(GetRange::Bounded(range.start..range.end)),
        ..Default::default()
    };
    let result = store.get_opts(&path, options).await?;
    let body = result.into_stream().map_err(BlobError::from).boxed();
    Ok(BlobRead { meta, range, body })
}

#[async_trait]
impl BlobStore for MemoryStore {
    fn backend(&self) -> &'static str {
        "memory"
    }

    fn describe(&self) -> String {
        "memory (nothing is kept after the process ends)".into()
    }

    fn staging_kind(&self) -> StagingKind {
        StagingKind::Append
    }

    async fn open_staging(&self, staging: Uuid, offset: u64) -> Result<Arc<dyn StagingFile>, BlobError> {
        let mut map = lock(&self.staging)?;
        let bytes = map.entry(staging).or_default();
        let have = bytes.len() as u64;
        if have < offset {
            return Err(BlobError::StagingShort {
                staging: staging.to_string(),
                have,
                want: offset,
            });
        }
        bytes.truncate(offset as usize);
        Ok(Arc::new(MemoryAppend {
            staging: self.staging.clone(),
            id: staging,
        }))
    }

    async fn finish_append(&self, staging: Uuid, len: u64, key: &BlobKey) -> Result<BlobMeta, BlobError> {
        let mut bytes = lock(&self.staging)?.remove(&staging).unwrap_or_default();
        if (bytes.len() as u64) < len {
            return Err(BlobError::StagingShort {
                staging: staging.to_string(),
                have: bytes.len() as u64,
                want: len,
            });
        }
        bytes.truncate(len as usize);
        self.put(key, Bytes::from(bytes)).await
    }

    async fn discard_append(&self, staging: Uuid) -> Result<(), BlobError> {
        lock(&self.staging)?.remove(&staging);
        Ok(())
    }

    async fn put(&self, key: &BlobKey, body: Bytes) -> Result<BlobMeta, BlobError> {
        self.inner.put(&key.to_path(), body.into()).await?;
        self.head(key).await
    }

    async fn put_stream(&self, key: &BlobKey, body: ByteStream) -> Result<BlobMeta, BlobError> {
        self.inner.put(&key.to_path(), collect(body).await?).await?;
        self.head(key).await
    }

    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> Result<BlobRead, BlobError> {
        ranged_get(&self.inner, key, range).await
    }

    async fn head(&self, key: &BlobKey) -> Result<BlobMeta, BlobError> {
        meta_from(self.inner.head(&key.to_path()).await?)
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        match self.inner.delete(&key.to_path()).await {
            Err(object_store::Error::NotFound { .. }) | Ok(()) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<BlobMeta>, BlobError> {
        let prefix = object_store::path::Path::from(prefix);
        let metas: Vec<ObjectMeta> = self.inner.list(Some(&prefix)).try_collect().await?;
        metas.into_iter().map(meta_from).collect()
    }

    async fn begin_multipart(&self, key: &BlobKey) -> Result<MultipartId, BlobError> {
        Ok(MultipartId(self.inner.create_multipart(&key.to_path()).await?))
    }

    async fn put_part(
        &self,
        key: &BlobKey,
        upload: &MultipartId,
        part: PartNumber,
        len: u64,
        body: ByteStream,
    ) -> Result<PartReceipt, BlobError> {
        let payload = collect(exact_length(body, len, part.get())).await?;
        if payload.content_length() as u64 != len {
            return Err(BlobError::PartLength {
                part: part.get(),
                expected: len,
                actual: payload.content_length() as u64,
            });
        }
        let index = part.get() as usize - 1;
        let id = self.inner.put_part(&key.to_path(), &upload.0, index, payload).await?;
        Ok(PartReceipt {
            number: part,
            size: len,
            etag: id.content_id,
        })
    }

    async fn complete_multipart(
        &self,
        key: &BlobKey,
        upload: &MultipartId,
        parts: &[PartReceipt],
    ) -> Result<BlobMeta, BlobError> {
        let ids: Vec<PartId> = parts
            .iter()
            .map(|p| PartId {
                content_id: p.etag.clone(),
            })
            .collect();
        self.inner.complete_multipart(&key.to_path(), &upload.0, ids).await?;
        self.head(key).await
    }

    async fn abort_multipart(&self, key: &BlobKey, upload: &MultipartId) -> Result<(), BlobError> {
        match self.inner.abort_multipart(&key.to_path(), &upload.0).await {
            Err(object_store::Error::NotFound { .. }) | Ok(()) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }
}
