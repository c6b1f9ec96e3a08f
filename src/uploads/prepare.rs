//! What both write paths check first, under the lease.

use super::{PatchRequest, UploadError};
use crate::db::uploads::UploadRow;
use crate::db::{self, DbError};
use crate::state::AppState;
use relais_storage::resumable::RunningSha256;

/// An upload ready to receive a PATCH body.
pub(super) struct Prepared {
    pub upload: UploadRow,
    pub length: Option<u64>,
    /// The most the upload may hold: its length, or the size limit while it is deferred.
    pub ceiling: u64,
    /// What this body may carry.
    pub room: u64,
    pub hash: RunningSha256,
}

pub(super) fn past_end(ceiling: u64) -> UploadError {
    UploadError::TooLarge(format!(
        "the body goes past what this upload may hold ({ceiling} bytes: its length, the size limit or the storage quota)"
    ))
}

/// Checks the request against the upload's limits before a byte is read; the upload is
/// as it stands under the lease, at the request's offset and not complete.
pub(super) async fn prepare(state: &AppState, upload: UploadRow, req: &PatchRequest) -> Result<Prepared, UploadError> {
    // Every PATCH leaves the disk its reserve, whatever was true when the upload began
    // (many uploads created together could otherwise fill it between them).
    super::check_room(state, 0)?;
    let length = settle_length(state, &upload, req.length).await?;
    let ceiling = match length {
        Some(known) => known,
        None => deferred_ceiling(state, &upload).await?,
    };
    let room = ceiling.saturating_sub(upload.offset);
    if req.content_length.is_some_and(|n| n > room) {
        return Err(past_end(ceiling));
    }
    let hash = RunningSha256::restore(&upload.hash_state)
        .ok_or_else(|| UploadError::Db(DbError::Corrupt(format!("hash state of upload {}", upload.id))))?;
    Ok(Prepared {
        upload,
        length,
        ceiling,
        room,
        hash,
    })
}

/// How far an upload of still unknown length may go: the size limit, and the client's
/// quota counted as bytes arrive (the quota could not be checked at creation).
async fn deferred_ceiling(state: &AppState, upload: &UploadRow) -> Result<u64, UploadError> {
    let mut ceiling = state.cfg.uploads.max_file_size.bytes();
    let transfer = db::transfers::find(state.db.pool(), upload.transfer)
        .await?
        .ok_or(UploadError::NotFound)?;
    if transfer.direction == crate::domain::Direction::Inbound
        && let Some(client) = transfer.client
        && let Some(quota) = db::users::quota(state.db.pool(), client).await?
    {
        // Everything this client holds, this upload's received bytes included.
        let used = db::files::inbound_bytes(state.db.pool(), client).await?
            + db::files::deferred_inbound_bytes(state.db.pool(), client).await?;
        ceiling = ceiling.min(upload.offset + quota.saturating_sub(used));
    }
    Ok(ceiling)
}

/// Fixes a deferred length, or checks the one sent again.
async fn settle_length(state: &AppState, upload: &UploadRow, sent: Option<u64>) -> Result<Option<u64>, UploadError> {
    match (upload.length, sent) {
        (known, None) => Ok(known),
        (Some(known), Some(sent)) if known == sent => Ok(Some(known)),
        (Some(_), Some(_)) => Err(super::invalid("Upload-Length", "the length is already set and differs")),
        (None, Some(sent)) => {
            if sent < upload.offset {
                return Err(super::invalid(
                    "Upload-Length",
                    "shorter than what was already received",
                ));
            }
            let transfer = db::transfers::find(state.db.pool(), upload.transfer)
                .await?
                .ok_or(UploadError::NotFound)?;
            super::create::check_limits(state, &transfer, sent).await?;
            db::uploads::set_length(state.db.pool(), upload.id, sent).await?;
            db::files::set_size(state.db.pool(), upload.file, sent, state.clock.now()).await?;
            Ok(Some(sent))
        }
    }
}
