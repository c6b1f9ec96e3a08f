//! A directory on this machine.
//!
//! Written by hand rather than through object_store's `LocalFileSystem` because Relais
//! needs two things it does not give: staging files that another process can resume at a
//! committed offset (under `.staging/`), and durability (every object is fsynced before it
//! is renamed into place, so a crash leaves either the old state or the new).

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::fs;
use uuid::Uuid;

use crate::error::BlobError;
use crate::file_io::{FileAppender, read_stream};
use crate::key::BlobKey;
use crate::object::{BlobMeta, BlobRead, BlobStore, ByteRange, FileCheck, Resumable, resolve_range};

mod staging;
use crate::stream::ByteStream;

#[derive(Debug)]
pub(crate) struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    pub(crate) fn open(root: &Path) -> Result<Self, BlobError> {
        for dir in [root.to_path_buf(), root.join(".tmp"), root.join(".staging")] {
            std::fs::create_dir_all(&dir)
                .map_err(|e| BlobError::Config(format!("cannot create storage directory {}: {e}", dir.display())))?;
        }
        Ok(Self {
            root: root.to_path_buf(),
        })
    }

    fn path_of(&self, key: &BlobKey) -> PathBuf {
        // BlobKey guarantees plain segments: no `..`, no absolute paths, no leading dot.
        self.root.join(key.as_str())
    }

    fn staging_path(&self, staging: Uuid) -> PathBuf {
        self.root.join(".staging").join(staging.simple().to_string())
    }

    fn temp_path(&self) -> PathBuf {
        self.root.join(".tmp").join(Uuid::new_v4().simple().to_string())
    }

    async fn meta_of(&self, key: &BlobKey) -> Result<BlobMeta, BlobError> {
        let md = fs::metadata(self.path_of(key))
            .await
            .map_err(|e| not_found_or(e, key))?;
        if !md.is_file() {
            return Err(BlobError::not_found(key));
        }
        Ok(file_meta(key.clone(), &md))
    }

    /// Moves a fully written, fsynced temporary file to its final place.
    async fn publish(&self, temp: &Path, key: &BlobKey) -> Result<BlobMeta, BlobError> {
        let dest = self.path_of(key);
        let parent = dest
            .parent()
            .ok_or_else(|| BlobError::Backend("key without parent".into()))?;
        fs::create_dir_all(parent).await?;
        fs::rename(temp, &dest).await?;
        sync_dir(parent).await?;
        self.meta_of(key).await
    }
}

fn not_found_or(err: std::io::Error, key: &BlobKey) -> BlobError {
    if err.kind() == std::io::ErrorKind::NotFound {
        BlobError::not_found(key)
    } else {
        BlobError::Io(err)
    }
}

fn file_meta(key: BlobKey, md: &std::fs::Metadata) -> BlobMeta {
    let modified = md
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .unwrap_or_default();
    BlobMeta {
        key,
        size: md.len(),
        // Size and modification time change whenever the content is replaced.
        etag: Some(format!("{:x}-{:x}", md.len(), modified.as_nanos())),
        last_modified_ms: i64::try_from(modified.as_millis()).unwrap_or(i64::MAX),
    }
}

async fn sync_dir(dir: &Path) -> Result<(), BlobError> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || std::fs::File::open(&dir)?.sync_all())
        .await
        .map_err(|e| BlobError::Backend(format!("fsync task failed: {e}")))??;
    Ok(())
}

/// Writes a stream to a new file and fsyncs it; removes the file if anything fails.
async fn write_file(path: &Path, mut body: ByteStream) -> Result<u64, BlobError> {
    let result = async {
        let mut file = FileAppender::new(fs::File::create(path).await?.into_std().await);
        let mut written = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            file.write(&chunk).await?;
            written += chunk.len() as u64;
        }
        file.sync().await?;
        Ok(written)
    }
    .await;
    if result.is_err() {
        let _ = fs::remove_file(path).await;
    }
    result
}

