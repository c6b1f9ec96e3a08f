//! The write path of backends that stage into one file (local directory, memory): bytes
//! go to the staging file as they arrive and are committed, fsync first, every
//! `CHECKPOINT` bytes and at the end of the body.

use super::commit::{Point, commit};
use super::finish;
use super::hashing::RunningSha256;
use super::lease::Lease;
use super::prepare::{Prepared, past_end, prepare};
use super::reader::{BodyReader, Next};
use super::{Body, PatchRequest, Progress, UploadError};
use crate::state::AppState;

/// Bytes written between two commits: what a crash can cost at most. One commit is an
/// fsync and a small transaction, cheap at this spacing; it matches the S3 part size.
const CHECKPOINT: u64 = 16 * 1024 * 1024;

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
    let Prepared {
        upload,
        length,
        ceiling,
        room,
        mut hash,
    } = prepare(state, lease, &req).await?;
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
        Next::TooLarge => return Err(past_end(ceiling)),
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
