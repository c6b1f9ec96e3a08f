//! Direct-to-bucket uploads (S3 only): the browser sends each part to the bucket with a
//! URL signed here on demand, in the shapes `@uppy/aws-s3` expects from Companion. Relais
//! keeps the file record, checks every request against it, and before the file counts as
//! stored, checks the object's size and reads it back once to record its SHA-256.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use futures_util::StreamExt;
use relais_storage::{BlobError, BlobStore, MultipartId, PartNumber, PartReceipt, PresignOp, PresignRequest, keys};
use sha2::{Digest, Sha256};
use url::Url;

use super::create::{FileSpec, create_upload};
use super::{UploadError, invalid};
use crate::db::uploads::UploadRow;
use crate::db::users::User;
use crate::db::{self, Db, DbError};
use crate::domain::{FileId, UserId};
use crate::jobs::{JobError, JobHandler};
use crate::state::AppState;

/// Part URLs are short-lived: signed when the browser is about to send the part.
pub const PART_URL_TTL: Duration = Duration::from_secs(900);
pub const VERIFY_KIND: &str = "verify_direct_upload";

/// What the browser says about the file it is about to send.
pub struct DirectFile<'a> {
    pub filename: &'a str,
    pub filetype: Option<&'a str>,
    /// Required: limits are checked before a single part is signed.
    pub size: u64,
    pub transfer: Option<&'a str>,
    pub category: Option<&'a str>,
    /// A portfolio album or story the file goes into (studio only).
    pub album: Option<&'a str>,
    pub story: Option<&'a str>,
}

pub struct Started {
    pub key: String,
    pub upload_id: String,
}

fn enabled(state: &AppState) -> Result<(), UploadError> {
    if state.cfg.uploads.direct_to_bucket && state.blobs.backend() == "s3" {
        Ok(())
    } else {
        Err(UploadError::NotFound)
    }
}

pub async fn start(state: &AppState, caller: &User, file: DirectFile<'_>) -> Result<Started, UploadError> {
    enabled(state)?;
    let spec = FileSpec {
        filename: Some(file.filename),
        filetype: file.filetype,
        category: file.category,
        transfer: file.transfer,
        album: file.album,
        story: file.story,
        length: Some(file.size),
        raw_metadata: "",
        direct: true,
    };
    let upload = create_upload(state, caller, spec).await?;
    let upload_id = upload
        .multipart_id
        .clone()
        .ok_or_else(|| invalid("storage", "no multipart upload was started"))?;
    Ok(Started {
        key: keys::file(upload.file.uuid()).to_string(),
        upload_id,
    })
}

/// The caller's open direct upload with this key and id; anything else does not exist.
async fn authorize(state: &AppState, caller: UserId, key: &str, upload_id: &str) -> Result<UploadRow, UploadError> {
    enabled(state)?;
    let upload = db::uploads::find_direct(state.db.pool(), upload_id)
        .await?
        .ok_or(UploadError::NotFound)?;
    if upload.owner != caller || upload.link.is_some() || keys::file(upload.file.uuid()).as_str() != key {
        return Err(UploadError::NotFound);
    }
    if upload.completed_at.is_none() && upload.expires_at < state.clock.now() {
        return Err(UploadError::Expired);
    }
    Ok(upload)
}

pub async fn sign_part(
    state: &AppState,
    caller: UserId,
    key: &str,
    upload_id: &str,
    part: u32,
) -> Result<Url, UploadError> {
    let upload = authorize(state, caller, key, upload_id).await?;
    if upload.completed_at.is_some() {
        return Err(invalid("uploadId", "the upload is already complete"));
    }
    let part = PartNumber::new(part).ok_or_else(|| invalid("partNumber", "expected 1 to 10000"))?;
    // The browser is still at it: the upload is not abandoned.
    let expires_at = super::expiry(state, state.clock.now());
    db::uploads::touch_expiry(state.db.pool(), upload.id, expires_at).await?;
    let request = PresignRequest {
        key: keys::file(upload.file.uuid()),
        op: PresignOp::UploadPart {
            upload: MultipartId(upload_id.to_owned()),
            part,
        },
        expires_in: PART_URL_TTL,
    };
    Ok(presigner(state)?.presign(&request).await?)
}

/// The bucket's signed URLs: direct uploads exist only where browsers reach the storage.
fn presigner(state: &AppState) -> Result<std::sync::Arc<dyn relais_storage::Presign>, UploadError> {
    state
        .blobs
        .clone()
        .presigner()
        .ok_or_else(|| invalid("storage", "direct-to-bucket uploads need S3 storage"))
}

/// The bucket's multipart uploads, which direct uploads are made of.
fn multipart(state: &AppState) -> Result<std::sync::Arc<dyn relais_storage::PartStore>, UploadError> {
    match state.blobs.clone().resumable() {
        relais_storage::Resumable::Parts(parts) => Ok(parts),
        relais_storage::Resumable::Staging(_) => Err(invalid("storage", "direct-to-bucket uploads need S3 storage")),
    }
}

