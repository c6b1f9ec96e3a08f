//! Resumable uploads: the state machine behind tus (offsets, the one-writer lease, the
//! part ledger, checksums, the running SHA-256). No HTTP types here.
//!
//! Invariants:
//! - `uploads.upload_offset` counts bytes that are durable in storage *and* hashed into
//!   `hash_state`; it only moves forward, by compare-and-set, under the lease.
//! - Bytes received past the committed offset are not acknowledged: a crash, a lost lease
//!   or a checksum mismatch leaves the upload at its last commit, and the next writer
//!   cuts them off.

mod commit;
mod create;
pub mod direct;
mod finish;

mod lease;
pub mod metadata;
mod prepare;
mod reader;
mod stored;
pub(crate) mod terminate;
mod write;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use relais_storage::BlobError;

pub use create::{LinkDrop, NewUpload, create, create_through_link};
pub use lease::Lease;
pub use terminate::{reap_expired, terminate};

pub(crate) use terminate::discard;

use crate::db::DbError;
use crate::db::uploads::UploadRow;
use crate::domain::{FileId, Timestamp, UploadId};
use crate::state::AppState;

/// A request body as the upload layer sees it.
pub type Body = BoxStream<'static, std::io::Result<Bytes>>;

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("no such upload")]
    NotFound,
    #[error("the upload has expired")]
    Expired,
    #[error("another request is writing to this upload")]
    Locked,
    #[error("the upload is at offset {current}")]
    OffsetMismatch { current: u64 },
    #[error("{0}")]
    TooLarge(String),
    /// The disk keeps its reserve: the request is fine, the room is not.
    #[error("{0}")]
    NoRoom(String),
    #[error("checksum mismatch")]
    ChecksumMismatch,
    /// An upload link does not take this kind of file.
    #[error("{0}")]
    NotAccepted(String),
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error(transparent)]
    Storage(#[from] BlobError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Refuses what would leave the local disk with less than `uploads.disk_reserve` free.
/// Nothing to check on S3 (its room is the provider's) or where the disk cannot be asked.
pub(crate) fn check_room(state: &AppState, incoming: u64) -> Result<(), UploadError> {
    let reserve = state.cfg.uploads.disk_reserve.bytes();
    let relais_storage::StorageConfig::Local { root } = &state.cfg.storage else {
        return Ok(());
    };
    if reserve == 0 {
        return Ok(());
    }
    match crate::disk::space(root) {
        Some(space) if space.free < reserve.saturating_add(incoming) => Err(UploadError::NoRoom(format!(
            "{} free, {} kept in reserve",
            crate::domain::ByteSize::from_bytes(space.free),
            crate::domain::ByteSize::from_bytes(reserve)
        ))),
        _ => Ok(()),
    }
}

/// When an upload touched at `now` expires if nothing more happens.
fn expiry(state: &AppState, now: Timestamp) -> Timestamp {
    now + state.cfg.uploads.expire_after
}

fn invalid(field: &'static str, message: impl ToString) -> UploadError {
    UploadError::Invalid {
        field,
        message: message.to_string(),
    }
}

/// `Upload-Checksum`: the digest the client computed over one PATCH body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Checksum {
    Sha1(Vec<u8>),
    Sha256(Vec<u8>),
}

impl Checksum {
    /// Parses `sha1 <base64>` or `sha256 <base64>`.
    pub fn parse(header: &str) -> Result<Self, UploadError> {
        use base64::Engine;
        let (algo, value) = header
            .trim()
            .split_once(' ')
            .ok_or_else(|| invalid("Upload-Checksum", "expected `<algorithm> <base64>`"))?;
        let digest = base64::engine::general_purpose::STANDARD
            .decode(value.trim())
            .map_err(|_| invalid("Upload-Checksum", "the digest is not base64"))?;
        match (algo.to_ascii_lowercase().as_str(), digest.len()) {
            ("sha1", 20) => Ok(Checksum::Sha1(digest)),
            ("sha256", 32) => Ok(Checksum::Sha256(digest)),
            ("sha1" | "sha256", _) => Err(invalid("Upload-Checksum", "the digest has the wrong length")),
            (other, _) => Err(invalid(
                "Upload-Checksum",
                format!("unsupported algorithm {other:?} (sha1 and sha256 are)"),
            )),
        }
    }
}

/// What a PATCH asks for, already parsed from its headers.
#[derive(Debug, Clone)]
pub struct PatchRequest {
    pub offset: u64,
    /// `Upload-Length` sent with a PATCH to fix a deferred length.
    pub length: Option<u64>,
    pub checksum: Option<Checksum>,
    /// `Content-Length`, when the client sent one.
    pub content_length: Option<u64>,
}

