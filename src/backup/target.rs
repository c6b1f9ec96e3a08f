//! A backup target as object storage: a directory (the local backend rooted there) or a
//! bucket and prefix on an S3 service. Everything is addressed by a path relative to the
//! target's prefix.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryStreamExt;
use relais_storage::{BlobError, BlobKey, BlobStore, ByteStream, StorageConfig};

use super::BackupError;
use crate::config::{BackupTarget, Config};

pub struct Target {
    store: Arc<dyn BlobStore>,
    prefix: String,
    shown: String,
}

impl Target {
    /// Opens `spec`, refusing a target that is (or lies inside) the live storage: a backup
    /// must survive the loss of what it backs up.
    pub fn open(spec: &BackupTarget, cfg: &Config) -> Result<Self, BackupError> {
        let shown = spec.to_string();
        let refuse = |why: &str| Err(BackupError::Refused(format!("backup target {shown}: {why}")));
        let (storage, prefix) = match spec {
            BackupTarget::Dir(dir) => {
                if let StorageConfig::Local { root } = &cfg.storage
                    && overlaps(dir, root)
                {
                    return refuse("it is inside the live storage (or contains it); choose another directory");
                }
                if overlaps(dir, &cfg.data_dir) {
                    return refuse(
                        "it is inside data_dir (or contains it), which a lost disk takes with it; choose another directory",
                    );
                }
                (StorageConfig::Local { root: dir.clone() }, String::new())
            }
            BackupTarget::S3 { bucket, prefix } => {
                if let StorageConfig::S3(live) = &cfg.storage
                    && live.bucket == *bucket
                    && same_service(live, cfg.backup.s3.as_ref())
                {
                    return refuse("it is the live bucket; use another bucket");
                }
                let Some(s3) = cfg.backup.s3.clone() else {
                    return refuse("no S3 service is configured for it (backup.s3.*)");
                };
                let s3 = relais_storage::S3Config {
                    bucket: bucket.clone(),
                    ..s3
                };
                (StorageConfig::S3(s3), prefix.clone())
            }
        };
        let store = relais_storage::open(&storage).map_err(|source| BackupError::Target {
            target: shown.clone(),
            source,
        })?;
        Ok(Self { store, prefix, shown })
    }

    pub fn shown(&self) -> &str {
        &self.shown
    }

    fn key(&self, rel: &str) -> Result<BlobKey, BackupError> {
        let full = if self.prefix.is_empty() {
            rel.to_owned()
        } else {
            format!("{}/{rel}", self.prefix)
        };
        BlobKey::parse(&full).map_err(|e| BackupError::Damaged(e.to_string()))
    }

    fn fail(&self) -> impl FnOnce(BlobError) -> BackupError + '_ {
        move |source| BackupError::Target {
            target: self.shown.clone(),
            source,
        }
    }

    pub async fn put(&self, rel: &str, body: Bytes) -> Result<(), BackupError> {
        self.store.put(&self.key(rel)?, body).await.map_err(self.fail())?;
        Ok(())
    }

    pub async fn put_stream(&self, rel: &str, len: u64, body: ByteStream) -> Result<(), BackupError> {
        self.store
            .put_sized(&self.key(rel)?, len, body)
            .await
            .map_err(self.fail())?;
        Ok(())
    }

    /// Copies a local file to `rel`.
    pub async fn put_file(&self, rel: &str, path: &Path) -> Result<(), BackupError> {
        let file = tokio::fs::File::open(path).await.map_err(BackupError::io(path))?;
        let len = file.metadata().await.map_err(BackupError::io(path))?.len();
        let body = tokio_util::io::ReaderStream::with_capacity(file, 1 << 20).map_err(BlobError::from);
        self.put_stream(rel, len, Box::pin(body)).await
    }

    /// The whole of a small object, or `None` when it does not exist.
    pub async fn get_small(&self, rel: &str) -> Result<Option<Bytes>, BackupError> {
        match self.store.get(&self.key(rel)?, None).await {
            Ok(read) => {
                let chunks: Vec<Bytes> = read.body.try_collect().await.map_err(self.fail())?;
                Ok(Some(chunks.concat().into()))
            }
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(self.fail()(e)),
        }
    }

    /// The object's size and bytes.
    pub async fn get(&self, rel: &str) -> Result<(u64, ByteStream), BackupError> {
        let read = self.store.get(&self.key(rel)?, None).await.map_err(self.fail())?;
        Ok((read.meta.size, read.body))
    }

    /// The size of `rel`, or `None` when it does not exist.
    pub async fn size(&self, rel: &str) -> Result<Option<u64>, BackupError> {
        match self.store.head(&self.key(rel)?).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(self.fail()(e)),
        }
    }

    /// Every object under `rel` (a folder), as paths relative to the target, with sizes.
    pub async fn list(&self, rel: &str) -> Result<Vec<(String, u64)>, BackupError> {
        let listed = match self.store.list(self.key(rel)?.as_str()).await {
            Ok(listed) => listed,
            Err(e) if e.is_not_found() => return Ok(Vec::new()),
            Err(e) => return Err(self.fail()(e)),
        };
        let skip = if self.prefix.is_empty() {
            0
        } else {
            self.prefix.len() + 1
        };
        Ok(listed
            .into_iter()
            .map(|m| (m.key.as_str()[skip..].to_owned(), m.size))
            .collect())
    }

    pub async fn delete(&self, rel: &str) -> Result<(), BackupError> {
        match self.store.delete(&self.key(rel)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.is_not_found() => Ok(()),
            Err(e) => Err(self.fail()(e)),
        }
    }
}

fn overlaps(a: &Path, b: &Path) -> bool {
    let a = std::path::absolute(a).unwrap_or_else(|_| a.to_path_buf());
    let b = std::path::absolute(b).unwrap_or_else(|_| b.to_path_buf());
    a.starts_with(&b) || b.starts_with(&a)
}

/// Whether the backup's S3 service is the live one (same endpoint): only then is the
/// same bucket name the same bucket.
fn same_service(live: &relais_storage::S3Config, backup: Option<&relais_storage::S3Config>) -> bool {
    backup.is_none_or(|b| b.endpoint_str() == live.endpoint_str())
}
