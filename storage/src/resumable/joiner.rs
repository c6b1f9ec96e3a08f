//! The async side of a writer: makes each boundary durable while the bytes after it
//! flow on, pairs it with the hash state at the same offset and reports a checkpoint.

use std::sync::Arc;

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesOrdered;
use tokio::sync::mpsc::{Receiver, UnboundedReceiver, UnboundedSender};
use uuid::Uuid;

use super::threads::{Sealed, Written};
use super::{Checkpoint, Ended, RunningSha256};
use crate::error::BlobError;
use crate::key::{BlobKey, keys};
use crate::object::BlobStore;
use crate::parts::{MultipartId, PartNumber, PartReceipt, PartStore};
use crate::staging::StagingFile;

/// Full parts sent to the bucket at once while the next one fills.
const PARTS_IN_FLIGHT: usize = 2;

fn stopped() -> BlobError {
    BlobError::Backend("an upload writer thread stopped".into())
}

/// The hash state at `offset`; the hashing thread reports marks in the same order.
async fn hash_at(
    hashed: &mut UnboundedReceiver<(u64, RunningSha256)>,
    offset: u64,
) -> Result<RunningSha256, BlobError> {
    match hashed.recv().await {
        Some((at, hash)) if at == offset => Ok(hash),
        Some((at, _)) => Err(BlobError::Backend(format!(
            "hash at {at} while the bytes are at {offset}"
        ))),
        None => Err(stopped()),
    }
}

/// A staging file: each mark is an fsync, run while the writing thread goes on.
pub(super) struct Append {
    pub file: Arc<dyn StagingFile>,
    pub written: UnboundedReceiver<Result<Written, BlobError>>,
    pub hashed: UnboundedReceiver<(u64, RunningSha256)>,
    pub out: UnboundedSender<Checkpoint>,
    pub from: u64,
    pub checkpoints: bool,
}

impl Append {
    pub(super) async fn run(mut self) -> Result<Ended, BlobError> {
        loop {
            let (offset, last) = match self.written.recv().await.ok_or_else(stopped)?? {
                Written::Mark(offset) => (offset, false),
                Written::End(offset) => (offset, true),
            };
            // Everything before `offset` is written: make it durable. The offset is
            // reported only once the fsync has returned.
            let file = self.file.clone();
            tokio::task::spawn_blocking(move || file.sync())
                .await
                .map_err(|e| BlobError::Backend(format!("fsync task failed: {e}")))??;
            let hash = hash_at(&mut self.hashed, offset).await?;
            if offset > self.from && (self.checkpoints || last) {
                let _ = self.out.send(Checkpoint {
                    from: self.from,
                    to: offset,
                    hash_state: hash.save(),
                    staged_len: 0,
                    staged_seq: 0,
                    parts: Vec::new(),
                    obsolete: None,
                    last,
                });
                self.from = offset;
            }
            if last {
                return Ok(Ended { offset, hash });
            }
        }
    }
}

type PartUpload = BoxFuture<'static, (u64, RunningSha256, Result<PartReceipt, BlobError>)>;

/// A multipart upload: each mark is a full part, sent to the bucket while the next one
/// fills and recorded as soon as the bucket has it, so a node that dies loses at most the
/// parts in flight. What the body leaves after its last full part is staged in the
/// bucket as a tail object, where any node finds it.
pub(super) struct Parts {
    /// Where staged tails go.
    pub store: Arc<dyn BlobStore>,
    pub parts: Arc<dyn PartStore>,
    pub key: BlobKey,
    pub multipart: MultipartId,
    pub next_number: u64,
    pub sealed: Receiver<Result<Sealed, BlobError>>,
    pub hashed: UnboundedReceiver<(u64, RunningSha256)>,
    pub out: UnboundedSender<Checkpoint>,
    pub from: u64,
    /// `(staged_len, staged_seq)` as last recorded.
    pub staged: (u64, u64),
    /// The staged tail this body started from, until a checkpoint no longer needs it.
    pub old_tail: Option<BlobKey>,
    pub staging: Uuid,
    pub checkpoints: bool,
}