#[async_trait]
impl BlobStore for LocalStore {
    fn backend(&self) -> &'static str {
        "local"
    }

    fn local_path(&self, key: &BlobKey) -> Option<PathBuf> {
        Some(self.path_of(key))
    }

    fn describe(&self) -> String {
        format!("directory {}", self.root.display())
    }

    /// The root directory must still be there (an unmounted disk is the usual failure).
    async fn ping(&self) -> Result<(), BlobError> {
        match fs::metadata(&self.root).await {
            Ok(md) if md.is_dir() => Ok(()),
            Ok(_) => Err(BlobError::Config(format!("{} is not a directory", self.root.display()))),
            Err(e) => Err(BlobError::Io(e)),
        }
    }

    fn resumable(self: std::sync::Arc<Self>) -> Resumable {
        Resumable::Staging(self)
    }

    async fn put(&self, key: &BlobKey, body: Bytes) -> Result<BlobMeta, BlobError> {
        self.put_stream(key, futures_util::stream::once(async { Ok(body) }).boxed())
            .await
    }

    async fn put_stream(&self, key: &BlobKey, body: ByteStream) -> Result<BlobMeta, BlobError> {
        let temp = self.temp_path();
        write_file(&temp, body).await?;
        self.publish(&temp, key).await
    }

    /// The kernel copies (`copy_file_range`: the bytes never enter this process) while
    /// another thread runs the check over the source, usually from the page cache; the
    /// copy is fsynced and published only when both succeed.
    async fn put_file_checked(&self, key: &BlobKey, src: &Path, check: FileCheck) -> Result<BlobMeta, BlobError> {
        let temp = self.temp_path();
        let (from, to) = (src.to_path_buf(), temp.clone());
        let copy = tokio::task::spawn_blocking(move || -> Result<(), BlobError> {
            std::fs::copy(&from, &to)?;
            std::fs::File::open(&to)?.sync_all()?;
            Ok(())
        });
        let from = src.to_path_buf();
        let checked = tokio::task::spawn_blocking(move || check(&from));
        let (copied, checked) = tokio::join!(copy, checked);
        let joined = |r: Result<Result<(), BlobError>, tokio::task::JoinError>| {
            r.map_err(|e| BlobError::Backend(format!("copy task failed: {e}")))?
        };
        let done = joined(copied).and(joined(checked));
        if let Err(e) = done {
            let _ = fs::remove_file(&temp).await;
            return Err(e);
        }
        self.publish(&temp, key).await
    }

    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> Result<BlobRead, BlobError> {
        let file = fs::File::open(self.path_of(key))
            .await
            .map_err(|e| not_found_or(e, key))?;
        let md = file.metadata().await?;
        let meta = file_meta(key.clone(), &md);
        let range = resolve_range(range, meta.size)?;
        let body = read_stream(file.into_std().await, range.start, range.len());
        Ok(BlobRead { meta, range, body })
    }

    async fn head(&self, key: &BlobKey) -> Result<BlobMeta, BlobError> {
        self.meta_of(key).await
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        match fs::remove_file(self.path_of(key)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<BlobMeta>, BlobError> {
        let prefix = BlobKey::parse(prefix).map_err(|e| BlobError::Config(e.to_string()))?;
        let root = self.root.clone();
        let start = self.path_of(&prefix);
        tokio::task::spawn_blocking(move || list_files(&root, &start))
            .await
            .map_err(|e| BlobError::Backend(format!("list task failed: {e}")))?
    }
}

fn list_files(root: &Path, start: &Path) -> Result<Vec<BlobMeta>, BlobError> {
    let mut found = Vec::new();
    let mut pending = vec![start.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e.into()),
        };
        for entry in entries {
            let entry = entry?;
            let md = entry.metadata()?;
            let path = entry.path();
            if md.is_dir() {
                pending.push(path);
            } else if let Some(key) = path
                .strip_prefix(root)
                .ok()
                .and_then(|p| p.to_str())
                .and_then(|p| BlobKey::parse(p).ok())
            {
                found.push(file_meta(key, &md));
            }
        }
    }
    found.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::staging::{StagingFile, StagingStore};

    #[tokio::test]
    async fn append_staging_drops_uncommitted_bytes_and_publishes_atomically() {
        let dir = tempfile::tempdir().expect("dir");
        let store = LocalStore::open(dir.path()).expect("open");
        let id = Uuid::new_v4();
        let write = |w: &dyn StagingFile, data: &[u8]| {
            w.write_all(&mut [std::io::IoSlice::new(data)]).expect("write");
            w.sync().expect("sync");
        };
        let w = store.open_staging(id, 0).await.expect("open");
        write(&*w, b"hello ");
        write(&*w, b"never committed");
        drop(w);

        // Resume at the committed offset: the extra bytes are cut off.
        let w = store.open_staging(id, 6).await.expect("reopen");
        write(&*w, b"world");
        drop(w);
        assert!(matches!(
            store.open_staging(id, 100).await,
            Err(BlobError::StagingShort {
                have: 11,
                want: 100,
                ..
            })
        ));

        let key = crate::keys::file(Uuid::new_v4());
        let meta = store.finish_staging(id, 11, &key).await.expect("finish");
        assert_eq!(meta.size, 11);
        assert_eq!(
            std::fs::read(dir.path().join(key.as_str())).expect("read"),
            b"hello world"
        );
        assert!(
            !store.staging_path(id).exists(),
            "the staging file was moved, not copied"
        );
        store
            .discard_staging(id)
            .await
            .expect("discarding an unknown staging file is fine");
    }

    #[tokio::test]
    async fn a_staging_file_is_opened_by_one_writer_at_a_time() {
        let dir = tempfile::tempdir().expect("dir");
        let store = LocalStore::open(dir.path()).expect("open");
        let id = Uuid::new_v4();
        let first = store.open_staging(id, 0).await.expect("open");
        first
            .write_all(&mut [std::io::IoSlice::new(b"committed and more")])
            .expect("write");
        // A second writer waits while the first still holds the file open...
        let second = store.open_staging(id, 9);
        tokio::pin!(second);
        assert!(
            tokio::time::timeout(std::time::Duration::from_millis(200), &mut second)
                .await
                .is_err(),
            "the second writer waited"
        );
        // ...and cuts it back to the committed offset only once the first is gone.
        drop(first);
        let second = second.await.expect("opened once the first closed it");
        second
            .write_all(&mut [std::io::IoSlice::new(b" again")])
            .expect("write");
        second.sync().expect("sync");
        assert_eq!(std::fs::read(store.staging_path(id)).expect("read"), b"committed again");
    }

    #[tokio::test]
    async fn a_file_copied_in_is_kept_only_when_its_check_passes() {
        let dir = tempfile::tempdir().expect("dir");
        let store = LocalStore::open(&dir.path().join("store")).expect("open");
        let src = dir.path().join("source");
        std::fs::write(&src, vec![42u8; 3 << 20]).expect("source");
        let key = crate::keys::file(Uuid::new_v4());

        let refused: FileCheck = Box::new(|_| Err(BlobError::Body("not the bytes we expected".into())));
        let err = store.put_file_checked(&key, &src, refused).await.expect_err("refused");
        assert!(matches!(err, BlobError::Body(_)), "{err:?}");
        assert!(matches!(store.head(&key).await, Err(BlobError::NotFound { .. })));
        // Nothing is left half-way either.
        assert_eq!(
            std::fs::read_dir(dir.path().join("store/.tmp")).expect("tmp").count(),
            0
        );

        let seen = std::sync::Arc::new(std::sync::Mutex::new(0u64));
        let saw = seen.clone();
        let passed: FileCheck = Box::new(move |path| {
            *saw.lock().expect("lock") = std::fs::metadata(path)?.len();
            Ok(())
        });
        let meta = store.put_file_checked(&key, &src, passed).await.expect("kept");
        assert_eq!(meta.size, 3 << 20);
        assert_eq!(*seen.lock().expect("lock"), 3 << 20, "the check saw the source");
        assert_eq!(std::fs::read(store.path_of(&key)).expect("read"), vec![42u8; 3 << 20]);
    }
}
