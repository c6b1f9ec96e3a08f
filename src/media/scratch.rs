//! Local copies for ffmpeg and libheif, which are only ever handed files: an object on S3
//! is copied to the scratch folder first, and removed when its guard drops.

use std::path::PathBuf;

use futures_util::StreamExt;
use relais_storage::{BlobKey, BlobStore};

use crate::jobs::JobError;

/// A copy of an object for ffmpeg, removed when dropped.
pub(crate) struct Scratch(PathBuf);

/// A scratch folder, removed with everything in it when dropped.
pub(super) struct ScratchDir(pub(super) PathBuf);

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A local file ffmpeg can read: the object itself on local storage; on S3 a copy in the
/// scratch folder (streamed, removed when the guard drops). ffmpeg is never handed a URL:
/// a "video" that is really a playlist could make it fetch any address.
pub(crate) async fn local_source(
    blobs: &dyn BlobStore,
    scratch: &std::path::Path,
    key: &BlobKey,
) -> Result<(String, Option<Scratch>), JobError> {
    if let Some(path) = blobs.local_path(key) {
        return Ok((path.display().to_string(), None));
    }
    let fail = |e: std::io::Error| JobError::Retry(format!("scratch copy: {e}"));
    tokio::fs::create_dir_all(scratch).await.map_err(fail)?;
    let path = scratch.join(format!("media-{}", uuid::Uuid::new_v4().simple()));
    let guard = Scratch(path.clone());
    let mut file = tokio::fs::File::create(&path).await.map_err(fail)?;
    let mut read = blobs.get(key, None).await.map_err(|e| JobError::Retry(e.to_string()))?;
    while let Some(chunk) = read.body.next().await {
        let chunk = chunk.map_err(|e| JobError::Retry(e.to_string()))?;
        tokio::io::AsyncWriteExt::write_all(&mut file, &chunk)
            .await
            .map_err(fail)?;
    }
    tokio::io::AsyncWriteExt::flush(&mut file).await.map_err(fail)?;
    Ok((path.display().to_string(), Some(guard)))
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
