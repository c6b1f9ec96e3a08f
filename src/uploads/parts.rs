//! The write path of S3-compatible backends: one multipart upload per tus upload, with
//! parts of exactly `part_size` bytes (but the last). Bytes that do not fill a part when
//! a PATCH ends (or breaks) are staged as a "tail" object in the bucket, shared by every
//! node, and merged into the next part by whichever request comes next.
//!
//! Invariant: `offset = full parts in the ledger × part_size + staged_len`.

use std::collections::VecDeque;

use bytes::Bytes;
use relais_storage::{BlobError, MultipartId, PartNumber, PartReceipt, keys};

use super::buffer::PartBuffer;
use super::commit::{Point, commit};
use super::hashing::RunningSha256;
use super::lease::Lease;
use super::prepare::{Prepared, past_end, prepare};
use super::reader::{BodyReader, Next};
use super::{Body, PatchRequest, Progress, UploadError, finish};
use crate::db::{self, DbError};
use crate::state::AppState;

/// Full parts sent to the bucket at once while the next one fills.
const PARTS_IN_FLIGHT: usize = 2;

/// A full part on its way to the bucket, with what the upload will look like once it is.
struct InFlight {
    upload: tokio::task::JoinHandle<Result<PartReceipt, BlobError>>,
    /// The offset just after this part.
    boundary: u64,
    /// The running hash at `boundary`.
    hash: RunningSha256,
}

/// What this PATCH has durably recorded so far.
struct Ledger {
    committed: u64,
    expires_at: i64,
    /// With a checksum, parts are sent as they fill but recorded only once the body checks.
    unverified: Vec<PartReceipt>,
    /// The staged tail this PATCH started from is now inside a recorded part.
    tail_merged: bool,
}

impl Ledger {
    /// Waits for a part and records it (or holds it until the checksum is verified).
    async fn settle(
        &mut self,
        state: &AppState,
        lease: &Lease,
        part: InFlight,
        verify: bool,
        staged_seq: u64,
    ) -> Result<(), UploadError> {
        let receipt = part
            .upload
            .await
            .map_err(|e| UploadError::Storage(BlobError::Backend(format!("part upload task failed: {e}"))))??;
        if verify {
            self.unverified.push(receipt);
            return Ok(());
        }
        let point = Point {
            from: self.committed,
            to: part.boundary,
            hash: &part.hash,
            staged_len: 0,
            staged_seq,
            parts: &[receipt],
        };
        self.expires_at = commit(state, lease, point).await?;
        self.committed = part.boundary;
        self.tail_merged = true;
        Ok(())
    }
}

