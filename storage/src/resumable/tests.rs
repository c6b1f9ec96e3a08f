//! The writer on a staging store (memory): checkpoints in order and contiguous, each with
//! the hash of exactly the bytes before it; a writer dropped mid-body reports nothing
//! past its last checkpoint; a writer opened again from a checkpoint ends at the digest
//! of the whole. (Multipart backends are exercised against real S3 servers in the API
//! suite.)

use std::sync::Arc;

use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::*;
use crate::config::StorageConfig;

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn resume(staging: Uuid, offset: u64, hash: RunningSha256) -> Resume {
    Resume {
        staging,
        key: keys::file(staging),
        offset,
        hash,
        multipart: None,
        part_size: 0,
        staged_len: 0,
        staged_seq: 0,
    }
}

fn options(checkpoints: bool) -> Options {
    Options {
        checkpoints,
        scratch: std::env::temp_dir(),
    }
}

/// Feeds `bytes` in pieces of odd sizes, tiny ones (gathered by copy) among large ones
/// (kept as they come).
async fn feed(writer: &mut Writer, mut bytes: &[u8]) {
    for size in [1, 7, 20_000, 777_777, 3, 16_383, 16_384].into_iter().cycle() {
        if bytes.is_empty() {
            return;
        }
        let (piece, rest) = bytes.split_at(size.min(bytes.len()));
        writer.write(Bytes::copy_from_slice(piece)).await.expect("write");
        bytes = rest;
    }
}

#[tokio::test]
async fn checkpoints_follow_each_other_and_hash_exactly_the_bytes_before_them() {
    let store: Arc<dyn BlobStore> = crate::open(&StorageConfig::Memory).expect("store");
    let staging = Uuid::new_v4();
    let body = data(2 * CHECKPOINT as usize + 12_345);
    let (mut writer, mut checkpoints) =
        Writer::open(store.clone(), resume(staging, 0, RunningSha256::new()), options(true))
            .await
            .expect("open");
    feed(&mut writer, &body).await;
    let ended = writer.finish(true).await.expect("finish");
    assert_eq!(ended.offset, body.len() as u64);

    let mut seen = Vec::new();
    while let Some(point) = checkpoints.next().await {
        seen.push(point);
    }
    let ends: Vec<u64> = seen.iter().map(|p| p.to).collect();
    assert_eq!(ends, [CHECKPOINT, 2 * CHECKPOINT, body.len() as u64]);
    let last: Vec<bool> = seen.iter().map(|p| p.last).collect();
    assert_eq!(last, [false, false, true], "only the body's last checkpoint says so");
    let mut from = 0;
    for point in &seen {
        assert_eq!(point.from, from, "contiguous");
        let hash = RunningSha256::restore(&point.hash_state).expect("state");
        assert_eq!(
            hash.finish_hex(),
            hex(&body[..point.to as usize]),
            "hash at {}",
            point.to
        );
        from = point.to;
    }
    assert_eq!(ended.hash.finish_hex(), hex(&body));
    let stored = complete(&store, staging, &keys::file(staging), None, body.len() as u64, &[])
        .await
        .expect("complete");
    assert_eq!(stored.size, body.len() as u64);
}

#[tokio::test]
async fn the_batch_being_gathered_counts_in_the_budget() {
    let store: Arc<dyn BlobStore> = crate::open(&StorageConfig::Memory).expect("store");
    let staging = Uuid::new_v4();
    let (mut writer, _checkpoints) =
        Writer::open(store.clone(), resume(staging, 0, RunningSha256::new()), options(true))
            .await
            .expect("open");
    let body = data(3 * BUDGET + 4_321);
    let mut rest = &body[..];
    for size in [1, 7, 20_000, 777_777, 3, 16_383, 16_384, BUDGET + 1]
        .into_iter()
        .cycle()
    {
        if rest.is_empty() {
            break;
        }
        let (piece, tail) = rest.split_at(size.min(rest.len()));
        writer.write(Bytes::copy_from_slice(piece)).await.expect("write");
        rest = tail;
        // What waits to be handed over holds its own share of the budget, and no more
        // than a batch of it unless a single piece was larger.
        let held = writer.pending_permit.as_ref().map_or(0, |p| p.num_permits());
        assert_eq!(held, writer.pending_len.min(BUDGET), "after a piece of {size}");
        assert!(writer.pending_len <= BATCH.max(size), "{} pending", writer.pending_len);
        assert!(writer.budget.available_permits() <= BUDGET);
    }
    let ended = writer.finish(true).await.expect("finish");
    assert_eq!(ended.hash.finish_hex(), hex(&body));
    assert_eq!(writer.budget.available_permits(), BUDGET, "every share came back");
}

#[tokio::test]
async fn a_dropped_writer_reports_nothing_more_and_a_new_one_resumes_to_the_whole_digest() {
    let store: Arc<dyn BlobStore> = crate::open(&StorageConfig::Memory).expect("store");
    let staging = Uuid::new_v4();
    let body = data(CHECKPOINT as usize + 5_000_000);
    let (mut writer, mut checkpoints) =
        Writer::open(store.clone(), resume(staging, 0, RunningSha256::new()), options(true))
            .await
            .expect("open");
    let cut = CHECKPOINT as usize + 1_000_000;
    feed(&mut writer, &body[..cut]).await;
    let last = checkpoints.next().await.expect("a checkpoint before the cut");
    assert_eq!(last.to, CHECKPOINT);
    // Abandoned mid-body: once `abandon` returns nothing more is written or reported,
    // and the bytes past the checkpoint count for nothing.
    writer.abandon().await;
    assert!(checkpoints.next().await.is_none());

    let hash = RunningSha256::restore(&last.hash_state).expect("state");
    let (mut writer, _) = Writer::open(store.clone(), resume(staging, last.to, hash), options(false))
        .await
        .expect("reopen at the checkpoint");
    feed(&mut writer, &body[last.to as usize..]).await;
    let ended = writer.finish(true).await.expect("finish");
    assert_eq!(ended.hash.finish_hex(), hex(&body));
    complete(&store, staging, &keys::file(staging), None, body.len() as u64, &[])
        .await
        .expect("complete");
    let mut read = store.get(&keys::file(staging), None).await.expect("get").body;
    let mut got = Vec::new();
    while let Some(chunk) = futures_util::StreamExt::next(&mut read).await {
        got.extend_from_slice(&chunk.expect("chunk"));
    }
    assert!(
        got == body,
        "the bytes past the checkpoint were cut off and written again"
    );
}
