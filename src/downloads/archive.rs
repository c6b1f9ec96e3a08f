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

pub fn stream<T: Send + Sync + 'static>(state: AppState, plan: Plan<(BlobKey, T)>) -> ByteStream {
    let (tx, rx) = mpsc::channel::<Result<bytes::Bytes, BlobError>>(IN_FLIGHT);
    let producer = async move {
        let mut crcs = Vec::with_capacity(plan.entries.len());
        for entry in &plan.entries {
            if tx.send(Ok(plan.local_header(entry))).await.is_err() {
                return; // the client went away
            }
            let mut read = match state.blobs.get(&entry.source.0, None).await {
                Ok(read) => read,
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    return;
                }
            };
            let mut crc = crc32fast::Hasher::new();
            let mut sent = 0u64;
            while let Some(chunk) = read.body.next().await {
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