fn part_number(n: u64) -> Result<PartNumber, UploadError> {
    u32::try_from(n)
        .ok()
        .and_then(PartNumber::new)
        .ok_or_else(|| UploadError::TooLarge("the file needs more than 10 000 parts; raise uploads.part_size".into()))
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
    let corrupt = |what: &str| UploadError::Db(DbError::Corrupt(format!("{what} of upload {}", upload.id)));
    let multipart = MultipartId(upload.multipart_id.clone().ok_or_else(|| corrupt("multipart id"))?);
    let key = keys::file(upload.file.uuid());
    let part_size = upload.part_size;
    let tmp = state.cfg.data_dir.join("tmp");

    // The next part starts with the staged tail, whose bytes are already hashed.
    let mut buffer = PartBuffer::create(&tmp).await?;
    let old_tail = (upload.staged_len > 0).then(|| keys::staged_tail(upload.id.uuid(), upload.staged_seq));
    if let Some(tail) = &old_tail {
        buffer.fill_from(state.blobs.get(tail, None).await?.body).await?;
        if buffer.len != upload.staged_len {
            return Err(BlobError::StagingShort {
                staging: tail.to_string(),
                have: buffer.len,
                want: upload.staged_len,
            }
            .into());
        }
    }
    let mut next_part = (upload.offset - upload.staged_len) / part_size + 1;
    let mut pending = upload.offset;
    let verify = req.checksum.is_some();
    let mut ledger = Ledger {
        committed: upload.offset,
        expires_at: upload.expires_at,
        unverified: Vec::new(),
        tail_merged: false,
    };
    // Parts go up to the bucket while the next one fills: receiving waits for the bucket
    // only when it falls `PARTS_IN_FLIGHT` parts behind. Parts wait on disk, not in memory.
    let mut in_flight: VecDeque<InFlight> = VecDeque::with_capacity(PARTS_IN_FLIGHT);
    let mut reader = BodyReader::new(state, lease, body, room, req.checksum);

    let end = loop {
        let mut chunk: Bytes = match reader.next().await? {
            Next::Chunk(chunk) => chunk,
            other => break other,
        };
        while !chunk.is_empty() {
            let take = (part_size - buffer.len).min(chunk.len() as u64) as usize;
            let piece = chunk.split_to(take);
            buffer.write(&piece).await?;
            hash.update(&piece);
            pending += take as u64;
            if buffer.len < part_size {
                continue;
            }
            if in_flight.len() == PARTS_IN_FLIGHT
                && let Some(oldest) = in_flight.pop_front()
            {
                ledger.settle(state, lease, oldest, verify, upload.staged_seq).await?;
            }
            let full = buffer.next_part().await?;
            let (blobs, key, multipart, number) = (
                state.blobs.clone(),
                key.clone(),
                multipart.clone(),
                part_number(next_part)?,
            );
            let upload_part = tokio::spawn(async move {
                let stream = full.stream().await?;
                // `full` lives until the part is sent: its file goes with it.
                blobs.put_part(&key, &multipart, number, full.len, stream).await
            });
            in_flight.push_back(InFlight {
                upload: upload_part,
                boundary: pending,
                hash: hash.clone(),
            });
            next_part += 1;
        }
    };
    // Whatever happened to the body, parts already on their way are kept if they arrive,
    // recorded in order: each commit starts where the previous one ended.
    while let Some(part) = in_flight.pop_front() {
        ledger.settle(state, lease, part, verify, upload.staged_seq).await?;
    }
    match end {
        Next::TooLarge => return Err(past_end(ceiling)),
        Next::End if reader.checksum_matches() => {}
        _ if verify => return Err(UploadError::ChecksumMismatch),
        _ => {}
    }
    let Ledger {
        committed,
        mut expires_at,
        mut unverified,
        mut tail_merged,
    } = ledger;

    let finishing = length == Some(pending);
    let leftover = buffer.seal().await?;
    let (mut staged_len, mut staged_seq) = (0, upload.staged_seq);
    if leftover.len > 0 && finishing {
        // The last part may be shorter than S3's minimum.
        let receipt = state
            .blobs
            .put_part(
                &key,
                &multipart,
                part_number(next_part)?,
                leftover.len,
                leftover.stream().await?,
            )
            .await?;
        unverified.push(receipt);
    } else if leftover.len > 0 {
        staged_seq += 1;
        let tail = keys::staged_tail(upload.id.uuid(), staged_seq);
        state
            .blobs
            .put_sized(&tail, leftover.len, leftover.stream().await?)
            .await?;
        staged_len = leftover.len;
    }
    if pending > committed || !unverified.is_empty() || staged_seq != upload.staged_seq {
        let point = Point {
            from: committed,
            to: pending,
            hash: &hash,
            staged_len,
            staged_seq,
            parts: &unverified,
        };
        expires_at = commit(state, lease, point).await?;
        tail_merged |= old_tail.is_some();
    }
    if tail_merged && let Some(tail) = &old_tail {
        // No committed state points to it any more.
        if let Err(e) = state.blobs.delete(tail).await {
            tracing::warn!(upload = %upload.id, error = %e, "cannot delete a merged tail; the reaper will");
        }
    }
    let completed = if finishing {
        Some(complete(state, &upload, &multipart, pending, hash).await?)
    } else {
        None
    };
    Ok(Progress {
        offset: pending,
        expires_at,
        completed,
    })
}

/// Joins the parts of the ledger into the object. Safe to repeat after a crash between
/// completing and recording.
async fn complete(
    state: &AppState,
    upload: &db::uploads::UploadRow,
    multipart: &MultipartId,
    len: u64,
    hash: RunningSha256,
) -> Result<crate::domain::FileId, UploadError> {
    let key = keys::file(upload.file.uuid());
    let ledger = db::uploads::parts(state.db.pool(), upload.id).await?;
    let parts: Vec<PartReceipt> = ledger
        .into_iter()
        .map(|(n, size, etag)| {
            Ok(PartReceipt {
                number: part_number(u64::from(n))?,
                size,
                etag,
            })
        })
        .collect::<Result<_, UploadError>>()?;
    if parts.is_empty() {
        // S3 will not complete an upload without parts: an empty file is a plain PUT.
        state.blobs.abort_multipart(&key, multipart).await?;
        state.blobs.put(&key, Bytes::new()).await?;
    } else {
        match state.blobs.complete_multipart(&key, multipart, &parts).await {
            Ok(meta) if meta.size == len => {}
            Ok(meta) => {
                return Err(
                    BlobError::Backend(format!("completed object has {} bytes, expected {len}", meta.size)).into(),
                );
            }
            Err(_) if state.blobs.head(&key).await.is_ok_and(|m| m.size == len) => {}
            Err(e) => return Err(e.into()),
        }
    }
    finish::record_stored(state, upload, len, hash.finish_hex()).await?;
    Ok(upload.file)
}
