//! Downloads of one file (ranges, headers, receipts) and of a whole transfer as a ZIP,
//! checked with readers Relais did not write: Python's zipfile and `unzip -t`.

use std::collections::BTreeMap;
use std::process::Command;

use futures_util::StreamExt;
use reqwest::Method;

use crate::helpers::tus::{Tus, meta, pattern, sha256_hex};
use crate::helpers::{Answer, TestApp, eventually, spawn_app, spawn_app_with};

/// Uploads files into the client's default transfer; returns (transfer id, file ids).
async fn upload(tus: &Tus<'_>, files: &[(&str, &[u8])]) -> (String, Vec<String>) {
    for (name, data) in files {
        let path = tus.create(data.len() as u64, &meta(&[("filename", name)])).await;
        if !data.is_empty() {
            tus.send_all(&path, data, 4 * 1024 * 1024).await;
        }
    }
    let transfer = tus.transfer_ids().await.remove(0);
    let ids = tus
        .files(&transfer)
        .await
        .iter()
        .map(|f| f["id"].as_str().expect("id").to_owned())
        .collect();
    (transfer, ids)
}

fn python() -> String {
    std::env::var("TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Opens a ZIP with Python's zipfile: every member's name and SHA-256, after `testzip`.
pub(crate) fn read_zip(path: &std::path::Path) -> BTreeMap<String, String> {
    let script = "import hashlib, json, sys, zipfile\n\
        z = zipfile.ZipFile(sys.argv[1])\n\
        assert z.testzip() is None\n\
        print(json.dumps({i.filename: hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist()}))";
    let out = Command::new(python())
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "zipfile refused the archive: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

fn unzip_test(path: &std::path::Path) {
    let out = Command::new("unzip")
        .arg("-t")
        .arg(path)
        .output()
        .expect("unzip runs (apt-get install unzip)");
    assert!(
        out.status.success(),
        "unzip -t: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test]
async fn a_file_downloads_whole_or_by_range_as_an_attachment() {
    let app = spawn_app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let data = pattern(300_000, 21);
    let (_, ids) = upload(&tus, &[("Été <script>.html", &data)]).await;
    let url = format!("/api/v1/files/{}/content", ids[0]);

    let whole = tus.request(Method::GET, &url).send().await.expect("request");
    assert_eq!(whole.status(), 200);
    let h = whole.headers().clone();
    assert_eq!(h["content-length"], data.len().to_string().as_str());
    assert_eq!(
        h["content-type"], "application/octet-stream",
        "HTML is never served as HTML"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["accept-ranges"], "bytes");
    let disposition = h["content-disposition"].to_str().expect("text");
    assert!(
        disposition.starts_with("attachment; filename=")
            // `<` and `>` are among the characters Windows refuses in a file name.
            && disposition.contains("filename*=UTF-8''%C3%89t%C3%A9%20_script_.html"),
        "{disposition}"
    );
    let etag = h["etag"].to_str().expect("etag").to_owned();
    assert_eq!(etag, format!("\"{}\"", sha256_hex(&data)));
    assert!(whole.bytes().await.expect("body").as_ref() == data.as_slice());

    let part = tus
        .request(Method::GET, &url)
        .header("range", "bytes=1000-1999")
        .send()
        .await
        .expect("request");
    assert_eq!(part.status(), 206);
    assert_eq!(
        part.headers()["content-range"],
        format!("bytes 1000-1999/{}", data.len()).as_str()
    );
    assert!(part.bytes().await.expect("body").as_ref() == &data[1000..2000]);
    let tail = tus
        .request(Method::GET, &url)
        .header("range", "bytes=-100")
        .send()
        .await
        .expect("request");
    assert!(tail.bytes().await.expect("body").as_ref() == &data[data.len() - 100..]);

    let beyond = tus
        .request(Method::GET, &url)
        .header("range", "bytes=999999-")
        .send()
        .await
        .expect("request");
    assert_eq!(beyond.status(), 416);
    assert_eq!(
        beyond.headers()["content-range"],
        format!("bytes */{}", data.len()).as_str()
    );
    let stale = tus
        .request(Method::GET, &url)
        .header("range", "bytes=0-9")
        .header("if-range", "\"other\"")
        .send()
        .await
        .expect("request");
    assert_eq!(stale.status(), 200, "If-Range with another ETag gets the whole file");
    let cached = tus
        .request(Method::GET, &url)
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("request");
    assert_eq!(cached.status(), 304);
}

#[tokio::test]
async fn every_download_leaves_a_receipt_complete_or_not() {
    let app = spawn_app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    // Larger than the socket buffers of both ends, so a client that hangs up early
    // really leaves bytes unsent.
    let data = pattern(40_000_000, 22);
    let (_, ids) = upload(&tus, &[("film.mp4", &data)]).await;
    let url = format!("/api/v1/files/{}/content", ids[0]);

    tus.request(Method::GET, &url)
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    // A download abandoned after the first chunk.
    let mut partial = tus
        .request(Method::GET, &url)
        .send()
        .await
        .expect("request")
        .bytes_stream();
    partial.next().await.expect("a first chunk").expect("bytes");
    drop(partial);

    let id = relais::domain::FileId::parse(&ids[0]).expect("id");
    let receipts = eventually("both receipts finished", || async {
        let receipts = relais::db::downloads::for_file(app.state.db.pool(), id)
            .await
            .expect("receipts");
        (receipts.len() == 2 && receipts.iter().all(|r| r.finished_at.is_some())).then_some(receipts)
    })
    .await;
    assert_eq!((receipts[0].complete, receipts[0].bytes_sent), (1, data.len() as i64));
    assert_eq!(receipts[1].complete, 0);
    assert!(receipts[1].bytes_sent < data.len() as i64);
    assert!(receipts[1].finished_at.is_some());
}

#[tokio::test]
async fn files_of_others_and_unfinished_files_cannot_be_downloaded() {
    let app = spawn_app().await;
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    let (bob, _) = Tus::client(&app, "bob@example.fr").await;
    let (transfer, ids) = upload(&anne, &[("a.txt", b"anne's")]).await;
    let url = format!("/api/v1/files/{}/content", ids[0]);
    assert_eq!(
        bob.request(Method::GET, &url).send().await.expect("request").status(),
        404
    );
    assert_eq!(
        bob.request(Method::GET, &format!("/api/v1/files/{}", ids[0]))
            .send()
            .await
            .expect("request")
            .status(),
        404
    );
    assert_eq!(
        bob.request(Method::GET, &format!("/api/v1/transfers/{transfer}/archive"))
            .send()
            .await
            .expect("request")
            .status(),
        404
    );

    let unfinished = anne.create(10, &meta(&[("filename", "half.txt")])).await;
    assert_eq!(anne.patch(&unfinished, 0, b"12345").await.status, 204);
    let file = anne
        .files(&transfer)
        .await
        .into_iter()
        .find(|f| f["name"] == "half.txt")
        .expect("listed");
    assert_eq!(file["status"], "uploading");
    let answer = Answer::of(
        anne.request(
            Method::GET,
            &format!("/api/v1/files/{}/content", file["id"].as_str().expect("id")),
        )
        .send()
        .await
        .expect("request"),
    )
    .await;
    assert_eq!((answer.status, answer.code()), (409, "file_not_ready"));

    let (studio, _) = app.create_studio("studio@example.fr", "correct horse battery").await;
    let (_, token) = relais::accounts::issue_token(&app.state, studio.user.id, "s")
        .await
        .expect("token");
    let by_studio = app
        .http
        .get(app.url(&url))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    assert_eq!(by_studio.status(), 200, "the studio downloads what clients send");
}

#[tokio::test]
async fn a_transfer_downloads_as_a_zip_that_standard_tools_open() {
    let app = spawn_app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let one = pattern(5_000_000, 23);
    let two = pattern(1234, 24);
    let (transfer, _) = upload(
        &tus,
        &[
            ("photo.jpg", &one),
            ("photo.jpg", &two),
            ("../../évasion.txt", b"nope"),
            ("vide.txt", b""),
        ],
    )
    .await;

    let response = tus
        .request(Method::GET, &format!("/api/v1/transfers/{transfer}/archive"))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let announced: u64 = response.headers()["content-length"]
        .to_str()
        .expect("text")
        .parse()
        .expect("number");
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .expect("text")
            .contains("Client%20Test%20%E2%80%93%20Fichiers%20envoy%C3%A9s.zip"),
        "the client's name and the title: {:?}",
        response.headers()["content-disposition"]
    );
    let body = response.bytes().await.expect("body");
    assert_eq!(body.len() as u64, announced, "the announced length is exact");

    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("transfer.zip");
    std::fs::write(&path, &body).expect("write");
    let members = read_zip(&path);
    let expected: BTreeMap<String, String> = [
        ("photo.jpg", sha256_hex(&one)),
        ("photo (2).jpg", sha256_hex(&two)),
        (".._.._évasion.txt", sha256_hex(b"nope")),
        ("vide.txt", sha256_hex(b"")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(members, expected);
    unzip_test(&path);

    let id = relais::domain::TransferId::parse(&transfer).expect("id");
    let receipts = eventually("the archive's receipt", || async {
        let receipts = relais::db::downloads::for_transfer(app.state.db.pool(), id)
            .await
            .expect("receipts");
        receipts.iter().all(|r| r.finished_at.is_some()).then_some(receipts)
    })
    .await;
    assert_eq!(
        (receipts.len(), receipts[0].kind.as_str(), receipts[0].complete),
        (1, "archive", 1)
    );
}

#[tokio::test]
async fn a_zip_is_a_receipt_for_each_file_it_carried_and_playing_is_not_downloading() {
    let app = spawn_app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    // The middle file is larger than both ends' socket buffers, so a client that hangs up
    // inside it really leaves it unfinished.
    let (first, middle, last) = (pattern(3_000_000, 31), pattern(40_000_000, 32), pattern(1000, 33));
    let (transfer, ids) = upload(
        &tus,
        &[("a.jpg", &first), ("film.mp4", &middle), ("chanson.mp3", &last)],
    )
    .await;
    let transfer_id = relais::domain::TransferId::parse(&transfer).expect("id");
    let archive = format!("/api/v1/transfers/{transfer}/archive");
    let finished_archives = |n: usize| {
        let app = &app;
        move || async move {
            let rows = relais::db::downloads::for_transfer(app.state.db.pool(), transfer_id)
                .await
                .expect("receipts");
            (rows.len() == n && rows.iter().all(|r| r.finished_at.is_some())).then_some(rows)
        }
    };

    // A whole ZIP: each file gets its own complete receipt, pointing at the archive's.
    tus.request(Method::GET, &archive)
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    let archives = eventually("the first archive's receipt", finished_archives(1)).await;
    for (id, size) in ids.iter().zip([first.len(), middle.len(), last.len()]) {
        let file = relais::domain::FileId::parse(id).expect("id");
        let rows = relais::db::downloads::for_file(app.state.db.pool(), file)
            .await
            .expect("receipts");
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!(rows[0].archive_id.as_deref(), Some(archives[0].id.as_str()));
        assert_eq!((rows[0].complete, rows[0].bytes_sent), (1, size as i64));
    }

    // A ZIP abandoned inside the film: the photo before it is complete, the film partial,
    // the last file never reached.
    let mut stream = tus
        .request(Method::GET, &archive)
        .send()
        .await
        .expect("request")
        .bytes_stream();
    let mut read = 0usize;
    while read < first.len() + 1_000_000 {
        read += stream.next().await.expect("more").expect("bytes").len();
    }
    drop(stream);
    eventually("the second archive's receipt", finished_archives(2)).await;
    let summary = relais::db::downloads::summary_for_transfer(app.state.db.pool(), transfer_id)
        .await
        .expect("summary");
    let of = |i: usize| summary.get(&ids[i]).copied().expect("a summary");
    assert_eq!((of(0).count, of(0).complete), (2, 2));
    assert_eq!((of(1).count, of(1).complete), (2, 1));
    assert_eq!((of(2).count, of(2).complete), (1, 1));

    // Playing in the page is receipted as played, not as a download.
    let played = tus
        .request(Method::GET, &format!("/api/v1/files/{}/content?play=1", ids[2]))
        .send()
        .await
        .expect("request");
    assert_eq!(played.status(), 200);
    played.bytes().await.expect("body");
    let file = relais::domain::FileId::parse(&ids[2]).expect("id");
    eventually("the play's receipt", || async {
        let rows = relais::db::downloads::for_file(app.state.db.pool(), file)
            .await
            .expect("receipts");
        rows.iter()
            .any(|r| r.played == 1 && r.finished_at.is_some())
            .then_some(())
    })
    .await;
    // Asking "play" of something that does not play is still a download.
    let photo = relais::domain::FileId::parse(&ids[0]).expect("id");
    tus.request(Method::GET, &format!("/api/v1/files/{}/content?play=1", ids[0]))
        .send()
        .await
        .expect("request")
        .bytes()
        .await
        .expect("body");
    eventually("the photo's receipt", || async {
        let rows = relais::db::downloads::for_file(app.state.db.pool(), photo)
            .await
            .expect("receipts");
        (rows.len() == 3 && rows.iter().all(|r| r.finished_at.is_some())).then_some(())
    })
    .await;
    let summary = relais::db::downloads::summary_for_transfer(app.state.db.pool(), transfer_id)
        .await
        .expect("summary");
    let last_file = summary.get(&ids[2]).copied().expect("summary");
    assert_eq!((last_file.count, last_file.played), (1, 1));
    let photo_row = summary.get(&ids[0]).copied().expect("summary");
    assert_eq!((photo_row.count, photo_row.played), (3, 0));
}

#[tokio::test]
async fn zip64_records_are_read_by_standard_tools() {
    let app = spawn_app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let big = pattern(2_000_000, 25);
    let (transfer, _) = upload(&tus, &[("grand.mov", &big), ("petit.txt", b"small")]).await;
    // The threshold is lowered so that sizes, offsets and the directory all take the
    // ZIP64 path with small files; the code is the one used above 4 GiB.
    let id = relais::domain::TransferId::parse(&transfer).expect("id");
    let plan = relais::downloads::archive_plan(&app.state, id, 1000, &Default::default())
        .await
        .expect("plan");
    let total = plan.total_len;
    let mut stream = relais::downloads::archive::stream(app.state.clone(), plan);
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("zip64.zip");
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        bytes.extend_from_slice(&chunk.expect("chunk"));
    }
    assert_eq!(bytes.len() as u64, total);
    assert!(
        bytes.windows(4).any(|w| w == [0x50, 0x4b, 0x06, 0x06]),
        "a ZIP64 end record is present"
    );
    std::fs::write(&path, &bytes).expect("write");
    let members = read_zip(&path);
    assert_eq!(members.get("grand.mov"), Some(&sha256_hex(&big)));
    assert_eq!(members.get("petit.txt"), Some(&sha256_hex(b"small")));
    unzip_test(&path);
}

#[tokio::test]
async fn downloads_can_go_straight_to_the_bucket() {
    let app: TestApp = spawn_app_with(|cfg| cfg.downloads.redirect_to_bucket = true).await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let data = pattern(100_000, 26);
    let (_, ids) = upload(&tus, &[("Été.jpg", &data)]).await;
    let response = tus
        .request(Method::GET, &format!("/api/v1/files/{}/content", ids[0]))
        .send()
        .await
        .expect("request");
    if app.state.blobs.backend() != "s3" {
        // Only S3 can presign: other backends serve the bytes themselves.
        assert_eq!(response.status(), 200);
        return;
    }
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().expect("location").to_owned();
    let from_bucket = reqwest::get(&location).await.expect("bucket answers");
    assert_eq!(from_bucket.status(), 200);
    assert!(
        from_bucket.headers()["content-disposition"]
            .to_str()
            .expect("text")
            .starts_with("attachment")
    );
    assert!(from_bucket.bytes().await.expect("body").as_ref() == data.as_slice());
}
