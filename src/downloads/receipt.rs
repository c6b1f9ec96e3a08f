//! A byte stream that writes its download receipt when it ends, or when it is dropped
//! because the client went away. A ZIP's receipt also writes one receipt per file it
//! carried, so "did they get everything?" has an answer file by file.

use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::{Stream, StreamExt};
use relais_storage::{BlobError, ByteStream};

use crate::db::{self, downloads::Carried};
#[cfg(test)]
use crate::domain::UserId;
use crate::domain::{FileId, Timestamp, TransferId};
use crate::state::AppState;

/// Where each file of an archive lies in it, to tell how far the client got with each.
pub struct ArchiveLayout {
    pub transfer: TransferId,
    pub who: db::downloads::Downloader,
    pub started_at: Timestamp,
    /// Per file: its id, and where its bytes start and end in the archive.
    pub files: Vec<(FileId, u64, u64)>,
}

impl ArchiveLayout {
    /// Each file the client got bytes of: complete once the archive got past its end.
    fn carried(&self, sent: u64) -> Vec<Carried> {
        self.files
            .iter()
            .filter(|(_, start, end)| sent > *start || (sent >= *end && start == end))
            .map(|(file, start, end)| Carried {
                file: *file,
                bytes: sent.min(*end) - start,
                complete: sent >= *end,
            })
            .collect()
    }
}

struct Recorded {
    inner: ByteStream,
    sent: u64,
    expected: u64,
    receipt: Option<(AppState, String)>,
    layout: Option<ArchiveLayout>,
}

impl Recorded {
    /// A download is complete when every byte was handed to the connection without a
    /// storage error; an HTTP server stops polling a body once its announced length is
    /// out, so the end is often seen as a drop, not as the stream's last item.
    fn finish(&mut self, failed: bool) {
        let Some((state, id)) = self.receipt.take() else { return };
        let (sent, complete) = (self.sent, !failed && self.sent == self.expected);
        let carried = self.layout.take().map(|l| (l.carried(sent), l));
        // Drop cannot wait: the receipt is written by a task of its own, when there is
        // still a runtime to run it (not while the process is shutting down).
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        runtime.spawn(async move {
            if let Err(e) = write(&state, &id, sent, complete, carried).await {
                tracing::warn!(download = %id, error = %e, "cannot record download");
            }
        });
    }
}

async fn write(
    state: &AppState,
    id: &str,
    sent: u64,
    complete: bool,
    carried: Option<(Vec<Carried>, ArchiveLayout)>,
) -> Result<(), db::DbError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    db::downloads::finish(&mut *tx, id, sent, complete, now).await?;
    if let Some((files, layout)) = carried {
        db::downloads::insert_carried(
            &mut tx,
            id,
            layout.transfer,
            &layout.who,
            layout.started_at,
            &files,
            now,
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
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
        layout: None,
    }
    .boxed()
}

/// As [`recorded`], for a ZIP: each file it carried also gets its receipt.
pub fn recorded_archive(
    state: &AppState,
    id: String,
    expected: u64,
    layout: ArchiveLayout,
    body: ByteStream,
) -> ByteStream {
    Recorded {
        inner: body,
        sent: 0,
        expected,
        receipt: Some((state.clone(), id)),
        layout: Some(layout),
    }
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_complete_once_the_archive_got_past_it() {
        let (a, b, c) = (FileId::new(), FileId::new(), FileId::new());
        let layout = ArchiveLayout {
            transfer: TransferId::new(),
            who: db::downloads::Downloader {
                user: Some(UserId::new()),
                link: None,
            },
            started_at: Timestamp::EPOCH,
            files: vec![(a, 40, 140), (b, 200, 300), (c, 350, 350)],
        };
        let at = |sent| {
            layout
                .carried(sent)
                .into_iter()
                .map(|c| (c.file, c.bytes, c.complete))
                .collect::<Vec<_>>()
        };
        assert!(at(30).is_empty(), "only the first header was sent");
        assert_eq!(at(100), [(a, 60, false)]);
        assert_eq!(at(250), [(a, 100, true), (b, 50, false)]);
        assert_eq!(at(400), [(a, 100, true), (b, 100, true), (c, 0, true)]);
    }
}
