//! The job that processes one stored file: it reads the file's header, then makes a
//! photo's variants, a RAW's or an HEIC's from their preview, or a video's poster and
//! duration (queuing its web copy), and records the outcome.

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use futures_util::StreamExt;
use relais_storage::{BlobKey, BlobStore, ByteRange, keys};
use tokio::sync::Semaphore;

use super::scratch::{Scratch, ScratchDir, local_source};
use super::{HEADER_BYTES, KIND, MAX_ATTEMPTS, MAX_IMAGE_BYTES, Payload, decode_cost_mib, over_budget, save_variants};
use super::{heif, image, raw, video, web_copy};
use crate::clock::Clock;
use crate::db::{self, Db, DbError};
use crate::domain::{Category, FileId};
use crate::jobs::{JobError, JobHandler};

pub struct ProcessFile {
    pub db: Db,
    pub blobs: Arc<dyn BlobStore>,
    pub clock: Clock,
    pub budget: Arc<Semaphore>,
    /// The largest picture decoded (`media.max_megapixels`).
    pub max_pixels: u64,
    /// Where an object from S3 is copied for ffmpeg, which is never given a URL.
    pub scratch: PathBuf,
}

impl ProcessFile {
    pub fn new(
        db: Db,
        blobs: Arc<dyn BlobStore>,
        clock: Clock,
        budget: Arc<Semaphore>,
        max_pixels: u64,
        scratch: PathBuf,
    ) -> Self {
        Self {
            db,
            blobs,
            clock,
            budget,
            max_pixels,
            scratch,
        }
    }

    async fn read(&self, key: &BlobKey, range: Option<ByteRange>) -> Result<Vec<u8>, JobError> {
        let mut read = self
            .blobs
            .get(key, range)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        let mut bytes = Vec::new();
        while let Some(chunk) = read.body.next().await {
            bytes.extend_from_slice(&chunk.map_err(|e| JobError::Retry(e.to_string()))?);
        }
        Ok(bytes)
    }

    async fn source(&self, key: &BlobKey) -> Result<(String, Option<Scratch>), JobError> {
        local_source(self.blobs.as_ref(), &self.scratch, key).await
    }

    /// Audio and video: the duration, and for a video without a custom poster, a frame.
    /// Without ffmpeg, or on a file it cannot read, the file is simply ready as it is.
    async fn playable(&self, file: &db::files::FileRecord, key: &BlobKey) -> Result<(), JobError> {
        let source = match video::ffmpeg_version() {
            Some(_) => Some(self.source(key).await?),
            None => None,
        };
        if let Some((source, _scratch)) = source {
            if let Some(ms) = video::duration_ms(&source).await {
                db::files::set_duration(self.db.pool(), file.id, ms).await?;
            }
            let is_video = file.category == Category::Video || file.media_type.starts_with("video/");
            let mut ready = false;
            let custom = db::files::poster(self.db.pool(), file.id).await?.as_deref() == Some("custom");
            // A first poster from the original, shown until the web copy replaces it.
            let hdr = is_video
                && !custom
                && web_copy::probe(&source)
                    .await
                    .and_then(|p| p.video)
                    .is_some_and(|v| v.is_hdr());
            if is_video
                && !custom
                && let Some(frame) = video::poster_frame(&source, hdr).await
            {
                let max_pixels = self.max_pixels;
                let made = tokio::task::spawn_blocking(move || image::make(&frame, max_pixels))
                    .await
                    .map_err(|e| JobError::Retry(format!("image task: {e}")))?;
                match made {
                    Ok(made) => {
                        self.save(file.id, made, Some("auto")).await?;
                        ready = true;
                    }
                    Err(e) => tracing::warn!(file = %file.id, error = %e, "unreadable poster frame"),
                }
            }
            if is_video && file.web_state.is_none() {
                // The copy every browser plays, made by a job of its own (bounded, slow);
                // once per file (a retry of this job does not queue another). Queued once
                // the first poster is saved, so that the copy's poster always comes after.
                let mut tx = self.db.begin().await?;
                web_copy::queue(&mut tx, file.id, self.clock.now()).await?;
                tx.commit().await.map_err(DbError::from)?;
            }
            if ready {
                return Ok(());
            }
        }
        db::files::mark_ready(self.db.pool(), file.id, None, self.clock.now()).await?;
        Ok(())
    }

