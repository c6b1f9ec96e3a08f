//! Direct-to-bucket uploads through the Companion-style routes, driven over HTTP as
//! `@uppy/aws-s3` does: parts go to the bucket (s3s-fs, which checks every signature)
//! with URLs Relais signs one at a time.

use relais_storage::StorageConfig;
use reqwest::Method;

use crate::helpers::tus::{Tus, pattern, sha256_hex};
use crate::helpers::{Answer, TestApp, backend, spawn_app, spawn_app_with};

const MIB: usize = 1024 * 1024;

async fn app() -> TestApp {
    let bucket = backend::fresh_bucket().await;
    spawn_app_with(move |cfg| {
        cfg.storage = StorageConfig::S3(bucket);
        cfg.uploads.direct_to_bucket = true;
        cfg.uploads.max_file_size = relais::domain::ByteSize::from_bytes(64 * MIB as u64);
    })
    .await
}

async fn start(tus: &Tus<'_>, name: &str, size: usize) -> Answer {
    Answer::of(
        tus.request(Method::POST, "/api/v1/s3/multipart")
            .json(&serde_json::json!({"filename": name, "type": "video/mp4", "metadata": {"name": name, "size": size}}))
            .send()
            .await
            .expect("request"),
    )
    .await
}

async fn put_part(tus: &Tus<'_>, key: &str, upload: &str, n: u32, data: &[u8]) -> String {
    let signed = Answer::of(
        tus.request(Method::GET, &format!("/api/v1/s3/multipart/{upload}/{n}?key={key}"))
            .send()
            .await
            .expect("sign"),
    )
    .await;
    assert_eq!(signed.status, 200, "{:?}", signed.body);
    assert_eq!(signed.body["method"], "PUT");
    let url = signed.body["url"].as_str().expect("url");
    assert!(
        url.contains("X-Amz-Signature") && url.contains(&format!("partNumber={n}")),
        "{url}"
    );
    let put = reqwest::Client::new()
        .put(url)
        .body(data.to_vec())
        .send()
        .await
        .expect("put to bucket");
    assert!(put.status().is_success(), "{}", put.status());
    put.headers()["etag"].to_str().expect("etag").to_owned()
}

