//! Streams a planned ZIP: headers, each file's bytes straight from storage, descriptors,
//! then the central directory. A producer task feeds a small channel, so memory stays at
//! a few chunks whatever the archive size, and the first bytes leave at once.

use futures_util::StreamExt;
use relais_storage::{BlobError, BlobKey, ByteStream};
use tokio::sync::mpsc;
use tracing::Instrument;

use super::zip::Plan;
use crate::state::AppState;

/// Chunks waiting between the producer and the client.
const IN_FLIGHT: usize = 4;

/// Where an entry's bytes come from: an object, or bytes made for this archive (the data
/// file of a client's export).
pub enum Source {
    Object(BlobKey),
    Inline(bytes::Bytes),
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Object(key) => write!(f, "{key}"),
            Source::Inline(_) => f.write_str("(made for this archive)"),
        }
    }
}

pub fn stream<T: Send + Sync + 'static>(state: AppState, plan: Plan<(Source, T)>) -> ByteStream {
    let (tx, rx) = mpsc::channel::<Result<bytes::Bytes, BlobError>>(IN_FLIGHT);
    let producer = async move {
        let mut crcs = Vec::with_capacity(plan.entries.len());
        for entry in &plan.entries {
            if tx.send(Ok(plan.local_header(entry))).await.is_err() {
                return; // the client went away
            }
            let mut body = match &entry.source.0 {
                Source::Object(key) => match state.blobs.get(key, None).await {
                    Ok(read) => read.body,
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                },
                Source::Inline(bytes) => futures_util::stream::once(std::future::ready(Ok(bytes.clone()))).boxed(),
            };
            let mut crc = crc32fast::Hasher::new();
            let mut sent = 0u64;
            while let Some(chunk) = body.next().await {
                let chunk = match chunk {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                };
                crc.update(&chunk);
                sent += chunk.len() as u64;
                if tx.send(Ok(chunk)).await.is_err() {
                    return;
                }
            }
            if sent != entry.size {
                // The archive's announced layout would be wrong: better cut it short.
                let _ = tx
                    .send(Err(BlobError::Backend(format!(
                        "{} changed size while being archived",
                        entry.source.0
                    ))))
                    .await;
                return;
            }
            let crc = crc.finalize();
            crcs.push(crc);
            if tx.send(Ok(plan.descriptor(entry, crc))).await.is_err() {
                return;
            }
        }
        let _ = tx.send(Ok(plan.trailer(&crcs))).await;
    };
    tokio::spawn(producer.instrument(tracing::info_span!("zip-archive")));
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) }).boxed()
}
