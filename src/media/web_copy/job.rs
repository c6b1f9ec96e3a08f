//! The job that makes web copies: one at a time per slot, its state and progress on the
//! file, the copy stored as the `web` variant.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use relais_storage::{BlobKey, BlobStore, keys};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;
use tokio::sync::Semaphore;

use super::{CopyError, KIND, MAX_ATTEMPTS, MAX_EDGE, Probe, Settings, probe, run};
use crate::clock::Clock;
use crate::db::variants::NewVariant;
use crate::db::{self, Db, DbError, Tx};
use crate::domain::{FileId, Timestamp};
use crate::jobs::{JobError, JobHandler};

#[derive(serde::Serialize, serde::Deserialize)]
struct Payload {
    file: FileId,
}

/// Queues a video's web copy, in the transaction that asks for it.
pub async fn queue(tx: &mut Tx, file: FileId, now: Timestamp) -> Result<(), DbError> {
    db::files::set_web_state(&mut **tx, file, Some(db::files::WebState::Queued), None, now).await?;
    crate::jobs::enqueue(&mut **tx, KIND, &Payload { file }, MAX_ATTEMPTS, now).await?;
    Ok(())
}

/// The job that makes web copies.
pub struct MakeWebCopy {
    pub db: Db,
    pub blobs: Arc<dyn BlobStore>,
    pub clock: Clock,
    pub scratch: PathBuf,
    pub settings: Settings,
    /// Web copies made at once in this process.
    pub slots: Arc<Semaphore>,
}

/// A file removed when dropped.
struct Temp(PathBuf);

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

impl MakeWebCopy {
    async fn fail(&self, file: FileId, reason: &str) -> Result<(), JobError> {
        tracing::warn!(%file, %reason, "no web copy");
        db::files::set_web_state(
            self.db.pool(),
            file,
            Some(db::files::WebState::Failed),
            Some(reason),
            self.clock.now(),
        )
        .await?;
        Ok(())
    }

    /// Stores the copy under a new key and records it as the `web` variant (the copy it
    /// replaces is deleted after). A file deleted meanwhile gets no variant, and the new
    /// object is removed whatever fails after it was written.
    async fn store(&self, file: FileId, path: &Path, probe: &Probe) -> Result<(), JobError> {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("web-{}.mp4", &tag[..12]);
        let key = keys::derived(file.uuid(), &name).ok_or_else(|| JobError::Fatal(format!("variant key {name}")))?;
        let stored = self.store_at(file, path, probe, &key).await;
        if !matches!(stored, Ok(true)) {
            let _ = self.blobs.delete(&key).await;
        }
        stored.map(|_| ())
    }

