//! Process memory, through object_store's `InMemory`; for unit tests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::TryStreamExt;
use object_store::memory::InMemory;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt, PutPayload};
use uuid::Uuid;

use crate::error::BlobError;
use crate::key::BlobKey;
use crate::object::{BlobMeta, BlobRead, BlobStore, ByteRange, Resumable};
use crate::object_store_glue::{meta_from, ranged_get};
use crate::staging::{StagingFile, StagingStore};
use crate::stream::ByteStream;

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

/// Collects a stream into a payload: memory has nowhere else to put it.
async fn collect(body: ByteStream) -> Result<PutPayload, BlobError> {
    let chunks: Vec<Bytes> = body.try_collect().await?;
    Ok(chunks.into_iter().collect())
}

#[async_trait]
impl BlobStore for MemoryStore {
    fn backend(&self) -> &'static str {
        "memory"
    }

    fn describe(&self) -> String {
        "memory (nothing is kept after the process ends)".into()
    }

    fn resumable(self: Arc<Self>) -> Resumable {
        Resumable::Staging(self)
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
}

#[async_trait]
impl StagingStore for MemoryStore {
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

    async fn finish_staging(&self, staging: Uuid, len: u64, key: &BlobKey) -> Result<BlobMeta, BlobError> {
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

    async fn discard_staging(&self, staging: Uuid) -> Result<(), BlobError> {
        lock(&self.staging)?.remove(&staging);
        Ok(())
    }
}
