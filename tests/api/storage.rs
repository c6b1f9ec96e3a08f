//! The storage layer against the backend of this run, plus S3 presigning exercised with a
//! plain HTTP client as a browser would.

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use relais_storage::{
    BlobError, BlobKey, BlobStore, ByteRange, ByteStream, PartNumber, PartStore, PresignOp, Resumable, keys,
};

use crate::helpers::{backend, spawn_app};

const MIB: usize = 1024 * 1024;

fn stream_of(data: Vec<u8>, chunk: usize) -> ByteStream {
    let chunks: Vec<Result<Bytes, BlobError>> = data.chunks(chunk).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    futures_util::stream::iter(chunks).boxed()
}

async fn read_all(store: &dyn BlobStore, key: &BlobKey, range: Option<ByteRange>) -> Vec<u8> {
    let mut read = store.get(key, range).await.expect("get");
    let mut out = Vec::new();
    while let Some(chunk) = read.body.next().await {
        out.extend_from_slice(&chunk.expect("chunk"));
    }
    out
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[tokio::test]
async fn objects_round_trip_with_head_list_and_idempotent_delete() {
    let app = spawn_app().await;
    let store = app.state.blobs.as_ref();
    let id = uuid::Uuid::new_v4();
    let key = keys::file(id);
    let data = pattern(3 * MIB + 17, 1);
    let meta = store
        .put_stream(&key, stream_of(data.clone(), 64 * 1024))
        .await
        .expect("put");
    assert_eq!(meta.size, data.len() as u64);
    assert_eq!(read_all(store, &key, None).await, data);
    assert_eq!(store.head(&key).await.expect("head").size, data.len() as u64);
    let listed = store.list("files").await.expect("list");
    assert!(listed.iter().any(|m| m.key == key), "{listed:?}");

    store.delete(&key).await.expect("delete");
    assert!(matches!(store.head(&key).await, Err(BlobError::NotFound { .. })));
    store.delete(&key).await.expect("deleting twice is fine");
}

#[tokio::test]
async fn ranged_reads_return_exactly_the_requested_bytes() {
    let app = spawn_app().await;
    let store = app.state.blobs.as_ref();
    let key = keys::file(uuid::Uuid::new_v4());
    let data = pattern(1_000_000, 7);
    store.put(&key, Bytes::from(data.clone())).await.expect("put");
    for (start, end) in [(0, 1), (10, 5000), (999_000, 1_000_000), (500_000, 2_000_000)] {
        let got = read_all(store, &key, Some(ByteRange { start, end })).await;
        let end = end.min(data.len() as u64);
        assert_eq!(got, data[start as usize..end as usize], "range {start}..{end}");
    }
}

/// The store's multipart uploads, where it has them (S3); `None` for a staging store.
fn parts_of(store: std::sync::Arc<dyn BlobStore>) -> Option<std::sync::Arc<dyn PartStore>> {
    match store.resumable() {
        Resumable::Parts(parts) => Some(parts),
        Resumable::Staging(_) => None,
    }
}

#[tokio::test]
async fn a_multipart_upload_is_resumed_by_another_store_instance() {
    let app = spawn_app().await;
    // Multipart backends only; staging files are tested in the storage crate.
    let Some(first) = parts_of(app.state.blobs.clone()) else {
        assert_eq!(backend::Backend::from_env(), backend::Backend::SqliteLocal);
        return;
    };
    let key = keys::file(uuid::Uuid::new_v4());
    let part_one = pattern(5 * MIB, 3);
    let part_two = pattern(MIB + 123, 9);

    let upload = first.begin_multipart(&key).await.expect("begin");
    let p1 = first
        .put_part(
            &key,
            &upload,
            PartNumber::new(1).expect("n"),
            part_one.len() as u64,
            stream_of(part_one.clone(), 256 * 1024),
        )
        .await
        .expect("part 1");

    // Another process, knowing only the persisted upload id and ledger, finishes it.
    let second_store = relais_storage::open(&app.state.cfg.storage).expect("second instance");
    let second = parts_of(second_store.clone()).expect("the same backend");
    let p2 = second
        .put_part(
            &key,
            &upload,
            PartNumber::new(2).expect("n"),
            part_two.len() as u64,
            stream_of(part_two.clone(), 100_000),
        )
        .await
        .expect("part 2");
    let meta = second
        .complete_multipart(&key, &upload, &[p1, p2])
        .await
        .expect("complete");
    assert_eq!(meta.size, (part_one.len() + part_two.len()) as u64);
    let mut expected = part_one;
    expected.extend_from_slice(&part_two);
    assert_eq!(read_all(second_store.as_ref(), &key, None).await, expected);
}

#[tokio::test]
async fn a_part_longer_than_announced_is_refused_and_abort_cleans_up() {
    let app = spawn_app().await;
    let Some(parts) = parts_of(app.state.blobs.clone()) else {
        assert_eq!(backend::Backend::from_env(), backend::Backend::SqliteLocal);
        return;
    };
    let store = app.state.blobs.as_ref();
    let key = keys::file(uuid::Uuid::new_v4());
    let upload = parts.begin_multipart(&key).await.expect("begin");
    let result = parts
        .put_part(
            &key,
            &upload,
            PartNumber::new(1).expect("n"),
            1000,
            stream_of(pattern(2000, 1), 500),
        )
        .await;
    assert!(result.is_err(), "{result:?}");
    parts.abort_multipart(&key, &upload).await.expect("abort");
    parts
        .abort_multipart(&key, &upload)
        .await
        .expect("aborting twice is fine");
    assert!(matches!(store.head(&key).await, Err(BlobError::NotFound { .. })));
}

#[tokio::test]
async fn probe_writes_reads_and_deletes() {
    let app = spawn_app().await;
    app.state.blobs.probe().await.expect("probe");
    assert!(
        app.state.blobs.list("probes").await.expect("list").is_empty(),
        "the probe leaves nothing behind"
    );
}

fn xml_tag(xml: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let start = xml.find(&open).unwrap_or_else(|| panic!("no <{tag}> in {xml}")) + open.len();
    let end = xml[start..].find(&format!("</{tag}>")).expect("closing tag") + start;
    xml[start..end].to_owned()
}

#[tokio::test]
async fn presigned_urls_let_a_plain_http_client_upload_and_download() {
    let cfg = backend::fresh_bucket().await;
    let store = relais_storage::open(&relais_storage::StorageConfig::S3(cfg)).expect("open");
    let presigner = store.clone().presigner().expect("S3 signs URLs");
    let http = reqwest::Client::new();
    let ttl = Duration::from_secs(300);
    let sign = |key: &BlobKey, op: PresignOp| {
        let request = relais_storage::PresignRequest {
            key: key.clone(),
            op,
            expires_in: ttl,
        };
        let presigner = presigner.clone();
        async move { presigner.presign(&request).await.expect("presign") }
    };

    // Single PUT then GET, with the download's Content-Disposition chosen by us.
    let key = keys::file(uuid::Uuid::new_v4());
    let put = http
        .put(sign(&key, PresignOp::Put).await)
        .body(b"hello bucket".to_vec())
        .send()
        .await
        .expect("put");
    assert!(put.status().is_success(), "{}", put.text().await.unwrap_or_default());
    let get_url = sign(
        &key,
        PresignOp::Get {
            content_disposition: Some("attachment; filename=\"a.txt\"".into()),
        },
    )
    .await;
    let got = http.get(get_url.clone()).send().await.expect("get");
    assert_eq!(got.status(), 200);
    assert_eq!(
        got.headers().get("content-disposition").and_then(|v| v.to_str().ok()),
        Some("attachment; filename=\"a.txt\"")
    );
    assert_eq!(got.bytes().await.expect("body").as_ref(), b"hello bucket");

    // A tampered URL is refused by the server's signature check.
    let tampered = get_url.as_str().replace("X-Amz-Expires=300", "X-Amz-Expires=301");
    assert_eq!(http.get(tampered).send().await.expect("get").status(), 403);

    // The whole multipart dance a browser does in direct-to-bucket mode.
    let key = keys::file(uuid::Uuid::new_v4());
    let created = http
        .post(sign(&key, PresignOp::CreateMultipart).await)
        .send()
        .await
        .expect("create");
    assert!(created.status().is_success());
    let upload = relais_storage::MultipartId(xml_tag(&created.text().await.expect("xml"), "UploadId"));
    let parts = [pattern(5 * MIB, 1), pattern(1234, 2)];
    let mut etags = Vec::new();
    for (i, data) in parts.iter().enumerate() {
        let part = PartNumber::new(i as u32 + 1).expect("n");
        let url = sign(
            &key,
            PresignOp::UploadPart {
                upload: upload.clone(),
                part,
            },
        )
        .await;
        let response = http.put(url).body(data.clone()).send().await.expect("upload part");
        assert!(response.status().is_success(), "{}", response.status());
        etags.push(response.headers()["etag"].to_str().expect("etag").to_owned());
    }
    let listed = http
        .get(sign(&key, PresignOp::ListParts { upload: upload.clone() }).await)
        .send()
        .await
        .expect("list");
    let listed = listed.text().await.expect("xml");
    assert_eq!(listed.matches("<Part>").count(), 2, "{listed}");

    let body: String = etags
        .iter()
        .enumerate()
        .map(|(i, etag)| format!("<Part><PartNumber>{}</PartNumber><ETag>{etag}</ETag></Part>", i + 1))
        .collect();
    let complete = http
        .post(sign(&key, PresignOp::CompleteMultipart { upload: upload.clone() }).await)
        .body(format!("<CompleteMultipartUpload>{body}</CompleteMultipartUpload>"))
        .send()
        .await
        .expect("complete");
    assert!(
        complete.status().is_success(),
        "{}",
        complete.text().await.unwrap_or_default()
    );
    assert_eq!(store.head(&key).await.expect("head").size, (5 * MIB + 1234) as u64);

    // Abort, on a second upload.
    let other = parts_of(store.clone())
        .expect("S3 has multipart uploads")
        .begin_multipart(&key)
        .await
        .expect("begin");
    let aborted = http
        .delete(sign(&key, PresignOp::AbortMultipart { upload: other }).await)
        .send()
        .await
        .expect("abort");
    assert!(aborted.status().is_success(), "{}", aborted.status());
}

#[tokio::test]
async fn the_local_backend_has_no_signed_urls_and_stages_in_one_file() {
    let dir = tempfile::tempdir().expect("dir");
    let store = relais_storage::open(&relais_storage::StorageConfig::Local {
        root: dir.path().join("objects"),
    })
    .expect("open");
    assert!(store.clone().presigner().is_none());
    assert!(matches!(store.resumable(), Resumable::Staging(_)));
}

#[tokio::test]
async fn a_wrong_s3_secret_is_reported_as_refused_credentials() {
    let mut cfg = backend::fresh_bucket().await;
    cfg.secret_access_key = "wrong".into();
    let store = relais_storage::open(&relais_storage::StorageConfig::S3(cfg)).expect("open");
    let err = store.probe().await.expect_err("must fail");
    assert!(matches!(err, BlobError::Unauthorized { .. }), "{err:?}");
    assert!(err.to_string().contains("storage.secret_access_key"), "{err}");
}
