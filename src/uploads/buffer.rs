//! The part being assembled, on this node's disk for the time of one request. Memory
//! stays flat whatever the part size, and if the connection breaks mid-part, what arrived
//! is still here to be staged.

use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use relais_storage::{AppendWriter, BlobError, ByteStream, FileAppender, read_stream};

pub(super) struct PartBuffer {
    dir: PathBuf,
    path: PathBuf,
    /// One write buffer for every part of the request.
    file: FileAppender,
    pub len: u64,
}

/// A finished part on disk; the file goes away with it.
pub(super) struct Sealed {
    path: PathBuf,
    pub len: u64,
}

/// A new, empty file in `dir`.
async fn new_file(dir: &Path) -> Result<(PathBuf, std::fs::File), BlobError> {
    let path = dir.join(format!("part-{}", uuid::Uuid::new_v4().simple()));
    let file = tokio::fs::File::create(&path).await?.into_std().await;
    Ok((path, file))
}

impl PartBuffer {
    pub(super) async fn create(dir: &Path) -> Result<Self, BlobError> {
        tokio::fs::create_dir_all(dir).await?;
        let (path, file) = new_file(dir).await?;
        Ok(Self {
            dir: dir.to_path_buf(),
            path,
            file: FileAppender::new(file),
            len: 0,
        })
    }

    pub(super) async fn write(&mut self, data: &[u8]) -> Result<(), BlobError> {
        self.file.write(data).await?;
        self.len += data.len() as u64;
        Ok(())
    }

    pub(super) async fn fill_from(&mut self, mut stream: ByteStream) -> Result<(), BlobError> {
        while let Some(chunk) = stream.next().await {
            self.write(&chunk?).await?;
        }
        Ok(())
    }

    /// Hands over what was written so far as a finished part and goes on, empty, in a
    /// new file.
    pub(super) async fn next_part(&mut self) -> Result<Sealed, BlobError> {
        let (path, file) = new_file(&self.dir).await?;
        // If the old file cannot be completed, the new one is dropped with this error and
        // `self` keeps the old one (removed on drop).
        if let Err(e) = self.file.switch_to(file).await {
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        let sealed = Sealed {
            path: std::mem::replace(&mut self.path, path),
            len: std::mem::take(&mut self.len),
        };
        Ok(sealed)
    }

    /// Finishes the last part.
    pub(super) async fn seal(mut self) -> Result<Sealed, BlobError> {
        self.file.flush().await?;
        Ok(Sealed {
            path: std::mem::take(&mut self.path),
            len: self.len,
        })
    }
}

impl Drop for PartBuffer {
    fn drop(&mut self) {
        if !self.path.as_os_str().is_empty() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl Sealed {
    pub(super) async fn stream(&self) -> Result<ByteStream, BlobError> {
        let file = tokio::fs::File::open(&self.path).await?.into_std().await;
        Ok(read_stream(file, 0, self.len))
    }
}

impl Drop for Sealed {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