#[tokio::test]
async fn a_browser_style_multipart_upload_goes_to_the_bucket_and_is_verified() {
    let app = app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let data = pattern(11 * MIB + 99, 41);
    let started = start(&tus, "film.mp4", data.len()).await;
    assert_eq!(started.status, 200, "{:?}", started.body);
    let key = started.body["key"].as_str().expect("key").to_owned();
    let upload = started.body["uploadId"].as_str().expect("uploadId").to_owned();
    let upload_q = urlencode(&upload);

    let e1 = put_part(&tus, &key, &upload_q, 1, &data[..5 * MIB]).await;
    let e2 = put_part(&tus, &key, &upload_q, 2, &data[5 * MIB..10 * MIB]).await;
    let listed = Answer::of(
        tus.request(Method::GET, &format!("/api/v1/s3/multipart/{upload_q}?key={key}"))
            .send()
            .await
            .expect("list"),
    )
    .await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(2), "{:?}", listed.body);
    assert_eq!(listed.body[1]["PartNumber"], 2);
    assert_eq!(listed.body[1]["Size"], 5 * MIB);
    let e3 = put_part(&tus, &key, &upload_q, 3, &data[10 * MIB..]).await;

    let parts = serde_json::json!({"parts": [{"PartNumber": 2, "ETag": e2}, {"PartNumber": 1, "ETag": e1}, {"PartNumber": 3, "ETag": e3}]});
    let complete = || {
        tus.request(
            Method::POST,
            &format!("/api/v1/s3/multipart/{upload_q}/complete?key={key}"),
        )
        .json(&parts)
        .send()
    };
    let done = Answer::of(complete().await.expect("complete")).await;
    assert_eq!(done.status, 200, "{:?}", done.body);
    let location = done.body["location"].as_str().expect("location").to_owned();

    // Not stored until its SHA-256 is known.
    let before = Answer::of(tus.request(Method::GET, &location).send().await.expect("file")).await;
    assert_eq!(
        (before.body["status"].as_str(), before.body["sha256"].is_null()),
        (Some("uploading"), true)
    );
    app.run_jobs().await;
    let after = Answer::of(tus.request(Method::GET, &location).send().await.expect("file")).await;
    // Verified, then through the media pipeline (not a picture: ready as it is).
    assert_eq!(after.body["status"], "ready");
    assert_eq!(after.body["sha256"], sha256_hex(&data).as_str());
    assert_eq!(after.body["size"], data.len());

    // The record behind it is not a tus upload, even for its owner.
    let record = relais::db::uploads::find_direct(app.state.db.pool(), &upload)
        .await
        .expect("query")
        .expect("record");
    let as_tus = tus
        .request(Method::HEAD, &format!("/api/v1/uploads/{}", record.id))
        .header("tus-resumable", "1.0.0")
        .send()
        .await
        .expect("head");
    assert_eq!(as_tus.status(), 404);

    // Completing again (a retry after a lost answer) is harmless.
    assert_eq!(complete().await.expect("complete").status(), 200);
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn only_the_uploader_may_sign_list_complete_or_abort() {
    let app = app().await;
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    let (bob, _) = Tus::client(&app, "bob@example.fr").await;
    let started = start(&anne, "a.mov", 6 * MIB).await;
    let key = started.body["key"].as_str().expect("key").to_owned();
    let upload = urlencode(started.body["uploadId"].as_str().expect("uploadId"));
    for (method, path) in [
        (Method::GET, format!("/api/v1/s3/multipart/{upload}/1?key={key}")),
        (Method::GET, format!("/api/v1/s3/multipart/{upload}?key={key}")),
        (Method::DELETE, format!("/api/v1/s3/multipart/{upload}?key={key}")),
    ] {
        assert_eq!(
            bob.request(method, &path).send().await.expect("request").status(),
            404,
            "{path}"
        );
    }
    let bob_complete = bob
        .request(
            Method::POST,
            &format!("/api/v1/s3/multipart/{upload}/complete?key={key}"),
        )
        .json(&serde_json::json!({"parts": []}))
        .send()
        .await
        .expect("request");
    assert_eq!(bob_complete.status(), 404);
    // A key that is not this upload's is refused too.
    let wrong_key = anne
        .request(
            Method::GET,
            &format!("/api/v1/s3/multipart/{upload}/1?key=files/00/other"),
        )
        .send()
        .await
        .expect("request");
    assert_eq!(wrong_key.status(), 404);

    let aborted = anne
        .request(Method::DELETE, &format!("/api/v1/s3/multipart/{upload}?key={key}"))
        .send()
        .await
        .expect("request");
    assert_eq!(aborted.status(), 200);
    assert_eq!(
        anne.request(Method::GET, &format!("/api/v1/s3/multipart/{upload}/1?key={key}"))
            .send()
            .await
            .expect("request")
            .status(),
        404
    );
}

#[tokio::test]
async fn limits_hold_before_any_part_and_a_wrong_size_is_not_kept() {
    let app = app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let no_size = Answer::of(
        tus.request(Method::POST, "/api/v1/s3/multipart")
            .json(&serde_json::json!({"filename": "x", "metadata": {}}))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(
        (no_size.status, no_size.body["errors"][0]["field"].as_str()),
        (422, Some("metadata.size"))
    );
    assert_eq!(start(&tus, "huge.mov", 65 * MIB).await.status, 413);

    // Announced 8 MiB, sent 6 MiB: refused at completion, and nothing is kept.
    let started = start(&tus, "short.mov", 8 * MIB).await;
    let key = started.body["key"].as_str().expect("key").to_owned();
    let upload = urlencode(started.body["uploadId"].as_str().expect("uploadId"));
    let data = pattern(6 * MIB, 42);
    let e1 = put_part(&tus, &key, &upload, 1, &data).await;
    let done = Answer::of(
        tus.request(
            Method::POST,
            &format!("/api/v1/s3/multipart/{upload}/complete?key={key}"),
        )
        .json(&serde_json::json!({"parts": [{"PartNumber": 1, "ETag": e1}]}))
        .send()
        .await
        .expect("request"),
    )
    .await;
    assert_eq!((done.status, done.code()), (400, "invalid_upload"));
    assert!(app.state.blobs.list("files").await.expect("list").is_empty());
}

#[tokio::test]
async fn the_routes_do_not_exist_unless_direct_mode_is_on() {
    let app = spawn_app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    assert_eq!(start(&tus, "a.mov", 10).await.status, 404);
}