    /// A camera RAW: its largest embedded preview, sized like a JPEG and turned by the
    /// RAW's orientation. Without a usable preview it is ready as it is, saying why.
    async fn raw(&self, file: &db::files::FileRecord, key: &BlobKey, kind: raw::Kind) -> Result<(), JobError> {
        db::files::mark_processing(self.db.pool(), file.id, self.clock.now()).await?;
        let (source, _scratch) = self.source(key).await?;
        let found = tokio::task::spawn_blocking(move || -> Result<(Vec<u8>, Option<u32>), String> {
            let mut src = std::fs::File::open(&source).map_err(|e| e.to_string())?;
            let preview = raw::find(kind, &mut src)?;
            use std::io::{Read, Seek};
            src.seek(std::io::SeekFrom::Start(preview.offset))
                .map_err(|e| e.to_string())?;
            let mut bytes = Vec::with_capacity(preview.len as usize);
            src.take(preview.len)
                .read_to_end(&mut bytes)
                .map_err(|e| e.to_string())?;
            Ok((bytes, preview.orientation))
        })
        .await
        .map_err(|e| JobError::Retry(format!("raw task: {e}")))?;
        match found {
            Ok((bytes, orientation)) => self.picture(file.id, bytes, orientation).await,
            Err(reason) => {
                tracing::info!(file = %file.id, %reason, "RAW kept without variants");
                db::files::mark_ready_because(self.db.pool(), file.id, &reason, self.clock.now()).await?;
                Ok(())
            }
        }
    }

    /// An HEIC photo, through libheif's `heif-convert`: refused above the pixel limit from
    /// its header, then sized like a JPEG (libheif turns it upright).
    async fn heif(&self, file: &db::files::FileRecord, key: &BlobKey, head: &[u8]) -> Result<(), JobError> {
        let now = self.clock.now();
        // Its size comes from its header, before anything is decoded; a file that does not
        // say it (its `meta` after the pictures, or none) is not decoded at all.
        let reason = match heif::dimensions(head) {
            Some((w, h)) if u64::from(w) * u64::from(h) > self.max_pixels => Some(format!(
                "the picture is {w} × {h} pixels, more than the {} megapixels allowed",
                self.max_pixels / 1_000_000
            )),
            Some(_) => None,
            None => Some("not an HEIC photo Relais can read: its size is not in its header".to_owned()),
        };
        if let Some(reason) = reason {
            db::files::mark_failed_because(self.db.pool(), file.id, &reason, now).await?;
            return Ok(());
        }
        if !heif::available() {
            let reason = "HEIC photos need libheif's heif-convert on the server (Debian: libheif-examples)";
            db::files::mark_ready_because(self.db.pool(), file.id, reason, now).await?;
            return Ok(());
        }
        db::files::mark_processing(self.db.pool(), file.id, now).await?;
        let (source, _scratch) = self.source(key).await?;
        tokio::fs::create_dir_all(&self.scratch)
            .await
            .map_err(|e| JobError::Retry(format!("scratch: {e}")))?;
        let out = ScratchDir(self.scratch.join(format!("heif-{}", uuid::Uuid::new_v4().simple())));
        tokio::fs::create_dir_all(&out.0)
            .await
            .map_err(|e| JobError::Retry(format!("scratch: {e}")))?;
        match heif::to_jpeg(&source, &out.0).await {
            Ok(jpeg) => {
                let bytes = tokio::fs::read(&jpeg)
                    .await
                    .map_err(|e| JobError::Retry(format!("decoded HEIC: {e}")))?;
                self.picture(file.id, bytes, Some(1)).await
            }
            Err(reason) => {
                db::files::mark_failed_because(self.db.pool(), file.id, &reason, self.clock.now()).await?;
                Ok(())
            }
        }
    }

