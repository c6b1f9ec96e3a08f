//! The part being assembled, on this node's disk for the time of one request. Memory
//! stays flat whatever the part size, and if the connection breaks mid-part, what arrived
//! is still here to be staged.

use std::path::{Path, PathBuf};

use futures_util::{StreamExt, TryStreamExt};
use relais_storage::{BlobError, ByteStream};
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio_util::io::ReaderStream;

const WRITE_BUFFER: usize = 1024 * 1024;
const READ_CHUNK: usize = 256 * 1024;

pub(super) struct PartBuffer {
    path: PathBuf,
    file: BufWriter<tokio::fs::File>,
    pub len: u64,
}

/// A finished buffer; the file goes away with it.
pub(super) struct Sealed {
    path: PathBuf,
    pub len: u64,
}

impl PartBuffer {
    pub(super) async fn create(dir: &Path) -> Result<Self, BlobError> {
        tokio::fs::create_dir_all(dir).await?;
        let path = dir.join(format!("part-{}", uuid::Uuid::new_v4().simple()));
        let file = tokio::fs::File::create(&path).await?;
        Ok(Self {
            path,
            file: BufWriter::with_capacity(WRITE_BUFFER, file),
            len: 0,
        })
    }

    pub(super) async fn write(&mut self, data: &[u8]) -> Result<(), BlobError> {
        self.file.write_all(data).await?;
        self.len += data.len() as u64;
        Ok(())
    }

    pub(super) async fn fill_from(&mut self, mut stream: ByteStream) -> Result<(), BlobError> {
        while let Some(chunk) = stream.next().await {
            self.write(&chunk?).await?;
        }
        Ok(())
    }

    pub(super) async fn seal(mut self) -> Result<Sealed, BlobError> {
        self.file.flush().await?;
        let sealed = Sealed {
            path: std::mem::take(&mut self.path),
            len: self.len,
        };
        Ok(sealed)
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
        let file = tokio::fs::File::open(&self.path).await?;
        Ok(ReaderStream::with_capacity(file, READ_CHUNK)
            .map_err(BlobError::Io)
            .boxed())
    }
}

impl Drop for Sealed {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
