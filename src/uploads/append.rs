//! The write path of backends that stage into one file (local directory, memory): bytes
//! go to the staging file as they arrive and are committed, fsync first, every
//! `CHECKPOINT` bytes and at the end of the body.

use super::commit::{Point, commit};
use super::finish;
use super::hashing::RunningSha256;
use super::lease::Lease;
use super::reader::{BodyReader, Next};
use super::{Body, PatchRequest, Progress, UploadError};
use crate::db;
use crate::db::uploads::UploadRow;
use crate::state::AppState;

/// Bytes written between two commits: what a crash can cost at most. One commit is an
/// fsync and a small transaction, cheap at this spacing; it matches the S3 part size.
const CHECKPOINT: u64 = 16 * 1024 * 1024;

/// Fixes a deferred length, or checks the one sent again.
pub(super) async fn settle_length(
    state: &AppState,
    upload: &UploadRow,
    sent: Option<u64>,
) -> Result<Option<u64>, UploadError> {
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
            db::files::set_size(state.db.pool(), upload.file, sent, state.clock.now_ms()).await?;
            Ok(Some(sent))
        }
    }
}

fn point(from: u64, to: u64, hash: &RunningSha256) -> Point<'_> {
    Point {
        from,
        to,
        hash,
        staged_len: 0,
        staged_seq: 0,
        parts: &[],
    }
}

pub(super) async fn write(
    state: &AppState,
    lease: &Lease,
    req: PatchRequest,
    body: Body,
) -> Result<Progress, UploadError> {
    // Read again under the lease: the previous holder may have committed since.
    let upload = db::uploads::find(state.db.pool(), lease.id)
        .await?
        .ok_or(UploadError::NotFound)?;
    if upload.offset != req.offset {
        return Err(UploadError::OffsetMismatch { current: upload.offset });
    }
    let length = settle_length(state, &upload, req.length).await?;
    let ceiling = length.unwrap_or(state.cfg.uploads.max_file_size.bytes());
    let room = ceiling.saturating_sub(upload.offset);
    if req.content_length.is_some_and(|n| n > room) {
        return Err(UploadError::TooLarge(format!(
            "the body goes past the end of the upload ({ceiling} bytes)"
        )));
    }
    let mut hash = RunningSha256::restore(&upload.hash_state)
        .ok_or_else(|| UploadError::Db(db::DbError::Corrupt(format!("hash state of upload {}", upload.id))))?;
    let mut writer = state.blobs.open_append(upload.id.uuid(), upload.offset).await?;
    let verify = req.checksum.is_some();
    let mut reader = BodyReader::new(state, lease, body, room, req.checksum);
    let (mut committed, mut pending) = (upload.offset, upload.offset);
    let mut expires_at = upload.expires_at;

    let end = loop {
        match reader.next().await? {
            Next::Chunk(chunk) => {
                writer.write(&chunk).await?;
                hash.update(&chunk);
                pending += chunk.len() as u64;
                // With a checksum nothing is committed before the whole body is verified.
                if !verify && pending - committed >= CHECKPOINT {
                    writer.sync().await?;
                    expires_at = commit(state, lease, point(committed, pending, &hash)).await?;
                    committed = pending;
                }
            }
            other => break other,
        }
    };
    match end {
        Next::TooLarge => {
            return Err(UploadError::TooLarge(format!(
                "the body goes past the end of the upload ({ceiling} bytes)"
            )));
        }
        // A body cut short cannot be checked against its checksum: it is discarded whole.
        Next::End if reader.checksum_matches() => {}
        _ if verify => return Err(UploadError::ChecksumMismatch),
        _ => {}
    }
    if pending > committed {
        writer.sync().await?;
        expires_at = commit(state, lease, point(committed, pending, &hash)).await?;
    }
    drop(writer);
    let completed = match length {
        Some(total) if pending == total => Some(finish::appended(state, &upload, total, hash).await?),
        _ => None,
    };
    Ok(Progress {
        offset: pending,
        expires_at,
        completed,
    })
}