/// Where an upload stands after a PATCH.
#[derive(Debug, Clone)]
pub struct Progress {
    pub offset: u64,
    pub expires_at: Timestamp,
    /// Set when this PATCH stored the last byte.
    pub completed: Option<FileId>,
}

/// Who sends an upload's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sender {
    /// An account.
    User(crate::domain::UserId),
    /// A guest through an upload link: the link, and the hash of the session token they
    /// hold (`None` when they use the link's own token).
    Guest { link: String, session: Option<String> },
}

impl From<crate::domain::UserId> for Sender {
    fn from(id: crate::domain::UserId) -> Self {
        Self::User(id)
    }
}

impl Sender {
    /// Whether `upload` was started by this same sender: an account reaches its own
    /// uploads only (never a guest's, even in its own transfer), a guest only those of
    /// its link and session.
    fn started(&self, upload: &UploadRow) -> bool {
        match self {
            Self::User(id) => upload.owner == *id && upload.link.is_none(),
            Self::Guest { link, session } => {
                upload.link.as_deref() == Some(link.as_str()) && upload.link_session == *session
            }
        }
    }
}

/// Loads an upload for `caller`; someone else's upload does not exist for them.
pub async fn find_for(state: &AppState, caller: &Sender, id: UploadId) -> Result<UploadRow, UploadError> {
    let upload = crate::db::uploads::find(state.db.pool(), id)
        .await?
        .ok_or(UploadError::NotFound)?;
    // Direct-to-bucket uploads are not tus resources, whoever asks.
    if !caller.started(&upload) || upload.direct {
        return Err(UploadError::NotFound);
    }
    Ok(upload)
}

/// Writes a PATCH body. Runs in its own task: if the client goes away the HTTP server
/// drops the handler, but the bytes that arrived are still committed.
pub async fn patch(
    state: &AppState,
    caller: &Sender,
    id: UploadId,
    req: PatchRequest,
    body: Body,
) -> Result<Progress, UploadError> {
    let upload = find_for(state, caller, id).await?;
    if upload.expires_at < state.clock.now() {
        return Err(UploadError::Expired);
    }
    if let Some(answer) = settled(&upload, &req) {
        return answer;
    }
    let lease = Lease::acquire(state, id).await?;
    let task_state = state.clone();
    let task = tokio::spawn(async move {
        let result = write::write(&task_state, &lease, upload, req, body).await;
        lease.release(&task_state).await;
        result
    });
    task.await
        .map_err(|e| UploadError::Storage(BlobError::Backend(format!("upload task failed: {e}"))))?
}

/// The answer to a PATCH that cannot write, whatever the body: it is at the wrong offset,
/// or the upload is complete. Asked before the lease and again under it (another request
/// may have moved the upload on in between), so both give the same answer.
pub(super) fn settled(upload: &UploadRow, req: &PatchRequest) -> Option<Result<Progress, UploadError>> {
    if upload.offset != req.offset {
        return Some(Err(UploadError::OffsetMismatch { current: upload.offset }));
    }
    upload.completed_at?;
    // Everything is already stored: a client resending nothing at the end is told so.
    Some(match req.content_length {
        Some(0) | None => Ok(Progress {
            offset: upload.offset,
            expires_at: upload.expires_at,
            completed: None,
        }),
        Some(_) => Err(UploadError::TooLarge("the upload is already complete".into())),
    })
}

/// Offset, length and metadata for HEAD. A request holding the upload is asked to save
/// what it has and let go first, so the answer is current (tusd's behaviour).
pub async fn status(state: &AppState, caller: &Sender, id: UploadId) -> Result<UploadRow, UploadError> {
    let upload = find_for(state, caller, id).await?;
    if upload.expires_at < state.clock.now() {
        return Err(UploadError::Expired);
    }
    if upload.lease_owner.is_some() && upload.completed_at.is_none() {
        match Lease::acquire_within(state, id, lease::STATUS_WAIT).await {
            Ok(lease) => lease.release(state).await,
            // A holder that does not let go, or a takeover that cannot save (a full disk,
            // a storage outage): the committed offset is still true, and HEAD answers it
            // from the database, so a client can always learn where to resume.
            Err(UploadError::Locked) => {}
            Err(e) => tracing::warn!(upload = %id, error = %e, "HEAD answers the committed offset"),
        }
        return find_for(state, caller, id).await;
    }
    Ok(upload)
}