    /// Sizes a JPEG made from another file (a RAW's preview, a decoded HEIC) within the
    /// process's decode budget, and saves its variants.
    async fn picture(&self, file: FileId, bytes: Vec<u8>, orientation: Option<u32>) -> Result<(), JobError> {
        let now = self.clock.now();
        if let Err(e) = image::within(&bytes, self.max_pixels) {
            db::files::mark_failed_because(self.db.pool(), file, &e.to_string(), now).await?;
            return Ok(());
        }
        let pixels = image::pixels_hint(&bytes).unwrap_or(0);
        let Some(mib) = decode_cost_mib(bytes.len() as u64, pixels) else {
            db::files::mark_failed_because(self.db.pool(), file, &over_budget(bytes.len() as u64, pixels), now).await?;
            return Ok(());
        };
        let _permit = self
            .budget
            .acquire_many(mib)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        let max_pixels = self.max_pixels;
        let made = tokio::task::spawn_blocking(move || image::make_oriented(&bytes, max_pixels, orientation))
            .await
            .map_err(|e| JobError::Retry(format!("image task: {e}")))?;
        match made {
            Ok(made) => self.save(file, made, None).await,
            Err(e) => {
                db::files::mark_failed_because(self.db.pool(), file, &e.to_string(), self.clock.now()).await?;
                Ok(())
            }
        }
    }

    async fn save(&self, file: FileId, made: image::Made, poster: Option<&str>) -> Result<(), JobError> {
        save_variants(&self.db, self.blobs.as_ref(), &self.clock, file, &made, poster)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))
    }
}

#[async_trait]
impl JobHandler for ProcessFile {
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
        let (Some(size), true) = (file.size, file.has_bytes()) else {
            return Err(JobError::Fatal("the file has no stored bytes".into()));
        };
        let key = keys::file(file.id.uuid());
        let playable = file.category == Category::Video
            || file.category == Category::Music
            || file.media_type.starts_with("video/")
            || file.media_type.starts_with("audio/");
        if playable {
            return self.playable(&file, &key).await;
        }
        let head = self
            .read(
                &key,
                // Enough for the header of any of the formats read here (a JPEG's frame
                // header follows at most 64 KiB of EXIF).
                Some(ByteRange {
                    start: 0,
                    end: size.min(HEADER_BYTES),
                }),
            )
            .await?;
        let extension = crate::domain::FileName::parse(&file.name)
            .ok()
            .and_then(|n| n.extension());
        if let Some(raw_kind) = raw::sniff(&head, extension.as_deref()) {
            return self.raw(&file, &key, raw_kind).await;
        }
        if heif::sniff(&head) {
            return self.heif(&file, &key, &head).await;
        }
        let kind = image::sniff(&head);
        if kind == image::Kind::NotAnImage || size > MAX_IMAGE_BYTES {
            // Kept as it is: a document, a video, a RAW or HEIC file Relais cannot read.
            db::files::mark_ready(self.db.pool(), file.id, None, self.clock.now()).await?;
            return Ok(());
        }
        db::files::mark_processing(self.db.pool(), file.id, self.clock.now()).await?;
        // Judged from the header before the file is even read: too many pixels, or more
        // memory than the whole budget, fails with its reason; nothing is decoded.
        let refused = |reason: String| async move {
            tracing::warn!(file = %file.id, %reason, "picture refused before decoding");
            db::files::mark_failed_because(self.db.pool(), file.id, &reason, self.clock.now()).await
        };
        if let Err(e) = image::within(&head, self.max_pixels) {
            refused(e.to_string()).await?;
            return Ok(());
        }
        let pixels = image::pixels_hint(&head).unwrap_or(0);
        let Some(mib) = decode_cost_mib(size, pixels) else {
            refused(over_budget(size, pixels)).await?;
            return Ok(());
        };
        let _permit = self
            .budget
            .acquire_many(mib)
            .await
            .map_err(|e| JobError::Retry(e.to_string()))?;
        let bytes = self.read(&key, None).await?;
        let max_pixels = self.max_pixels;
        let made = tokio::task::spawn_blocking(move || image::make(&bytes, max_pixels))
            .await
            .map_err(|e| JobError::Retry(format!("image task: {e}")))?;
        match made {
            Ok(made) => self.save(file.id, made, None).await,
            Err(e) => {
                let reason = e.to_string();
                tracing::warn!(file = %file.id, %reason, "media processing failed");
                db::files::mark_failed_because(self.db.pool(), file.id, &reason, self.clock.now()).await?;
                Ok(())
            }
        }
    }
}
