//! tus 1.0 protocol rules, on the backend pair of this run. The part size is the S3
//! minimum so that parts, staged tails and their merging all happen with small files.

use reqwest::Method;
use std::time::Duration;

use crate::helpers::tus::{Tus, meta, pattern, sha256_hex};
use crate::helpers::{Answer, TestApp, spawn_app_with};

const MIB: usize = 1024 * 1024;

async fn app() -> TestApp {
    spawn_app_with(|cfg| {
        cfg.uploads.part_size = relais::domain::ByteSize::from_bytes(5 * MIB as u64);
        cfg.uploads.max_file_size = relais::domain::ByteSize::from_bytes(64 * MIB as u64);
    })
    .await
}

async fn stored_file(tus: &Tus<'_>, name: &str) -> serde_json::Value {
    tus.all_files()
        .await
        .into_iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no file named {name:?}"))
}

#[tokio::test]
async fn options_advertises_version_extensions_and_limits_without_authentication() {
    let app = app().await;
    let response = app
        .http
        .request(Method::OPTIONS, app.url("/api/v1/uploads"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 204);
    let h = response.headers();
    assert_eq!(h["tus-resumable"], "1.0.0");
    assert_eq!(h["tus-version"], "1.0.0");
    let extensions = h["tus-extension"].to_str().expect("text");
    for ext in [
        "creation",
        "creation-with-upload",
        "creation-defer-length",
        "termination",
        "expiration",
        "checksum",
    ] {
        assert!(
            extensions.split(',').any(|e| e == ext),
            "{ext} missing from {extensions}"
        );
    }
    assert_eq!(h["tus-max-size"], (64 * MIB).to_string().as_str());
    assert_eq!(h["tus-checksum-algorithm"], "sha1,sha256");
}

#[tokio::test]
async fn a_request_without_tus_1_0_0_gets_412_naming_the_version() {
    let app = app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    for version in [None, Some("0.2.2")] {
        let mut request = app
            .http
            .post(app.url("/api/v1/uploads"))
            .bearer_auth(&tus.token)
            .header("upload-length", 10);
        if let Some(v) = version {
            request = request.header("tus-resumable", v);
        }
        let answer = Answer::of(request.send().await.expect("request")).await;
        assert_eq!(
            (answer.status, answer.header("tus-version")),
            (412, Some("1.0.0")),
            "{version:?}"
        );
        assert_eq!(answer.header("tus-resumable"), Some("1.0.0"));
    }
}

#[tokio::test]
async fn a_file_sent_in_chunks_is_stored_with_the_sha256_of_its_bytes() {
    let app = app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    // 12 MiB + a bit in 3 MiB PATCHes: on S3, two full parts, tails staged and merged.
    let data = pattern(12 * MIB + 4321, 1);
    let path = tus
        .create(
            data.len() as u64,
            &meta(&[("filename", "Église d'Été.mov"), ("filetype", "video/quicktime")]),
        )
        .await;
    assert!(path.starts_with("/api/v1/uploads/"), "{path}");

    let head = tus.head(&path).await;
    assert_eq!(head.status, 200);
    assert_eq!(head.header("upload-offset"), Some("0"));
    assert_eq!(head.header("upload-length"), Some(data.len().to_string().as_str()));
    assert_eq!(head.header("cache-control"), Some("no-store"));
    assert!(head.header("upload-metadata").is_some_and(|m| m.contains("filename ")));
    assert!(head.header("upload-expires").is_some_and(|e| e.ends_with(" GMT")));

    tus.send_all(&path, &data, 3 * MIB).await;
    let file = stored_file(&tus, "Église d'Été.mov").await;
    assert_eq!(file["status"], "stored");
    assert_eq!(file["size"], data.len());
    assert_eq!(file["sha256"], sha256_hex(&data).as_str());
    assert_eq!(file["category"], "video");
    // A finished upload still answers, so a client resuming it learns it is done.
    let done = tus.head(&path).await;
    assert_eq!(done.status, 200);
    assert_eq!(done.header("upload-offset"), Some(data.len().to_string().as_str()));
    let again = tus.patch(&path, data.len() as u64, b"").await;
    assert_eq!(
        (again.status, again.header("upload-offset")),
        (204, Some(data.len().to_string().as_str()))
    );
    assert_eq!(tus.patch(&path, data.len() as u64, b"extra").await.status, 413);
    // Until it expires: then only the upload resource goes, the file stays.
    app.clock().advance(Duration::from_secs(25 * 3600));
    assert_eq!(
        relais::jobs::housekeeping::sweep(&app.state)
            .await
            .expect("sweep")
            .uploads,
        0
    );
    assert_eq!(tus.head(&path).await.status, 404);
    assert_eq!(stored_file(&tus, "Église d'Été.mov").await["status"], "stored");

    // The bytes in storage are exactly the ones sent.
    let id = relais::domain::FileId::parse(file["id"].as_str().expect("id")).expect("file id");
    let mut read = app
        .state
        .blobs
        .get(&relais_storage::keys::file(id.uuid()), None)
        .await
        .expect("stored object");
    let mut stored = Vec::new();
    while let Some(chunk) = futures_util::StreamExt::next(&mut read.body).await {
        stored.extend_from_slice(&chunk.expect("chunk"));
    }
    assert!(stored == data, "stored bytes differ from the sent ones");
}

#[tokio::test]
async fn a_patch_at_the_wrong_offset_gets_409_with_the_current_offset() {
    let app = app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let path = tus.create(100, &meta(&[("filename", "a.txt")])).await;
    assert_eq!(tus.patch(&path, 0, &[1; 40]).await.status, 204);
    for wrong in [0, 39, 41, 100] {
        let answer = tus.patch(&path, wrong, &[2; 10]).await;
        assert_eq!(
            (answer.status, answer.code()),
            (409, "offset_mismatch"),
            "offset {wrong}"
        );
        assert_eq!(answer.header("upload-offset"), Some("40"));
    }
    assert_eq!(tus.offset(&path).await, 40, "refused bytes were not kept");
}

#[tokio::test]
async fn a_patch_without_the_tus_content_type_gets_415() {
    let app = app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let path = tus.create(10, &meta(&[("filename", "a.txt")])).await;
    let answer = Answer::of(
        tus.request(Method::PATCH, &path)
            .header("upload-offset", 0)
            .header("content-type", "application/octet-stream")
            .body(vec![0; 10])
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(answer.status, 415);
    let missing = Answer::of(
        tus.request(Method::PATCH, &path)
            .header("content-type", "application/offset+octet-stream")
            .body(vec![0; 10])
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(
        (missing.status, missing.code()),
        (400, "invalid_header"),
        "Upload-Offset is required"
    );
}

#[tokio::test]
async fn limits_are_enforced_before_any_byte_is_stored() {
    let app = app().await;
    let (tus, user) = Tus::client(&app, "anne@example.fr").await;
    let too_big = Answer::of(
        tus.request(Method::POST, "/api/v1/uploads")
            .header("upload-length", 64 * MIB + 1)
            .header("upload-metadata", meta(&[("filename", "big.mov")]))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!((too_big.status, too_big.code()), (413, "payload_too_large"));
    assert!(
        too_big.body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("64 MiB per file"),
        "{:?}",
        too_big.body
    );

    relais::db::users::set_quota(
        app.state.db.pool(),
        user.id,
        Some(10 * MIB as u64),
        relais::domain::Timestamp::EPOCH,
    )
    .await
    .expect("quota");
    let path = tus.create(6 * MIB as u64, &meta(&[("filename", "one.wav")])).await;
    let over = Answer::of(
        tus.request(Method::POST, "/api/v1/uploads")
            .header("upload-length", 5 * MIB)
            .header("upload-metadata", meta(&[("filename", "two.wav")]))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(over.status, 413, "announced uploads count against the quota");
    assert!(
        over.body["detail"].as_str().unwrap_or_default().contains("quota"),
        "{:?}",
        over.body
    );
    assert_eq!(tus.offset(&path).await, 0);

    // A body that would go past the announced length is refused whole.
    let small = tus.create(10, &meta(&[("filename", "small.txt")])).await;
    assert_eq!(tus.patch(&small, 0, &[0; 11]).await.status, 413);
    assert_eq!(tus.offset(&small).await, 0);

    // A deferred length escapes no limit: the quota is checked when the length arrives.
    let deferred = Answer::of(
        tus.request(Method::POST, "/api/v1/uploads")
            .header("upload-defer-length", "1")
            .header("upload-metadata", meta(&[("filename", "later.wav")]))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(deferred.status, 201);
    let later = deferred.header("location").expect("location").to_owned();
    let too_long = Answer::of(
        tus.request(Method::PATCH, &later)
            .header("upload-offset", 0)
            .header("upload-length", 5 * MIB)
            .header("content-type", "application/offset+octet-stream")
            .body(vec![0; 10])
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(too_long.status, 413, "{:?}", too_long.body);
    assert!(
        too_long.body["detail"].as_str().unwrap_or_default().contains("quota"),
        "{:?}",
        too_long.body
    );
    let head = tus.head(&later).await;
    assert_eq!(
        (head.header("upload-offset"), head.header("upload-defer-length")),
        (Some("0"), Some("1"))
    );

    // Nor does a length never declared: the bytes count against the quota as they come
    // (6 MiB are announced by one.wav; 4 MiB are left).
    let first = tus.patch(&later, 0, &pattern(3 * MIB, 8)).await;
    assert_eq!(first.status, 204, "{:?}", first.body);
    let past = tus.patch(&later, 3 * MIB as u64, &pattern(2 * MIB, 9)).await;
    assert_eq!(past.status, 413, "{:?}", past.body);
    assert_eq!(
        tus.offset(&later).await,
        3 * MIB as u64,
        "nothing past the quota was kept"
    );
}

#[tokio::test]
async fn checksums_are_verified_and_a_mismatch_is_discarded_with_460() {
    use base64::Engine;
    let b64 = |d: &[u8]| base64::engine::general_purpose::STANDARD.encode(d);
    let app = app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let data = pattern(6 * MIB + 10, 4);
    let path = tus.create(data.len() as u64, &meta(&[("filename", "c.bin")])).await;
    let send = |offset: u64, bytes: &[u8], checksum: String| {
        tus.request(Method::PATCH, &path)
            .header("upload-offset", offset)
            .header("content-type", "application/offset+octet-stream")
            .header("upload-checksum", checksum)
            .body(bytes.to_vec())
            .send()
    };
    let first = &data[..5 * MIB + 3];
    let sha1 = {
        use sha1::Digest;
        sha1::Sha1::digest(first).to_vec()
    };
    let wrong = Answer::of(
        send(0, first, format!("sha1 {}", b64(&[0u8; 20])))
            .await
            .expect("request"),
    )
    .await;
    assert_eq!((wrong.status, wrong.code()), (460, "checksum_mismatch"));
    assert_eq!(tus.offset(&path).await, 0, "the mismatching chunk was discarded");
    let right = send(0, first, format!("sha1 {}", b64(&sha1))).await.expect("request");
    assert_eq!(right.status(), 204);

    let rest = &data[5 * MIB + 3..];
    let sha256 = {
        use sha2::Digest;
        sha2::Sha256::digest(rest).to_vec()
    };
    let unknown = Answer::of(
        send(first.len() as u64, rest, "md5 AAAA".into())
            .await
            .expect("request"),
    )
    .await;
    assert_eq!((unknown.status, unknown.code()), (400, "invalid_upload"));
    assert_eq!(
        send(first.len() as u64, rest, format!("sha256 {}", b64(&sha256)))
            .await
            .expect("request")
            .status(),
        204
    );
    assert_eq!(stored_file(&tus, "c.bin").await["sha256"], sha256_hex(&data).as_str());
}

#[tokio::test]
async fn creation_with_upload_and_deferred_length_both_work() {
    let app = app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let data = pattern(7 * MIB, 5);
    let created = Answer::of(
        tus.request(Method::POST, "/api/v1/uploads")
            .header("upload-defer-length", "1")
            .header("upload-metadata", meta(&[("filename", "live.mp3")]))
            .header("content-type", "application/offset+octet-stream")
            .body(data[..MIB].to_vec())
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.header("upload-offset"), Some(MIB.to_string().as_str()));
    let path = created.header("location").expect("location").to_owned();
    assert_eq!(tus.head(&path).await.header("upload-defer-length"), Some("1"));

    let middle = tus.patch(&path, MIB as u64, &data[MIB..6 * MIB]).await;
    assert_eq!(middle.status, 204);
    let last = Answer::of(
        tus.request(Method::PATCH, &path)
            .header("upload-offset", 6 * MIB)
            .header("upload-length", data.len())
            .header("content-type", "application/offset+octet-stream")
            .body(data[6 * MIB..].to_vec())
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(last.status, 204, "{:?}", last.body);
    let file = stored_file(&tus, "live.mp3").await;
    assert_eq!(
        (file["size"].as_u64(), file["sha256"].as_str()),
        (Some(data.len() as u64), Some(sha256_hex(&data).as_str()))
    );
}

#[tokio::test]
async fn an_empty_file_is_stored_at_creation() {
    let app = app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    tus.create(0, &meta(&[("filename", "empty.txt")])).await;
    let file = stored_file(&tus, "empty.txt").await;
    assert_eq!(file["status"], "stored");
    assert_eq!(file["sha256"], sha256_hex(b"").as_str());
}

#[tokio::test]
async fn termination_removes_the_upload_and_its_bytes() {
    let app = app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let path = tus.create(20 * MIB as u64, &meta(&[("filename", "gone.mov")])).await;
    assert_eq!(tus.patch(&path, 0, &pattern(7 * MIB, 6)).await.status, 204);
    let deleted = tus.request(Method::DELETE, &path).send().await.expect("request");
    assert_eq!(deleted.status(), 204);
    assert_eq!(tus.head(&path).await.status, 404);
    assert_eq!(tus.patch(&path, 7 * MIB as u64, b"more").await.status, 404);
    assert!(tus.all_files().await.is_empty(), "the file row went with it");
    assert!(nothing_staged(&app).await, "no staged tail left behind");
}

/// No staged tail anywhere: S3's `staging/` prefix, and the local backend's own
/// `<root>/.staging/` folder, which listing keys never shows.
async fn nothing_staged(app: &crate::helpers::TestApp) -> bool {
    let keys = app.state.blobs.list("staging").await.expect("list");
    let local = match &app.state.cfg.storage {
        relais_storage::StorageConfig::Local { root } => std::fs::read_dir(root.join(".staging"))
            .map(|d| d.filter_map(Result::ok).count())
            .unwrap_or(0),
        _ => 0,
    };
    keys.is_empty() && local == 0
}

#[tokio::test]
async fn an_abandoned_upload_expires_and_is_reaped() {
    let app = app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let path = tus
        .create(20 * MIB as u64, &meta(&[("filename", "forgotten.mov")]))
        .await;
    assert_eq!(tus.patch(&path, 0, &pattern(MIB, 7)).await.status, 204);

    app.clock().advance(Duration::from_secs(25 * 3600));
    assert_eq!(tus.patch(&path, MIB as u64, b"late").await.status, 410);
    assert_eq!(tus.head(&path).await.status, 410);

    let swept = relais::jobs::housekeeping::sweep(&app.state).await.expect("sweep");
    assert_eq!(swept.uploads, 1);
    assert_eq!(tus.head(&path).await.status, 404);
    assert!(nothing_staged(&app).await, "no staged tail left behind");
}

#[tokio::test]
async fn nobody_touches_another_persons_upload() {
    let app = app().await;
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    let (bob, _) = Tus::client(&app, "bob@example.fr").await;
    let path = anne.create(100, &meta(&[("filename", "private.txt")])).await;
    assert_eq!(anne.patch(&path, 0, &[1; 10]).await.status, 204);
    assert_eq!(bob.head(&path).await.status, 404);
    assert_eq!(bob.patch(&path, 10, &[2; 10]).await.status, 404);
    assert_eq!(
        bob.request(Method::DELETE, &path)
            .send()
            .await
            .expect("request")
            .status(),
        404
    );
    assert_eq!(anne.offset(&path).await, 10);

    // Nor uploads into someone else's transfer.
    let anne_transfer = anne.transfer_ids().await.remove(0);
    let intrusion = Answer::of(
        bob.request(Method::POST, "/api/v1/uploads")
            .header("upload-length", 10)
            .header(
                "upload-metadata",
                meta(&[("filename", "x"), ("transfer", &anne_transfer)]),
            )
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!((intrusion.status, intrusion.code()), (400, "invalid_upload"));
    let unauthenticated = app
        .http
        .head(app.url(&path))
        .header("tus-resumable", "1.0.0")
        .send()
        .await
        .expect("request");
    assert_eq!(unauthenticated.status(), 401);
}

#[tokio::test]
async fn hostile_file_names_are_kept_for_display_only() {
    let app = app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let names = ["../../etc/passwd", "facture.pdf.exe", "bell\u{7}name", &"é".repeat(300)];
    for name in names {
        let path = tus.create(3, &meta(&[("filename", name)])).await;
        assert_eq!(tus.patch(&path, 0, b"abc").await.status, 204);
    }
    for name in names {
        assert_eq!(stored_file(&tus, name).await["status"], "stored");
    }
    let keys: Vec<String> = app
        .state
        .blobs
        .list("files")
        .await
        .expect("list")
        .into_iter()
        .map(|m| m.key.to_string())
        .collect();
    assert_eq!(keys.len(), 4);
    assert!(
        keys.iter().all(|k| !k.contains("..") && !k.contains("passwd")),
        "{keys:?}"
    );
}

#[tokio::test]
async fn configured_origins_may_use_tus_from_a_browser_and_others_may_not() {
    let app = spawn_app_with(|cfg| cfg.cors_origins = vec!["https://studio.example.fr".into()]).await;
    let preflight = |origin: &'static str| {
        app.http
            .request(Method::OPTIONS, app.url("/api/v1/uploads"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, tus-resumable, upload-length, upload-metadata",
            )
            .send()
    };
    let allowed = preflight("https://studio.example.fr").await.expect("request");
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://studio.example.fr"
    );
    let allowed_headers = allowed.headers()["access-control-allow-headers"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(
        allowed_headers.contains("upload-metadata") && allowed_headers.contains("tus-resumable"),
        "{allowed_headers}"
    );
    let other = preflight("https://evil.example").await.expect("request");
    assert!(other.headers().get("access-control-allow-origin").is_none());

    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let created = tus
        .request(Method::POST, "/api/v1/uploads")
        .header("origin", "https://studio.example.fr")
        .header("upload-length", 3)
        .header("upload-metadata", meta(&[("filename", "a")]))
        .send()
        .await
        .expect("request");
    let exposed = created.headers()["access-control-expose-headers"]
        .to_str()
        .expect("text")
        .to_owned();
    assert!(
        exposed.contains("location") && exposed.contains("upload-offset"),
        "{exposed}"
    );
}

/// One request and what must come back.
struct Case {
    what: &'static str,
    method: Method,
    /// `{upload}` is replaced by the upload's path.
    path: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: &'static [u8],
    status: u16,
    expect_headers: &'static [(&'static str, &'static str)],
}

#[tokio::test]
async fn the_protocol_table_holds() {
    let app = app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let path = tus.create(10, &meta(&[("filename", "t.txt")])).await;
    const OCTETS: (&str, &str) = ("content-type", "application/offset+octet-stream");
    let cases = [
        Case {
            what: "HEAD of a new upload",
            method: Method::HEAD,
            path: "{upload}",
            headers: &[],
            body: b"",
            status: 200,
            expect_headers: &[
                ("upload-offset", "0"),
                ("upload-length", "10"),
                ("cache-control", "no-store"),
                ("tus-resumable", "1.0.0"),
            ],
        },
        Case {
            what: "PATCH without the tus content type",
            method: Method::PATCH,
            path: "{upload}",
            headers: &[("upload-offset", "0"), ("content-type", "text/plain")],
            body: b"abc",
            status: 415,
            expect_headers: &[("tus-resumable", "1.0.0")],
        },
        Case {
            what: "PATCH without Upload-Offset",
            method: Method::PATCH,
            path: "{upload}",
            headers: &[OCTETS],
            body: b"abc",
            status: 400,
            expect_headers: &[],
        },
        Case {
            what: "PATCH with a non-numeric Upload-Offset",
            method: Method::PATCH,
            path: "{upload}",
            headers: &[OCTETS, ("upload-offset", "x")],
            body: b"abc",
            status: 400,
            expect_headers: &[],
        },
        Case {
            what: "first PATCH",
            method: Method::PATCH,
            path: "{upload}",
            headers: &[OCTETS, ("upload-offset", "0")],
            body: b"abc",
            status: 204,
            expect_headers: &[("upload-offset", "3")],
        },
        Case {
            what: "PATCH at a stale offset",
            method: Method::PATCH,
            path: "{upload}",
            headers: &[OCTETS, ("upload-offset", "0")],
            body: b"abc",
            status: 409,
            expect_headers: &[("upload-offset", "3")],
        },
        Case {
            what: "PATCH past the length",
            method: Method::PATCH,
            path: "{upload}",
            headers: &[OCTETS, ("upload-offset", "3")],
            body: b"12345678",
            status: 413,
            expect_headers: &[],
        },
        Case {
            what: "PATCH with an unknown checksum algorithm",
            method: Method::PATCH,
            path: "{upload}",
            headers: &[OCTETS, ("upload-offset", "3"), ("upload-checksum", "md5 AAAA")],
            body: b"def",
            status: 400,
            expect_headers: &[],
        },
        Case {
            what: "PATCH with a wrong sha256",
            method: Method::PATCH,
            path: "{upload}",
            headers: &[
                OCTETS,
                ("upload-offset", "3"),
                ("upload-checksum", "sha256 47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="),
            ],
            body: b"def",
            status: 460,
            expect_headers: &[],
        },
        Case {
            what: "a different Upload-Length on PATCH",
            method: Method::PATCH,
            path: "{upload}",
            headers: &[OCTETS, ("upload-offset", "3"), ("upload-length", "11")],
            body: b"def",
            status: 400,
            expect_headers: &[],
        },
        Case {
            what: "HEAD after the refusals",
            method: Method::HEAD,
            path: "{upload}",
            headers: &[],
            body: b"",
            status: 200,
            expect_headers: &[("upload-offset", "3")],
        },
        Case {
            what: "HEAD of an unknown upload",
            method: Method::HEAD,
            path: "/api/v1/uploads/00000000-0000-7000-8000-000000000000",
            headers: &[],
            body: b"",
            status: 404,
            expect_headers: &[("tus-resumable", "1.0.0")],
        },
        Case {
            what: "HEAD of a malformed id",
            method: Method::HEAD,
            path: "/api/v1/uploads/not-an-id",
            headers: &[],
            body: b"",
            status: 404,
            expect_headers: &[],
        },
        Case {
            what: "POST without a length",
            method: Method::POST,
            path: "/api/v1/uploads",
            headers: &[],
            body: b"",
            status: 400,
            expect_headers: &[],
        },
        Case {
            what: "POST with both lengths",
            method: Method::POST,
            path: "/api/v1/uploads",
            headers: &[("upload-length", "5"), ("upload-defer-length", "1")],
            body: b"",
            status: 400,
            expect_headers: &[],
        },
        Case {
            what: "POST with bad metadata",
            method: Method::POST,
            path: "/api/v1/uploads",
            headers: &[("upload-length", "5"), ("upload-metadata", "filename !!!")],
            body: b"",
            status: 400,
            expect_headers: &[],
        },
        Case {
            what: "POST with an unknown category",
            method: Method::POST,
            path: "/api/v1/uploads",
            headers: &[("upload-length", "5"), ("upload-metadata", "category aW52ZW50ZWQ=")],
            body: b"",
            status: 400,
            expect_headers: &[],
        },
        Case {
            what: "last PATCH",
            method: Method::PATCH,
            path: "{upload}",
            headers: &[OCTETS, ("upload-offset", "3")],
            body: b"defghij",
            status: 204,
            expect_headers: &[("upload-offset", "10")],
        },
        Case {
            what: "HEAD of the finished upload",
            method: Method::HEAD,
            path: "{upload}",
            headers: &[],
            body: b"",
            status: 200,
            expect_headers: &[("upload-offset", "10"), ("upload-length", "10")],
        },
    ];
    for case in cases {
        let target = case.path.replace("{upload}", &path);
        let mut request = tus.request(case.method.clone(), &target).body(case.body.to_vec());
        for (name, value) in case.headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status().as_u16(), case.status, "{}", case.what);
        for (name, value) in case.expect_headers {
            assert_eq!(
                response.headers().get(*name).and_then(|v| v.to_str().ok()),
                Some(*value),
                "{}: {name}",
                case.what
            );
        }
    }
}
