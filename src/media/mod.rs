//! The media pipeline: once a file is stored, a job makes what the pages show of it (web
//! variants of photos), records its dimensions, and marks it `ready`, or `failed` with the
//! reason when a file that claims to be a picture does not decode. Files of other kinds
//! (RAW, HEIC, documents) are kept as they are and become `ready` without variants.

pub mod heif;
pub mod image;
mod jpeg;
pub mod raw;
pub mod video;
pub mod web_copy;
mod webp;

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::StreamExt;
use relais_storage::{BlobKey, BlobStore, ByteRange, keys};
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use crate::clock::Clock;
use crate::db::variants::NewVariant;
use crate::db::{self, Db, DbError, Tx};
use crate::domain::{Category, FileId, Timestamp};
use crate::jobs::{JobError, JobHandler};

pub const KIND: &str = "process_file";
const MAX_ATTEMPTS: i64 = 5;
/// Originals larger than this are not read into memory for variants; they stay as they
/// are (a 45 MP JPEG is ~30 MB; a huge PNG scan would cost more than it is worth).
const MAX_IMAGE_BYTES: u64 = 96 * 1024 * 1024;
const HEADER_BYTES: u64 = 128 * 1024;
/// Memory for images being processed across all jobs of this process, in MiB (file bytes
/// and decoded pixels). A job waits until its estimate fits, so a batch of 45 MP photos
/// cannot exhaust memory whatever the job concurrency.
pub const PIXEL_BUDGET_MIB: u32 = 384;

#[derive(serde::Serialize, serde::Deserialize)]
struct Payload {
    file: FileId,
}

/// Queues the processing of a file, in the transaction that stores it.
pub async fn queue(tx: &mut Tx, file: FileId, now: Timestamp) -> Result<(), DbError> {
    crate::jobs::enqueue(&mut **tx, KIND, &Payload { file }, MAX_ATTEMPTS, now).await?;
    Ok(())
}

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

/// What decoding a picture may cost in MiB: the file's bytes, plus decoded RGB and the
/// resizer's buffers (about three bytes per pixel, three times); `None` when that is more
/// than the whole budget, which no waiting would ever make fit.
pub fn decode_cost_mib(file_bytes: u64, pixels: u64) -> Option<u32> {
    let mib = (file_bytes + pixels * 9).div_ceil(1024 * 1024).max(1);
    (mib <= u64::from(PIXEL_BUDGET_MIB)).then_some(mib as u32)
}

/// The reason a picture too costly to decode is refused.
pub fn over_budget(file_bytes: u64, pixels: u64) -> String {
    format!(
        "decoding this picture would take about {} MiB, more than the {PIXEL_BUDGET_MIB} MiB set aside for pictures",
        (file_bytes + pixels * 9).div_ceil(1024 * 1024)
    )
}

/// The semaphore of [`PIXEL_BUDGET_MIB`] permits that every decode in this process shares.
pub fn new_budget() -> Arc<Semaphore> {
    Arc::new(Semaphore::new(PIXEL_BUDGET_MIB as usize))
}

/// A copy of an object for ffmpeg, removed when dropped.
pub(crate) struct Scratch(PathBuf);

/// A scratch folder, removed with everything in it when dropped.
struct ScratchDir(PathBuf);

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

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Storage(#[from] relais_storage::BlobError),
}

/// Stores the variants under new keys, then records them, the file's status and (for a
/// poster) its source in one transaction; the objects they replace are deleted after.
/// A reader therefore never meets a recorded variant without bytes, and every URL given
/// out after the commit names the new generation: a replaced poster shows everywhere at
/// once.
pub async fn save_variants(
    db: &Db,
    blobs: &dyn BlobStore,
    clock: &Clock,
    file: FileId,
    made: &image::Made,
    poster: Option<&str>,
) -> Result<(), SaveError> {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let mut stored = Vec::new();
    for v in &made.variants {
        for (format, ext, data) in [("jpeg", "jpg", &v.jpeg), ("webp", "webp", &v.webp)] {
            let name = format!("{}-{}.{ext}", v.name, &tag[..12]);
            let key =
                keys::derived(file.uuid(), &name).ok_or_else(|| DbError::Corrupt(format!("variant key {name}")))?;
            blobs.put(&key, Bytes::copy_from_slice(data)).await?;
            let digest = crate::auth::secrets::hex(&Sha256::digest(data));
            stored.push((v, format, key, data.len() as u64, digest));
        }
    }
    let now = clock.now();
    let mut tx = db.begin().await?;
    // A file deleted while its pictures were made gets none; a frame taken automatically
    // never replaces a poster someone chose, even one chosen while the frame was made.
    if !db::files::lock_live(&mut tx, db.backend(), file).await?
        || (poster == Some("auto") && db::files::poster(&mut *tx, file).await?.as_deref() == Some("custom"))
    {
        drop(tx);
        for (_, _, key, _, _) in &stored {
            let _ = blobs.delete(key).await;
        }
        return Ok(());
    }
    let mut replaced = Vec::new();
    for (v, format, key, size, digest) in &stored {
        let row = NewVariant {
            name: v.name,
            format,
            width: v.width,
            height: v.height,
            size: *size,
            object_key: key.as_str(),
            sha256: digest,
        };
        replaced.extend(db::variants::upsert(&mut tx, file, row, now).await?);
    }
    match poster {
        // A poster stands for the video: the file keeps no picture size of its own.
        Some(source) => {
            db::files::set_poster(&mut *tx, file, source).await?;
            db::files::mark_ready(&mut *tx, file, None, now).await?;
        }
        None => db::files::mark_ready(&mut *tx, file, Some((made.width, made.height)), now).await?,
    }
    tx.commit().await.map_err(DbError::from)?;
    for key in replaced {
        if let Ok(key) = BlobKey::parse(&key) {
            let _ = blobs.delete(&key).await;
        }
    }
    Ok(())
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

#[cfg(test)]
mod budget_tests {
    use super::*;

    #[test]
    fn a_decode_larger_than_the_whole_budget_is_refused_not_squeezed_in() {
        assert_eq!(decode_cost_mib(30 << 20, 24_000_000), Some(236));
        assert_eq!(decode_cost_mib(1 << 20, 100_000_000), None, "a 100 MP progressive JPEG");
        assert!(over_budget(1 << 20, 100_000_000).contains("384 MiB"));
        assert_eq!(decode_cost_mib(10, 0), Some(1));
    }
}
