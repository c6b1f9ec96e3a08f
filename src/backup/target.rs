//! A backup target as object storage: a directory (the local backend rooted there) or a
//! bucket and prefix on an S3 service. Everything is addressed by a path relative to the
//! target's prefix.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::TryStreamExt;
use relais_storage::{BlobError, BlobKey, BlobStore, ByteStream, FileCheck, StorageConfig};

use super::BackupError;
use crate::config::{BackupTarget, Config};
use crate::domain::Timestamp;

pub struct Target {
    store: Arc<dyn BlobStore>,
    prefix: String,
    shown: String,
}

impl Target {
    /// Opens `spec`, refusing a target that is (or lies inside) the live storage: a backup
    /// must survive the loss of what it backs up.
    /// Opens a target to read from (restore, verify): a directory must already exist,
    /// rather than be created empty by a typo.
    pub fn open_existing(spec: &BackupTarget, cfg: &Config) -> Result<Self, BackupError> {
        if let BackupTarget::Dir(dir) = spec
            && !dir.is_dir()
        {
            return Err(BackupError::Refused(format!(
                "backup target {}: no such directory",
                dir.display()
            )));
        }
        Self::open(spec, cfg)
    }

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
        let key = self.key(rel)?;
        let stored = if len > relais_storage::MAX_SINGLE_PUT {
            self.store.put_stream(&key, body).await
        } else {
            self.store.put_sized(&key, len, body).await
        };
        stored.map_err(self.fail())?;
        Ok(())
    }

    /// Copies a local file to `rel`, kept only when `check` passes over it (see
    /// [`BlobStore::put_file_checked`]).
    pub async fn put_file_checked(&self, rel: &str, src: &Path, check: FileCheck) -> Result<(), BackupError> {
        self.store
            .put_file_checked(&self.key(rel)?, src, check)
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
        Ok(self
            .list_dated(rel)
            .await?
            .into_iter()
            .map(|(p, s, _)| (p, s))
            .collect())
    }

    /// The same, with each object's last modification.
    pub async fn list_dated(&self, rel: &str) -> Result<Vec<(String, u64, Timestamp)>, BackupError> {
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
            .map(|m| {
                (
                    m.key.as_str()[skip..].to_owned(),
                    m.size,
                    Timestamp::from_millis(m.last_modified_ms),
                )
            })
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
    let (a, b) = (resolved(a), resolved(b));
    a.starts_with(&b) || b.starts_with(&a)
}

/// The real path: `..` and symbolic links resolved for the part that exists, the rest
/// appended as written (a target about to be created).
fn resolved(path: &Path) -> std::path::PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut out = real;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return out;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

/// Whether the backup's S3 service may be the live one. On AWS (no endpoint) bucket
/// names are global, whatever the region; elsewhere the same host and port is the same
/// service.
fn same_service(live: &relais_storage::S3Config, backup: Option<&relais_storage::S3Config>) -> bool {
    let place = |u: &url::Url| (u.host_str().map(str::to_ascii_lowercase), u.port_or_known_default());
    match (backup.map(|b| b.endpoint.as_ref()), live.endpoint.as_ref()) {
        (None, _) => true,
        (Some(None), None) => true,
        (Some(Some(b)), Some(l)) => place(b) == place(l),
        (Some(_), _) => false,
    }
}
