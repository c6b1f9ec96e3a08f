//! The two threads behind a writer: one hashes the bytes, one writes them. Both take the
//! same batches (shared, never copied) in the same order, with the same marks between
//! them, so that the state each reports at a mark describes the same offset.

use std::io::IoSlice;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use tokio::sync::OwnedSemaphorePermit;
use tokio::sync::mpsc::{Sender, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

use super::RunningSha256;
use super::part_file::{PartFile, SealedPart};
use crate::error::BlobError;
use crate::staging::StagingFile;

/// Batches gathered into one write call, at most this many bytes.
const GATHER: usize = 1024 * 1024;

/// Received bytes, holding their share of the writer's memory budget until both threads
/// are done with them.
pub(super) struct Batch {
    pub pieces: Vec<Bytes>,
    pub _permit: OwnedSemaphorePermit,
}

#[derive(Clone)]
pub(super) enum Msg {
    Data(Arc<Batch>),
    /// A boundary: a checkpoint (staging file) or the end of a part (multipart).
    Mark(u64),
    /// The end of the body; `complete` when it is the end of the upload.
    End {
        offset: u64,
        complete: bool,
    },
}

/// Hashes every batch; at each mark and at the end, reports the state at that offset.
pub(super) fn spawn_hasher(
    mut hash: RunningSha256,
    mut rx: UnboundedReceiver<Msg>,
    out: UnboundedSender<(u64, RunningSha256)>,
) -> JoinHandle<()> {
    tokio::task::spawn_blocking(move || {
        while let Some(msg) = rx.blocking_recv() {
            match msg {
                Msg::Data(batch) => batch.pieces.iter().for_each(|piece| hash.update(piece)),
                Msg::Mark(offset) => {
                    if out.send((offset, hash.clone())).is_err() {
                        return;
                    }
                }
                Msg::End { offset, .. } => {
                    let _ = out.send((offset, hash));
                    return;
                }
            }
        }
    })
}

/// What the writing thread has done at a mark.
pub(super) enum Written {
    /// Everything before the offset is written (not yet durable).
    Mark(u64),
    End(u64),
}

/// Takes the next batches already waiting (up to `GATHER` bytes) and the control message
/// that stopped the gathering, if any. `None` when the writer was dropped.
fn gather(rx: &mut UnboundedReceiver<Msg>, batches: &mut Vec<Arc<Batch>>) -> Option<Option<Msg>> {
    let mut next = Some(rx.blocking_recv()?);
    let mut gathered = 0;
    while let Some(msg) = next.take() {
        match msg {
            Msg::Data(batch) => {
                gathered += batch.pieces.iter().map(Bytes::len).sum::<usize>();
                batches.push(batch);
                if gathered < GATHER {
                    next = rx.try_recv().ok();
                }
            }
            control => return Some(Some(control)),
        }
    }
    Some(None)
}

fn slices(batches: &[Arc<Batch>]) -> Vec<IoSlice<'_>> {
    batches
        .iter()
        .flat_map(|b| b.pieces.iter().map(|p| IoSlice::new(p)))
        .collect()
}

/// Writes into one staging file; reports each mark once the bytes before it are written.
pub(super) fn spawn_file_writer(
    file: Arc<dyn StagingFile>,
    abandoned: Arc<AtomicBool>,
    mut rx: UnboundedReceiver<Msg>,
    out: UnboundedSender<Result<Written, BlobError>>,
) -> JoinHandle<()> {
    tokio::task::spawn_blocking(move || {
        let mut batches = Vec::new();
        while let Some(control) = gather(&mut rx, &mut batches) {
            // Bytes the writer gave up on are not written: another writer may own the
            // upload by now.
            if abandoned.load(Ordering::Acquire) {
                return;
            }
            if let Err(e) = file.write_all(&mut slices(&batches)) {
                let _ = out.send(Err(e.into()));
                return;
            }
            batches.clear();
            let report = match control {
                None | Some(Msg::Data(_)) => continue,
                Some(Msg::Mark(offset)) => Written::Mark(offset),
                Some(Msg::End { offset, .. }) => Written::End(offset),
            };
            let last = matches!(report, Written::End(_));
            if out.send(Ok(report)).is_err() || last {
                return;
            }
        }
    })
}

/// A part file handed over by the writing thread.
pub(super) enum Sealed {
    /// A full part, ending at `boundary`.
    Part { boundary: u64, part: SealedPart },
    /// What the body left after its last full part.
    Leftover { end: u64, complete: bool, part: SealedPart },
}

/// Writes into part files on this machine's disk, a new one at each mark. At most one
/// sealed part waits for the joiner (`out` holds one): past that, the thread waits, its
/// queue fills up to the budget and receiving waits in turn.
pub(super) fn spawn_part_writer(
    first: PartFile,
    scratch: PathBuf,
    abandoned: Arc<AtomicBool>,
    mut rx: UnboundedReceiver<Msg>,
    out: Sender<Result<Sealed, BlobError>>,
) -> JoinHandle<()> {
    tokio::task::spawn_blocking(move || {
        let mut current = first;
        let mut batches = Vec::new();
        while let Some(control) = gather(&mut rx, &mut batches) {
            if abandoned.load(Ordering::Acquire) {
                return;
            }
            if let Err(e) = current.write_all(&mut slices(&batches)) {
                let _ = out.blocking_send(Err(e.into()));
                return;
            }
            batches.clear();
            let sealed = match control {
                None | Some(Msg::Data(_)) => continue,
                Some(Msg::Mark(boundary)) => match PartFile::create_blocking(&scratch) {
                    Ok(next) => Sealed::Part {
                        boundary,
                        part: std::mem::replace(&mut current, next).seal(),
                    },
                    Err(e) => {
                        let _ = out.blocking_send(Err(e));
                        return;
                    }
                },
                Some(Msg::End { offset, complete }) => {
                    let _ = out.blocking_send(Ok(Sealed::Leftover {
                        end: offset,
                        complete,
                        part: current.seal(),
                    }));
                    return;
                }
            };
            if out.blocking_send(Ok(sealed)).is_err() {
                return;
            }
        }
    })
}
