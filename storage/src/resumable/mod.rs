//! Resumable writes: one writer for every backend.
//!
//! The application hands over a request body's bytes as they arrive and gets back
//! checkpoints (offset, hash state, staged tail, new parts) to record in its own
//! transaction; it never learns which backend it writes to. Behind [`Writer`] three
//! things run side by side, so that a single upload goes as fast as its slowest stage
//! rather than the sum of them:
//!
//! - the caller's task receives the bytes and cuts them into batches (no copy);
//! - a hashing thread runs SHA-256 over the same batches;
//! - a writing thread puts them in the staging file (one file per upload: local
//!   directory, memory) or in part files that go to the bucket as they fill (S3);
//!
//! and an async joiner makes each boundary durable (an fsync, or a part stored in the
//! bucket) while the bytes after it are already flowing, then pairs it with the hash
//! state at that same offset. A checkpoint exists only once both are true.
//!
//! Memory is bounded per upload by [`BUDGET`]: receiving waits when the hashing or the
//! writing thread falls that far behind.

mod finish;
mod hash;
mod joiner;
mod part_file;
mod threads;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::{Bytes, BytesMut};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc};
use uuid::Uuid;

pub use finish::{begin, complete, discard};
pub use hash::RunningSha256;

use crate::error::BlobError;
use crate::key::{BlobKey, keys};
use crate::object::{BlobStore, Resumable};
use crate::parts::{MultipartId, PartReceipt};
use threads::{Batch, Msg};

/// Bytes received but not yet both hashed and written, per upload, the batch being
/// gathered included: what one upload may hold in memory. Two batches of it let the
/// threads work on one while the next fills.
const BUDGET: usize = 2 * 1024 * 1024;
/// Bytes gathered before they are handed to the threads: one wake-up of each thread per
/// batch, not per network frame (a wake-up costs more than hashing a few kilobytes).
const BATCH: usize = BUDGET / 2;
/// Network frames smaller than this are copied together rather than kept one by one.
const SMALL: usize = 16 * 1024;
/// Bytes between two checkpoints of a staging file: what a crash can cost at most.
/// One fsync and one small transaction each, cheap at this spacing.
pub const CHECKPOINT: u64 = 16 * 1024 * 1024;

/// Where a resumable upload stands, as the application last recorded it.
#[derive(Debug, Clone)]
pub struct Resume {
    /// The upload's own id: names its staging file and its staged tails.
    pub staging: Uuid,
    /// Where the complete object goes.
    pub key: BlobKey,
    pub offset: u64,
    pub hash: RunningSha256,
    /// Multipart backends: the upload's multipart id and part size, and the bytes past
    /// the last full part, staged as an object of their own (`staged_len` bytes, the
    /// `staged_seq`-th such tail).
    pub multipart: Option<MultipartId>,
    pub part_size: u64,
    pub staged_len: u64,
    pub staged_seq: u64,
}

/// How a writer records its progress.
#[derive(Debug, Clone)]
pub struct Options {
    /// Checkpoints while the body flows. Off when the body must be verified whole first
    /// (tus `Upload-Checksum`): then only `finish` gives one.
    pub checkpoints: bool,
    /// A directory on this machine for parts being assembled (multipart backends).
    pub scratch: PathBuf,
}

/// A new durable point of an upload, to be recorded in order: each one starts where the
/// previous one ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub from: u64,
    pub to: u64,
    /// [`RunningSha256::save`] at `to`.
    pub hash_state: Vec<u8>,
    pub staged_len: u64,
    pub staged_seq: u64,
    /// Parts stored since the previous checkpoint, for the part ledger.
    pub parts: Vec<PartReceipt>,
    /// A staged tail nothing refers to once this checkpoint is recorded: delete it then.
    pub obsolete: Option<BlobKey>,
    /// The body's last checkpoint: nothing of this writer follows it.
    pub last: bool,
}

/// What a finished writer leaves.
#[derive(Debug, Clone)]
pub struct Ended {
    pub offset: u64,
    pub hash: RunningSha256,
}

/// The checkpoints of one writer, in order; the stream ends when the writer is finished
/// (or fails, or is dropped).
pub struct Checkpoints(mpsc::UnboundedReceiver<Checkpoint>);

impl Checkpoints {
    pub async fn next(&mut self) -> Option<Checkpoint> {
        self.0.recv().await
    }
}

