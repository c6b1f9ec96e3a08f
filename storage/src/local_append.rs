//! The local backend's staging file writer: bytes are gathered in a buffer and written
//! on the blocking pool, one trip per MiB rather than one per network frame.

use async_trait::async_trait;

use crate::error::BlobError;
use crate::store::AppendWriter;

/// Appended bytes are gathered up to this size before one write: one trip to the blocking
/// pool per MiB rather than one per network frame.
const APPEND_BUFFER: usize = 1024 * 1024;

/// Writes to a staging file through a buffer, on the blocking pool.
pub(crate) struct LocalAppend {
    /// Taken while a blocking write holds it.
    file: Option<std::fs::File>,
    buffer: Vec<u8>,
}

impl LocalAppend {
    pub(crate) fn new(file: std::fs::File) -> Self {
        Self {
            file: Some(file),
            buffer: Vec::with_capacity(APPEND_BUFFER),
        }
    }

    async fn drain(&mut self, sync: bool) -> Result<(), BlobError> {
        let mut file = self
            .file
            .take()
            .ok_or_else(|| BlobError::Backend("staging file lost after a failed write".into()))?;
        let buffer = std::mem::take(&mut self.buffer);
        let (file, mut buffer, result) = tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let result = file
                .write_all(&buffer)
                .and_then(|()| if sync { file.sync_data() } else { Ok(()) });
            (file, buffer, result)
        })
        .await
        .map_err(|e| BlobError::Backend(format!("staging write task failed: {e}")))?;
        buffer.clear();
        self.buffer = buffer;
        result?;
        // Only a file whose writes all succeeded is handed back: after an error, what
        // reached the disk is unknown, and the upload resumes from its last commit.
        self.file = Some(file);
        Ok(())
    }
}

#[async_trait]
impl AppendWriter for LocalAppend {
    async fn write(&mut self, data: &[u8]) -> Result<(), BlobError> {
        self.buffer.extend_from_slice(data);
        if self.buffer.len() >= APPEND_BUFFER {
            self.drain(false).await
        } else {
            Ok(())
        }
    }

    async fn sync(&mut self) -> Result<(), BlobError> {
        self.drain(true).await
    }
}