pub async fn list_parts(
    state: &AppState,
    caller: UserId,
    key: &str,
    upload_id: &str,
) -> Result<Vec<PartReceipt>, UploadError> {
    let upload = authorize(state, caller, key, upload_id).await?;
    Ok(multipart(state)?
        .list_parts(&keys::file(upload.file.uuid()), &MultipartId(upload_id.to_owned()))
        .await?)
}

/// Joins the parts, checks the size, and queues the SHA-256 read-back. Safe to repeat.
pub async fn complete(
    state: &AppState,
    caller: UserId,
    key: &str,
    upload_id: &str,
    mut parts: Vec<(u32, String)>,
) -> Result<FileId, UploadError> {
    let upload = authorize(state, caller, key, upload_id).await?;
    if upload.completed_at.is_some() {
        return Ok(upload.file);
    }
    let length = upload.length.unwrap_or_default();
    parts.sort_by_key(|(n, _)| *n);
    let receipts = parts
        .into_iter()
        .map(|(n, etag)| {
            let number = PartNumber::new(n).ok_or_else(|| invalid("parts", "part numbers go from 1 to 10000"))?;
            Ok(PartReceipt { number, size: 0, etag })
        })
        .collect::<Result<Vec<_>, UploadError>>()?;
    let object = keys::file(upload.file.uuid());
    let meta = multipart(state)?
        .complete_multipart(&object, &MultipartId(upload_id.to_owned()), &receipts)
        .await?;
    if meta.size != length {
        // Not what was announced (and checked against the limits): it is not kept.
        state.blobs.delete(&object).await?;
        db::files::delete(state.db.pool(), upload.file).await?;
        return Err(invalid(
            "parts",
            format!("the object has {} bytes, {length} were announced", meta.size),
        ));
    }
    let now = state.clock.now();
    let expires_at = super::expiry(state, now);
    let mut tx = state.db.begin().await?;
    db::uploads::complete(&mut tx, upload.id, length, expires_at, now).await?;
    crate::jobs::enqueue(&mut *tx, VERIFY_KIND, &VerifyPayload { file: upload.file }, 5, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    state.jobs_queued();
    Ok(upload.file)
}

pub async fn abort(state: &AppState, caller: UserId, key: &str, upload_id: &str) -> Result<(), UploadError> {
    let upload = authorize(state, caller, key, upload_id).await?;
    if upload.completed_at.is_some() {
        return Err(invalid("uploadId", "the upload is complete; delete the file instead"));
    }
    super::discard(state, &upload).await
}

#[derive(serde::Serialize, serde::Deserialize)]
struct VerifyPayload {
    file: FileId,
}

/// Reads a direct upload back once, computes its SHA-256, and marks the file stored.
pub struct VerifyDirectUpload {
    pub db: Db,
    pub blobs: Arc<dyn BlobStore>,
    pub clock: crate::clock::Clock,
}

#[async_trait]
impl JobHandler for VerifyDirectUpload {
    fn kind(&self) -> &'static str {
        VERIFY_KIND
    }

    fn max_attempts(&self) -> i64 {
        5
    }

    async fn run(&self, payload: &str) -> Result<(), JobError> {
        let payload: VerifyPayload =
            serde_json::from_str(payload).map_err(|e| JobError::Fatal(format!("bad payload: {e}")))?;
        let Some(file) = db::files::find(self.db.pool(), payload.file).await? else {
            return Err(JobError::Fatal("the file no longer exists".into()));
        };
        let fail = |why: String| async move {
            // Visible to the studio as a failed file, never a silent loss.
            db::files::mark_failed(self.db.pool(), file.id, self.clock.now()).await?;
            Err::<(), JobError>(JobError::Fatal(why))
        };
        let mut read = match self.blobs.get(&keys::file(file.id.uuid()), None).await {
            Ok(read) => read,
            Err(BlobError::NotFound { .. }) => return fail("the object is missing from the bucket".into()).await,
            Err(e) => return Err(JobError::Retry(e.to_string())),
        };
        let mut hash = Sha256::new();
        let mut size = 0u64;
        while let Some(chunk) = read.body.next().await {
            let chunk = chunk.map_err(|e| JobError::Retry(e.to_string()))?;
            hash.update(&chunk);
            size += chunk.len() as u64;
        }
        if Some(size) != file.size {
            return fail(format!("the object has {size} bytes, {:?} were announced", file.size)).await;
        }
        let sha256: String = hash.finalize().iter().map(|b| format!("{b:02x}")).collect();
        let mut tx = self.db.begin().await?;
        super::stored::mark(&mut tx, file.id, size, &sha256, self.clock.now()).await?;
        tx.commit().await.map_err(DbError::from)?;
        tracing::info!(file = %file.id, size, %sha256, "direct upload verified and stored");
        Ok(())
    }
}