/// Takes one body's bytes for a resumable upload. Dropping it without
/// [`finish`](Writer::finish) abandons what it received past the last checkpoint.
pub struct Writer {
    offset: u64,
    /// The next offset at which a boundary is marked (a checkpoint or a part's end).
    next_mark: u64,
    /// The distance between two marks.
    spacing: u64,
    pending: Vec<Bytes>,
    pending_len: usize,
    /// The budget's share taken by the pending bytes; it goes with them to the threads.
    pending_permit: Option<OwnedSemaphorePermit>,
    /// Small network frames, copied together: a batch of many tiny frames would otherwise
    /// cost more in bookkeeping than in bytes.
    small: BytesMut,
    budget: Arc<Semaphore>,
    /// `None` once the threads were told to stop.
    to_hash: Option<mpsc::UnboundedSender<Msg>>,
    to_write: Option<mpsc::UnboundedSender<Msg>>,
    /// `None` once it has ended and been awaited.
    joiner: Option<tokio::task::JoinHandle<Result<Ended, BlobError>>>,
    threads: Vec<tokio::task::JoinHandle<()>>,
    /// Set when the writer is abandoned: the writing thread stops at once.
    abandoned: Arc<AtomicBool>,
}

impl Writer {
    /// Opens `resume`'s upload at its offset: whatever a staging file holds past it is
    /// cut off, a staged tail is read back to start the next part.
    pub async fn open(
        store: Arc<dyn BlobStore>,
        resume: Resume,
        options: Options,
    ) -> Result<(Self, Checkpoints), BlobError> {
        let (checkpoints_tx, checkpoints_rx) = mpsc::unbounded_channel();
        let (to_hash, hash_rx) = mpsc::unbounded_channel();
        let (to_write, write_rx) = mpsc::unbounded_channel();
        let (hashed_tx, hashed_rx) = mpsc::unbounded_channel();
        let mut threads = vec![threads::spawn_hasher(resume.hash.clone(), hash_rx, hashed_tx)];
        let abandoned = Arc::new(AtomicBool::new(false));
        let (next_mark, spacing, joiner) = match store.clone().resumable() {
            Resumable::Staging(staging) => {
                let file = staging.open_staging(resume.staging, resume.offset).await?;
                let (written_tx, written_rx) = mpsc::unbounded_channel();
                threads.push(threads::spawn_file_writer(
                    file.clone(),
                    abandoned.clone(),
                    write_rx,
                    written_tx,
                ));
                let spacing = if options.checkpoints { CHECKPOINT } else { u64::MAX };
                let joiner = joiner::Append {
                    file,
                    written: written_rx,
                    hashed: hashed_rx,
                    out: checkpoints_tx,
                    from: resume.offset,
                    checkpoints: options.checkpoints,
                };
                (
                    resume.offset.saturating_add(spacing),
                    spacing,
                    tokio::spawn(joiner.run()),
                )
            }
            Resumable::Parts(parts) => {
                let multipart = resume
                    .multipart
                    .clone()
                    .ok_or_else(|| BlobError::Backend(format!("upload {} has no multipart id", resume.staging)))?;
                let first = part_file::PartFile::create(&options.scratch).await?;
                let old_tail = (resume.staged_len > 0).then(|| keys::staged_tail(resume.staging, resume.staged_seq));
                let first = match &old_tail {
                    Some(tail) => first.fill_from(&*store, tail, resume.staged_len).await?,
                    None => first,
                };
                // The tail's bytes are already hashed: the part fills up from them.
                let part_start = resume.offset - resume.staged_len;
                let (sealed_tx, sealed_rx) = mpsc::channel(1);
                threads.push(threads::spawn_part_writer(
                    first,
                    options.scratch.clone(),
                    abandoned.clone(),
                    write_rx,
                    sealed_tx,
                ));
                let joiner = joiner::Parts {
                    store: store.clone(),
                    parts,
                    key: resume.key.clone(),
                    multipart,
                    next_number: part_start / resume.part_size + 1,
                    sealed: sealed_rx,
                    hashed: hashed_rx,
                    out: checkpoints_tx,
                    from: resume.offset,
                    staged: (resume.staged_len, resume.staged_seq),
                    old_tail,
                    staging: resume.staging,
                    checkpoints: options.checkpoints,
                };
                (
                    part_start + resume.part_size,
                    resume.part_size,
                    tokio::spawn(joiner.run()),
                )
            }
        };
        let writer = Self {
            offset: resume.offset,
            next_mark,
            spacing,
            pending: Vec::new(),
            pending_len: 0,
            pending_permit: None,
            small: BytesMut::new(),
            budget: Arc::new(Semaphore::new(BUDGET)),
            to_hash: Some(to_hash),
            to_write: Some(to_write),
            joiner: Some(joiner),
            threads,
            abandoned,
        };
        Ok((writer, Checkpoints(checkpoints_rx)))
    }

