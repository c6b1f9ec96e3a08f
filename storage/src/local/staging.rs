//! Staging files on this disk: one per upload under `.staging/`, resumed at the committed
//! offset by whichever request holds the upload, and published by a rename.

use std::io::SeekFrom;

use async_trait::async_trait;
use tokio::fs;
use uuid::Uuid;

use super::LocalStore;
use crate::error::BlobError;
use crate::file_io::write_all_vectored;
use crate::key::BlobKey;
use crate::object::BlobMeta;
use crate::staging::{StagingFile, StagingStore};

/// A staging file on this disk, written and synced through shared references (`&File`
/// writes and fsyncs from any thread).
struct LocalStaging {
    file: std::fs::File,
    /// Where the next write lands.
    end: std::sync::atomic::AtomicU64,
}

impl StagingFile for LocalStaging {
    fn write_all(&self, data: &mut [std::io::IoSlice<'_>]) -> std::io::Result<()> {
        use std::sync::atomic::Ordering;
        let written = write_all_vectored(&self.file, data)?;
        let start = self.end.fetch_add(written, Ordering::Relaxed);
        start_writeback(&self.file, start, written);
        Ok(())
    }

    fn sync(&self) -> std::io::Result<()> {
        self.file.sync_data()
    }
}

/// How long a writer waits for the previous one to close the staging file.
const STAGING_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Takes the staging file for this writer alone (an exclusive `flock`, held until the
/// file is closed). A writer that was abandoned (its lease lost, its body refused) may
/// still have a batch on its way to the disk; the file is cut back to the committed
/// offset only once that writer has closed it, so its late bytes can never land over
/// the new writer's.
#[cfg(unix)]
fn hold_alone(file: &std::fs::File, staging: Uuid) -> Result<(), BlobError> {
    use std::os::fd::AsRawFd;
    let deadline = std::time::Instant::now() + STAGING_WAIT;
    loop {
        // SAFETY: the descriptor is open for the duration of the call.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(());
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::WouldBlock {
            return Err(err.into());
        }
        if std::time::Instant::now() >= deadline {
            return Err(BlobError::StagingBusy {
                staging: staging.to_string(),
            });
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[cfg(not(unix))]
fn hold_alone(_: &std::fs::File, _: Uuid) -> Result<(), BlobError> {
    Ok(())
}

/// Asks the kernel to start writing `len` bytes from `start` to the disk now, without
/// waiting for them: by the time a checkpoint's fsync comes, most of its bytes are on the
/// disk already and the fsync is short, instead of the whole stretch being written while
/// the client waits for its answer. Only a hint; the fsync is still what makes the bytes
/// durable.
#[cfg(target_os = "linux")]
fn start_writeback(file: &std::fs::File, start: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(start), Ok(len)) = (i64::try_from(start), i64::try_from(len)) else {
        return;
    };
    // SAFETY: the descriptor is open for the duration of the call; the call reads no
    // memory of ours.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), start, len, libc::SYNC_FILE_RANGE_WRITE);
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_: &std::fs::File, _: u64, _: u64) {}

#[async_trait]
impl StagingStore for LocalStore {
    async fn open_staging(&self, staging: Uuid, offset: u64) -> Result<std::sync::Arc<dyn StagingFile>, BlobError> {
        let path = self.staging_path(staging);
        let file = tokio::task::spawn_blocking(move || -> Result<std::fs::File, BlobError> {
            use std::io::Seek;
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)?;
            hold_alone(&file, staging)?;
            let have = file.metadata()?.len();
            if have < offset {
                return Err(BlobError::StagingShort {
                    staging: staging.to_string(),
                    have,
                    want: offset,
                });
            }
            // Bytes past the committed offset were never acknowledged: drop them.
            if have > offset {
                file.set_len(offset)?;
            }
            file.seek(SeekFrom::Start(offset))?;
            Ok(file)
        })
        .await
        .map_err(|e| BlobError::Backend(format!("staging task failed: {e}")))??;
        Ok(std::sync::Arc::new(LocalStaging {
            file,
            end: std::sync::atomic::AtomicU64::new(offset),
        }))
    }

    async fn finish_staging(&self, staging: Uuid, len: u64, key: &BlobKey) -> Result<BlobMeta, BlobError> {
        let path = self.staging_path(staging);
        let md = fs::metadata(&path).await.map_err(|_| BlobError::StagingShort {
            staging: staging.to_string(),
            have: 0,
            want: len,
        })?;
        if md.len() < len {
            return Err(BlobError::StagingShort {
                staging: staging.to_string(),
                have: md.len(),
                want: len,
            });
        }
        if md.len() > len {
            let file = fs::OpenOptions::new().write(true).open(&path).await?;
            file.set_len(len).await?;
            file.sync_all().await?;
        }
        self.publish(&path, key).await
    }

    async fn discard_staging(&self, staging: Uuid) -> Result<(), BlobError> {
        match fs::remove_file(self.staging_path(staging)).await {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }
}
