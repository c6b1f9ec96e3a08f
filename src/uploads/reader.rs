//! Reads a PATCH body chunk by chunk while keeping the lease alive, enforcing the size
//! limit and computing the `Upload-Checksum` digest.

use bytes::Bytes;
use futures_util::StreamExt;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tokio::time::Instant;

use super::lease::{Beat, Heartbeat};
use super::{Body, Checksum, UploadError};
use crate::state::AppState;

/// The least a PATCH must bring per `uploads.idle_timeout` to stay open: far below the
/// worst mobile line (a few KB/s), far above a connection kept alive one byte at a time.
const MIN_PROGRESS: u64 = 16 * 1024;

pub(crate) enum Next {
    Chunk(Bytes),
    /// The body ended normally.
    End,
    /// The connection broke mid-body.
    Cut,
    /// Another request asked for the upload, or the server is shutting down: stop
    /// reading, keep what arrived.
    Stopped,
    /// The body carries more than the upload may hold.
    TooLarge,
}

enum Running {
    Sha1(Sha1),
    Sha256(Sha256),
}

pub(crate) struct BodyReader<'a> {
    state: &'a AppState,
    heartbeat: &'a mut Heartbeat,
    body: Body,
    /// Bytes this body may still carry.
    room: u64,
    /// Bytes received in the current window of `uploads.idle_timeout`: a window that
    /// brings fewer than `MIN_PROGRESS` ends the body, whether the connection went silent
    /// or trickles a byte now and then to look alive. One timer per window, so the hot
    /// path only adds to a counter.
    window_bytes: u64,
    window: std::pin::Pin<Box<tokio::time::Sleep>>,
    digest: Option<(Running, Checksum)>,
}

impl<'a> BodyReader<'a> {
    pub(crate) fn new(
        state: &'a AppState,
        heartbeat: &'a mut Heartbeat,
        body: Body,
        room: u64,
        checksum: Option<Checksum>,
    ) -> Self {
        let digest = checksum.map(|c| {
            let running = match c {
                Checksum::Sha1(_) => Running::Sha1(Sha1::new()),
                Checksum::Sha256(_) => Running::Sha256(Sha256::new()),
            };
            (running, c)
        });
        Self {
            state,
            heartbeat,
            body,
            room,
            window_bytes: 0,
            window: Box::pin(tokio::time::sleep(state.cfg.uploads.idle_timeout)),
            digest,
        }
    }

    pub(crate) async fn next(&mut self) -> Result<Next, UploadError> {
        loop {
            tokio::select! {
                biased;
                _ = self.state.shutdown.cancelled() => return Ok(Next::Stopped),
                beat = self.heartbeat.changed() => match beat {
                    Beat::Lost => return Err(UploadError::Locked),
                    _ => return Ok(Next::Stopped),
                },
                item = self.body.next() => {
                    let chunk = match item {
                        None => return Ok(Next::End),
                        Some(Err(_)) => return Ok(Next::Cut),
                        Some(Ok(chunk)) if chunk.is_empty() => continue,
                        Some(Ok(chunk)) => chunk,
                    };
                    let len = chunk.len() as u64;
                    self.window_bytes += len;
                    if len > self.room {
                        return Ok(Next::TooLarge);
                    }
                    self.room -= len;
                    match &mut self.digest {
                        Some((Running::Sha1(h), _)) => h.update(&chunk),
                        Some((Running::Sha256(h), _)) => h.update(&chunk),
                        None => {}
                    }
                    return Ok(Next::Chunk(chunk));
                }
                // A connection that sends (next to) nothing, dead or trickling, is treated
                // like a cut one: what arrived is kept, the upload is free again. Checked
                // after the body, so bytes that waited while we were busy writing count.
                _ = self.window.as_mut() => {
                    if self.window_bytes < MIN_PROGRESS {
                        return Ok(Next::Cut);
                    }
                    self.window_bytes = 0;
                    self.window.as_mut().reset(Instant::now() + self.state.cfg.uploads.idle_timeout);
                }
            }
        }
    }

    /// True without `Upload-Checksum`, else whether the body read so far matches it.
    pub(crate) fn checksum_matches(self) -> bool {
        match self.digest {
            None => true,
            Some((Running::Sha1(h), Checksum::Sha1(want))) => h.finalize().as_slice() == want.as_slice(),
            Some((Running::Sha256(h), Checksum::Sha256(want))) => h.finalize().as_slice() == want.as_slice(),
            Some(_) => false,
        }
    }
}