    /// The offset after the last byte taken.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Takes the next bytes of the body. Waits while the threads are a budget behind.
    pub async fn write(&mut self, mut chunk: Bytes) -> Result<(), BlobError> {
        while !chunk.is_empty() {
            let room = self.next_mark - self.offset;
            let piece = if (chunk.len() as u64) > room {
                chunk.split_to(room as usize)
            } else {
                std::mem::take(&mut chunk)
            };
            self.take_budget(piece.len()).await?;
            self.offset += piece.len() as u64;
            self.pending_len += piece.len();
            if piece.len() < SMALL {
                self.small.extend_from_slice(&piece);
            } else {
                self.keep_small();
                self.pending.push(piece);
            }
            if self.offset == self.next_mark {
                self.send_batch().await?;
                self.send(Msg::Mark(self.offset)).await?;
                self.next_mark = self.offset.saturating_add(self.spacing);
            } else if self.pending_len >= BATCH {
                self.send_batch().await?;
            }
        }
        Ok(())
    }

    /// Ends the body: makes everything received durable (the last part when `complete`,
    /// else a staged tail) and gives the last checkpoint. Waits for every checkpoint.
    /// Cancelled midway, it leaves the writer to be [abandoned](Self::abandon).
    pub async fn finish(&mut self, complete: bool) -> Result<Ended, BlobError> {
        self.send_batch().await?;
        self.send(Msg::End {
            offset: self.offset,
            complete,
        })
        .await?;
        self.ended().await
    }

    /// Gives up on what was received past the last checkpoint: nothing more is written,
    /// made durable or reported, and this returns only once the threads and the joiner
    /// have stopped, so that the upload can be handed to another writer without a late
    /// write of this one landing over its bytes.
    pub async fn abandon(mut self) {
        self.stop();
        if let Some(joiner) = self.joiner.take() {
            let _ = joiner.await;
        }
        for thread in std::mem::take(&mut self.threads) {
            let _ = thread.await;
        }
    }

    /// Tells everything behind the writer to stop, without waiting.
    fn stop(&mut self) {
        self.abandoned.store(true, Ordering::Release);
        self.to_hash = None;
        self.to_write = None;
        if let Some(joiner) = &self.joiner {
            joiner.abort();
        }
    }

    /// Ends the run of small frames being gathered, as one piece.
    fn keep_small(&mut self) {
        if !self.small.is_empty() {
            self.pending.push(self.small.split().freeze());
        }
    }

    /// Waits for `len` bytes of the budget before they are taken. A batch they would
    /// push past `BATCH` goes to the threads first, so the pending bytes never wait for
    /// a share they hold themselves.
    async fn take_budget(&mut self, len: usize) -> Result<(), BlobError> {
        if self.pending_len > 0 && self.pending_len + len > BATCH {
            self.send_batch().await?;
        }
        // A piece larger than the budget takes all of it (it can only be a single network
        // frame that large).
        let permits = u32::try_from(len.min(BUDGET)).unwrap_or(u32::MAX);
        let permit = self
            .budget
            .clone()
            .acquire_many_owned(permits)
            .await
            .map_err(|_| BlobError::Backend("writer budget closed".into()))?;
        match &mut self.pending_permit {
            Some(held) => held.merge(permit),
            None => self.pending_permit = Some(permit),
        }
        Ok(())
    }

    async fn send_batch(&mut self) -> Result<(), BlobError> {
        self.keep_small();
        let Some(permit) = self.pending_permit.take() else {
            return Ok(());
        };
        self.pending_len = 0;
        let batch = Arc::new(Batch {
            pieces: std::mem::take(&mut self.pending),
            _permit: permit,
        });
        self.send(Msg::Data(batch)).await
    }

    /// Sends to both threads; a thread that stopped has failed, and the joiner knows why.
    async fn send(&mut self, msg: Msg) -> Result<(), BlobError> {
        let sent = match (&self.to_hash, &self.to_write) {
            (Some(hash), Some(write)) => hash.send(msg.clone()).is_ok() && write.send(msg).is_ok(),
            _ => false,
        };
        if sent {
            return Ok(());
        }
        // Both threads are told to stop first: one waiting for a message the failed one
        // will never pass on would otherwise keep the joiner waiting too.
        self.to_hash = None;
        self.to_write = None;
        Err(match self.ended().await {
            Err(e) => e,
            Ok(_) => BlobError::Backend("the upload writer stopped early".into()),
        })
    }

    async fn ended(&mut self) -> Result<Ended, BlobError> {
        // The handle stays in `self` while awaited: if this is cancelled, dropping or
        // abandoning the writer still stops the joiner.
        let joiner = self
            .joiner
            .as_mut()
            .ok_or_else(|| BlobError::Backend("the upload writer already ended".into()))?;
        let ended = joiner
            .await
            .map_err(|e| BlobError::Backend(format!("upload writer task failed: {e}")))?;
        self.joiner = None;
        ended
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        // Dropped unfinished (without `abandon`, so nobody waits): nothing more is made
        // durable or reported. The threads see their channels close and stop; part files
        // are removed with them.
        if self.joiner.is_some() {
            self.stop();
        }
    }
}

#[cfg(test)]
mod tests;
