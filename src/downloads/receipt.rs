//! A byte stream that writes its download receipt when it ends, or when it is dropped
//! because the client went away.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::{Stream, StreamExt};
use relais_storage::{BlobError, ByteStream};

use crate::db;
use crate::state::AppState;

struct Recorded {
    inner: ByteStream,
    sent: u64,
    expected: u64,
    receipt: Option<(AppState, String)>,
}

impl Recorded {
    /// A download is complete when every byte was handed to the connection without a
    /// storage error; an HTTP server stops polling a body once its announced length is
    /// out, so the end is often seen as a drop, not as the stream's last item.
    fn finish(&mut self, failed: bool) {
        let Some((state, id)) = self.receipt.take() else { return };
        let (sent, complete) = (self.sent, !failed && self.sent == self.expected);
        // Drop cannot wait: the receipt is written by a task of its own, when there is
        // still a runtime to run it (not while the process is shutting down).
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            if let Err(e) = db::downloads::finish(state.db.pool(), &id, sent, complete, state.clock.now_ms()).await {
                tracing::warn!(download = %id, error = %e, "cannot record download");
            }
        });
    }
}

impl Stream for Recorded {
    type Item = Result<bytes::Bytes, BlobError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = self.inner.poll_next_unpin(cx);
        match &next {
            Poll::Ready(Some(Ok(chunk))) => self.sent += chunk.len() as u64,
            Poll::Ready(Some(Err(_))) => self.finish(true),
            Poll::Ready(None) => self.finish(false),
            Poll::Pending => {}
        }
        next
    }
}

impl Drop for Recorded {
    fn drop(&mut self) {
        self.finish(false);
    }
}

/// Wraps `body` so that receipt `id` records what was sent of `expected` bytes.
pub fn recorded(state: &AppState, id: String, expected: u64, body: ByteStream) -> ByteStream {
    Recorded {
        inner: body,
        sent: 0,
        expected,
        receipt: Some((state.clone(), id)),
    }
    .boxed()
}