    /// The poster taken again, from the copy: the picture shown before the player starts is
    /// the copy's own (tone-mapped, at its size), not the original's. A poster someone chose
    /// stays; a poster that cannot be made leaves the first one.
    async fn poster_from_copy(&self, file: FileId, copy: &Path) {
        let Some(path) = copy.to_str() else { return };
        let Some(frame) = crate::media::video::poster_frame(path, false).await else {
            tracing::warn!(%file, "no poster from the web copy");
            return;
        };
        let budget = u64::from(MAX_EDGE) * u64::from(MAX_EDGE);
        let made = tokio::task::spawn_blocking(move || crate::media::image::make(&frame, budget)).await;
        let saved = match made {
            Ok(Ok(made)) => {
                crate::media::save_variants(&self.db, self.blobs.as_ref(), &self.clock, file, &made, Some("auto"))
                    .await
                    .map_err(|e| e.to_string())
            }
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = saved {
            tracing::warn!(%file, error = %e, "no poster from the web copy");
        }
    }

    /// `Ok(true)` once recorded; `Ok(false)` when the file went meanwhile.
    async fn store_at(&self, file: FileId, path: &Path, probe: &Probe, key: &BlobKey) -> Result<bool, JobError> {
        let retry = |e: &dyn std::fmt::Display| JobError::Retry(e.to_string());
        let mut hasher = Sha256::new();
        let mut reader = tokio::fs::File::open(path).await.map_err(|e| retry(&e))?;
        let mut buf = vec![0; 1 << 20];
        loop {
            let n = reader.read(&mut buf).await.map_err(|e| retry(&e))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        let digest = crate::auth::secrets::hex(&hasher.finalize());
        let body = tokio_util::io::ReaderStream::new(tokio::fs::File::open(path).await.map_err(|e| retry(&e))?)
            .map(|r| r.map_err(|e| relais_storage::BlobError::Backend(e.to_string())))
            .boxed();
        let meta = self.blobs.put_stream(key, body).await.map_err(|e| retry(&e))?;
        let (width, height) = probe.video.as_ref().map_or((0, 0), |v| (v.width, v.height));
        let now = self.clock.now();
        let mut tx = self.db.begin().await?;
        if !db::files::lock_live(&mut tx, self.db.backend(), file).await? {
            return Ok(false);
        }
        let row = NewVariant {
            name: "web",
            format: "mp4",
            width,
            height,
            size: meta.size,
            object_key: key.as_str(),
            sha256: &digest,
        };
        let replaced = db::variants::upsert(&mut tx, file, row, now).await?;
        db::files::set_web_state(&mut *tx, file, Some(db::files::WebState::Ready), None, now).await?;
        tx.commit().await.map_err(DbError::from)?;
        if let Some(old) = replaced
            && let Ok(old) = BlobKey::parse(&old)
        {
            let _ = self.blobs.delete(&old).await;
        }
        Ok(true)
    }
}

#[async_trait]
impl JobHandler for MakeWebCopy {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn max_attempts(&self) -> i64 {
        MAX_ATTEMPTS
    }

    async fn run(&self, payload: &str) -> Result<(), JobError> {
        let payload: Payload =
            serde_json::from_str(payload).map_err(|e| JobError::Fatal(format!("bad payload: {e}")))?;
        let Some(file) = db::files::find(self.db.pool(), payload.file).await? else {
            return Err(JobError::Fatal("the file no longer exists".into()));
        };
        if !file.has_bytes() {
            return Err(JobError::Fatal("the file has no stored bytes".into()));
        }
        // Waiting for a slot must not hold one of the runner's: the job comes back later,
        // without counting an attempt, and thumbnails and emails go on meanwhile.
        let Ok(_slot) = self.slots.clone().try_acquire_owned() else {
            return Err(JobError::Later(self.clock.now() + Duration::from_secs(15)));
        };
        let now = self.clock.now();
        db::files::set_web_state(self.db.pool(), file.id, Some(db::files::WebState::Making), None, now).await?;
        db::files::set_web_progress(self.db.pool(), file.id, 0).await?;
        let key = keys::file(file.id.uuid());
        let (source, _scratch) = crate::media::local_source(self.blobs.as_ref(), &self.scratch, &key).await?;
        let Some(probe) = probe(&source).await.filter(|p| p.video.is_some()) else {
            // It claims to be a video and is not one: no copy, and why. The file itself
            // stays as it was stored (downloadable, its bytes verified).
            return self.fail(file.id, "not a video ffmpeg can read").await;
        };
        let Some(plan) = probe.plan() else {
            return self.fail(file.id, "no picture in this file").await;
        };
        tokio::fs::create_dir_all(&self.scratch)
            .await
            .map_err(|e| JobError::Retry(format!("scratch: {e}")))?;
        let out = Temp(self.scratch.join(format!("web-{}.mp4", uuid::Uuid::new_v4().simple())));
        // Progress is written at most every few per cent, not at every ffmpeg report.
        let (tx, mut rx) = tokio::sync::watch::channel(0i64);
        let db = self.db.clone();
        let id = file.id;
        let reporter = tokio::spawn(async move {
            let mut written = 0;
            while rx.changed().await.is_ok() {
                let now = *rx.borrow();
                if now - written >= 20 || now == 1000 {
                    written = now;
                    let _ = db::files::set_web_progress(db.pool(), id, now).await;
                }
            }
        });
        let started = std::time::Instant::now();
        let made = run(&plan, &self.settings, &source, &out.0, probe.duration_ms, |p| {
            let _ = tx.send(p);
        })
        .await;
        drop(tx);
        let _ = reporter.await;
        match made {
            Ok(()) => {
                // What was made, as ffprobe reads it back.
                let made = super::probe(out.0.to_str().unwrap_or_default())
                    .await
                    .unwrap_or_default();
                tracing::info!(file = %file.id, ?plan, secs = started.elapsed().as_secs_f32(), "web copy made");
                self.store(file.id, &out.0, &made).await?;
                // A remux keeps the very frames the first poster was taken from.
                if plan != super::Plan::Remux {
                    self.poster_from_copy(file.id, &out.0).await;
                }
                Ok(())
            }
            Err(CopyError::Io(e)) => Err(JobError::Retry(e.to_string())),
            Err(e) => self.fail(file.id, &e.to_string()).await,
        }
    }
}