impl Parts {
    fn number(&mut self) -> Result<PartNumber, BlobError> {
        let number = u32::try_from(self.next_number)
            .ok()
            .and_then(PartNumber::new)
            .ok_or(BlobError::TooManyParts)?;
        self.next_number += 1;
        Ok(number)
    }

    fn send_part(
        &mut self,
        boundary: u64,
        hash: RunningSha256,
        part: super::part_file::SealedPart,
    ) -> Result<PartUpload, BlobError> {
        let number = self.number()?;
        let (parts, key, multipart) = (self.parts.clone(), self.key.clone(), self.multipart.clone());
        Ok(Box::pin(async move {
            let stored = match part.stream() {
                // `part` lives until the bucket has it: its file goes with it.
                Ok(body) => parts.put_part(&key, &multipart, number, part.len, body).await,
                Err(e) => Err(e),
            };
            (boundary, hash, stored)
        }))
    }

    /// A part the bucket now holds: a checkpoint, or held for the last one.
    fn settle(&mut self, boundary: u64, hash: &RunningSha256, receipt: PartReceipt, held: &mut Vec<PartReceipt>) {
        held.push(receipt);
        if !self.checkpoints {
            return;
        }
        self.staged.0 = 0;
        let _ = self.out.send(Checkpoint {
            from: self.from,
            to: boundary,
            hash_state: hash.save(),
            staged_len: 0,
            staged_seq: self.staged.1,
            parts: std::mem::take(held),
            // The old tail is inside the first part.
            obsolete: self.old_tail.take(),
            last: false,
        });
        self.from = boundary;
    }

    pub(super) async fn run(mut self) -> Result<Ended, BlobError> {
        let mut uploads: FuturesOrdered<PartUpload> = FuturesOrdered::new();
        let mut held = Vec::new();
        let (end, complete, leftover, hash) = loop {
            tokio::select! {
                biased;
                Some((boundary, hash, stored)) = uploads.next(), if !uploads.is_empty() => {
                    self.settle(boundary, &hash, stored?, &mut held);
                }
                sealed = self.sealed.recv(), if uploads.len() < PARTS_IN_FLIGHT => {
                    match sealed.ok_or_else(stopped)?? {
                        Sealed::Part { boundary, part } => {
                            let hash = hash_at(&mut self.hashed, boundary).await?;
                            uploads.push_back(self.send_part(boundary, hash, part)?);
                        }
                        Sealed::Leftover { end, complete, part } => {
                            let hash = hash_at(&mut self.hashed, end).await?;
                            break (end, complete, part, hash);
                        }
                    }
                }
            }
        };
        // Whatever happened to the body, parts on their way are kept if they arrive.
        while let Some((boundary, hash, stored)) = uploads.next().await {
            self.settle(boundary, &hash, stored?, &mut held);
        }
        let nothing_new = end == self.from && held.is_empty();
        if nothing_new && !(complete && leftover.len > 0) {
            return Ok(Ended { offset: end, hash });
        }
        if leftover.len > 0 && complete {
            // The last part may be shorter than S3's minimum.
            let number = self.number()?;
            let receipt = self
                .parts
                .put_part(&self.key, &self.multipart, number, leftover.len, leftover.stream()?)
                .await?;
            held.push(receipt);
            self.staged.0 = 0;
        } else if leftover.len > 0 {
            let seq = self.staged.1 + 1;
            let tail = keys::staged_tail(self.staging, seq);
            self.store.put_sized(&tail, leftover.len, leftover.stream()?).await?;
            self.staged = (leftover.len, seq);
        } else {
            self.staged.0 = 0;
        }
        let _ = self.out.send(Checkpoint {
            from: self.from,
            to: end,
            hash_state: hash.save(),
            staged_len: self.staged.0,
            staged_seq: self.staged.1,
            parts: held,
            // Merged into a part or staged again under a new name.
            obsolete: self.old_tail.take(),
            last: true,
        });
        Ok(Ended { offset: end, hash })
    }
}
