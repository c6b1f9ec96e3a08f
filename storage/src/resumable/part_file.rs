//! A part being assembled, in a file on this machine's disk for the time of one request:
//! memory stays flat whatever the part size. The file goes away with its value.

use std::io::IoSlice;
use std::path::{Path, PathBuf};

use futures_util::StreamExt;

use crate::error::BlobError;
use crate::file_io::{read_stream, write_all_vectored};
use crate::key::BlobKey;
use crate::object::BlobStore;
use crate::stream::ByteStream;

pub(super) struct PartFile {
    path: PathBuf,
    file: std::fs::File,
    len: u64,
}

/// A finished part on disk.
pub(super) struct SealedPart {
    path: PathBuf,
    pub len: u64,
}

fn new_path(dir: &Path) -> PathBuf {
    dir.join(format!("part-{}", uuid::Uuid::new_v4().simple()))
}

impl PartFile {
    pub(super) async fn create(dir: &Path) -> Result<Self, BlobError> {
        let dir = dir.to_path_buf();
        tokio::task::spawn_blocking(move || Self::create_blocking(&dir))
            .await
            .map_err(|e| BlobError::Backend(format!("part file task failed: {e}")))?
    }

    pub(super) fn create_blocking(dir: &Path) -> Result<Self, BlobError> {
        std::fs::create_dir_all(dir)?;
        let path = new_path(dir);
        let file = std::fs::File::create(&path)?;
        Ok(Self { path, file, len: 0 })
    }

    /// Starts the part with the staged tail `key`, which must hold `len` bytes.
    pub(super) async fn fill_from(mut self, store: &dyn BlobStore, key: &BlobKey, len: u64) -> Result<Self, BlobError> {
        let mut body = store.get(key, None).await?.body;
        let mut file = tokio::fs::File::from_std(self.file.try_clone()?);
        let mut have = 0;
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            tokio::io::AsyncWriteExt::write_all(&mut file, &chunk).await?;
            have += chunk.len() as u64;
        }
        tokio::io::AsyncWriteExt::flush(&mut file).await?;
        if have != len {
            return Err(BlobError::StagingShort {
                staging: key.to_string(),
                have,
                want: len,
            });
        }
        self.len = len;
        Ok(self)
    }

    pub(super) fn write_all(&mut self, data: &mut [IoSlice<'_>]) -> std::io::Result<()> {
        self.len += write_all_vectored(&self.file, data)?;
        Ok(())
    }

    pub(super) fn seal(mut self) -> SealedPart {
        SealedPart {
            path: std::mem::take(&mut self.path),
            len: self.len,
        }
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl SealedPart {
    /// The part's bytes, read back (from the page cache, written moments ago).
    pub(super) fn stream(&self) -> Result<ByteStream, BlobError> {
        Ok(read_stream(std::fs::File::open(&self.path)?, 0, self.len))
    }
}

impl Drop for SealedPart {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
