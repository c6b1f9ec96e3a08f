//! What happens when things go wrong mid-upload: broken connections, dead writers,
//! two writers at once.

use std::time::Duration;

use reqwest::Method;
use tokio::io::AsyncWriteExt;

use crate::helpers::tus::{Tus, meta, pattern, sha256_hex};
use crate::helpers::{TestApp, eventually, spawn_app_with_small_parts};

const MIB: usize = 1024 * 1024;

async fn app() -> TestApp {
    spawn_app_with_small_parts().await
}

/// Sends a PATCH announcing `announced` bytes, writes only `data`, and hangs up.
pub(crate) async fn broken_patch(app: &TestApp, token: &str, path: &str, offset: u64, announced: usize, data: &[u8]) {
    let addr = app.base.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "PATCH {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nTus-Resumable: 1.0.0\r\n\
         Upload-Offset: {offset}\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: {announced}\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await.expect("headers");
    socket.write_all(data).await.expect("body");
    socket.flush().await.expect("flush");
    // The connection ends as a phone losing signal would: what was written arrives first,
    // then the end. The server then saves what it received; wait for exactly that.
    drop(socket);
    let expected = offset + data.len() as u64;
    crate::helpers::eventually("the cut PATCH's bytes saved", || async move {
        let head = app
            .http
            .head(app.url(path))
            .bearer_auth(token)
            .header("tus-resumable", "1.0.0")
            .send()
            .await
            .ok()?;
        let at: u64 = head.headers().get("upload-offset")?.to_str().ok()?.parse().ok()?;
        (at == expected).then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_patch_cut_off_midway_keeps_the_bytes_that_arrived_and_the_upload_resumes() {
    let app = app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let data = pattern(9 * MIB + 77, 11);
    let path = tus.create(data.len() as u64, &meta(&[("filename", "coupé.mov")])).await;

    // 7 MiB + 5 arrive of a PATCH meant to carry everything: on S3 one full part goes
    // up and the rest is staged.
    let sent = 7 * MIB + 5;
    broken_patch(&app, &tus.token, &path, 0, data.len(), &data[..sent]).await;
    assert_eq!(tus.offset(&path).await, sent as u64, "every byte that arrived was kept");

    // A second break, inside what will become the next part.
    broken_patch(
        &app,
        &tus.token,
        &path,
        sent as u64,
        data.len() - sent,
        &data[sent..sent + 1000],
    )
    .await;
    let resumed = tus.offset(&path).await;
    assert_eq!(resumed, (sent + 1000) as u64);

    let answer = tus.patch(&path, resumed, &data[resumed as usize..]).await;
    assert_eq!(answer.status, 204, "{:?}", answer.body);
    let files = tus.all_files().await;
    assert_eq!(
        files[0]["sha256"],
        sha256_hex(&data).as_str(),
        "the resumed file is byte-exact"
    );
}

#[tokio::test]
async fn a_patch_has_let_the_upload_go_when_it_answers() {
    let app = app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let path = tus.create(100, &meta(&[("filename", "a.txt")])).await;
    let id = relais::domain::UploadId::parse(path.rsplit('/').next().expect("id")).expect("upload id");
    let row = || async {
        relais::db::uploads::find(app.state.db.pool(), id)
            .await
            .expect("find")
            .expect("upload")
    };
    assert_eq!(tus.patch(&path, 0, &[1; 10]).await.status, 204);
    // The offset is recorded and the lease let go by the time the client hears back (one
    // statement does both): the next PATCH, on any node, starts at once.
    let after = row().await;
    assert_eq!((after.offset, after.lease_owner), (10, None));
    assert_eq!(tus.patch(&path, 10, &[2; 40]).await.status, 204);
    assert_eq!((row().await.offset, row().await.lease_owner), (50, None));
    assert_eq!(tus.patch(&path, 50, &[3; 50]).await.status, 204);
    let done = row().await;
    assert!(done.completed_at.is_some());
    assert_eq!(done.lease_owner, None);
}

/// Takes the lease of the upload at `path` for another node, live for 20 s of the test
/// clock; answers the upload's and its file's ids.
async fn held_elsewhere(app: &TestApp, path: &str) -> (relais::domain::UploadId, relais::domain::FileId) {
    let id = relais::domain::UploadId::parse(path.rsplit('/').next().expect("id")).expect("upload id");
    let pool = app.state.db.pool();
    let file = relais::db::uploads::find(pool, id)
        .await
        .expect("find")
        .expect("upload")
        .file;
    let now = app.clock().now();
    assert!(
        relais::db::uploads::acquire_lease(pool, id, "node-elsewhere", now + Duration::from_secs(20), now)
            .await
            .expect("lease")
            .is_some()
    );
    (id, file)
}

/// Waits until a request has asked the upload's holder to let go: it is waiting for it.
async fn asked_to_let_go(pool: &sqlx::AnyPool, id: relais::domain::UploadId, what: &str) {
    eventually(what, || async move {
        let (asked,): (i64,) = sqlx::query_as("SELECT release_requested FROM uploads WHERE id = $1")
            .bind(id.to_db())
            .fetch_one(pool)
            .await
            .expect("row");
        (asked == 1).then_some(())
    })
    .await;
}

/// A PATCH waiting for another node's lease, while the studio or the client puts the file
/// in the trash: once it gets the upload it writes nothing and answers 404, and the
/// trashed file is not marked stored.
#[tokio::test]
async fn a_file_trashed_while_a_patch_waits_for_the_upload_is_not_written() {
    let app = app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let path = tus.create(10, &meta(&[("filename", "a.txt")])).await;
    let (id, file) = held_elsewhere(&app, &path).await;
    let pool = app.state.db.pool().clone();
    let meanwhile = async {
        // The PATCH has asked the holder to let go: it is waiting.
        asked_to_let_go(&pool, id, "the PATCH waiting for the upload").await;
        let trashed = tus
            .request(Method::DELETE, &format!("/api/v1/files/{file}"))
            .send()
            .await
            .expect("delete");
        assert_eq!(trashed.status(), 204);
        // The other node's lease runs out: the waiting PATCH takes the upload over.
        app.clock().advance(Duration::from_secs(21));
    };
    let (answer, ()) = tokio::join!(tus.patch(&path, 0, &[1; 10]), meanwhile);
    assert_eq!(answer.status, 404, "nothing written to a file in the trash");
    let row = relais::db::uploads::of_file_even_trashed(&pool, file)
        .await
        .expect("find")
        .expect("upload");
    assert_eq!((row.offset, row.completed_at), (0, None));
}

/// A DELETE waiting for the upload while its holder stores the last byte: the file is
/// stored and stays (the finished upload resource goes), never a file row deleted over a
/// stored object.
#[tokio::test]
async fn a_delete_that_waited_while_the_upload_finished_keeps_the_file() {
    let app = app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let path = tus.create(10, &meta(&[("filename", "a.txt")])).await;
    let (id, file) = held_elsewhere(&app, &path).await;
    let pool = app.state.db.pool().clone();
    let now = app.clock().now();
    let meanwhile = async {
        asked_to_let_go(&pool, id, "the DELETE waiting for the upload").await;
        // The holder stores the last byte and records it, letting the lease go.
        let mut tx = app.state.db.begin().await.expect("tx");
        relais::db::uploads::complete(&mut tx, id, 10, now + Duration::from_secs(3600), now)
            .await
            .expect("complete");
        tx.commit().await.expect("commit");
    };
    let (deleted, ()) = tokio::join!(tus.request(Method::DELETE, &path).send(), meanwhile);
    assert_eq!(deleted.expect("delete").status(), 204);
    assert!(
        relais::db::files::find(&pool, file).await.expect("find").is_some(),
        "the stored file stays"
    );
    assert_eq!(
        tus.head(&path).await.status,
        404,
        "the finished upload resource is gone"
    );
}

#[tokio::test]
async fn a_stale_writer_is_pre_empted_but_a_live_one_answers_423() {
    let app = app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let path = tus.create(100, &meta(&[("filename", "a.txt")])).await;
    let id = relais::domain::UploadId::parse(path.rsplit('/').next().expect("id")).expect("upload id");

    // A writer on another node took the lease and went silent.
    let now = app.clock().now();
    assert!(
        relais::db::uploads::acquire_lease(
            app.state.db.pool(),
            id,
            "node-that-hangs",
            now + Duration::from_secs(20),
            now
        )
        .await
        .expect("lease")
        .is_some()
    );
    let locked = tus.patch(&path, 0, &[1; 10]).await;
    assert_eq!(
        (locked.status, locked.code()),
        (423, "upload_locked"),
        "a live lease is not stolen"
    );

    // Its lease runs out: the next request takes over at once.
    // The test clock stands still, so a server that waited for anything to time out
    // would never answer: a prompt 204 is the proof that nothing was waited for.
    app.clock().advance(Duration::from_secs(21));
    assert_eq!(tus.patch(&path, 0, &[1; 10]).await.status, 204);
    assert_eq!(tus.offset(&path).await, 10);
}

#[tokio::test]
async fn two_writers_at_once_never_interleave_bytes() {
    let app = app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let data = pattern(8 * MIB, 12);
    let path = tus.create(data.len() as u64, &meta(&[("filename", "race.bin")])).await;

    // A slow writer: 64 KiB every 20 ms.
    let slow_body = {
        let chunks: Vec<Vec<u8>> = data.chunks(64 * 1024).map(<[u8]>::to_vec).collect();
        futures_util::StreamExt::then(futures_util::stream::iter(chunks), |c| async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok::<_, std::io::Error>(c)
        })
    };
    let slow = tus
        .request(Method::PATCH, &path)
        .header("upload-offset", 0)
        .header("content-type", "application/offset+octet-stream")
        .header("content-length", data.len())
        .body(reqwest::Body::wrap_stream(slow_body))
        .send();
    let slow = tokio::spawn(slow);
    // The second writer comes once the first holds the upload.
    let id = relais::domain::UploadId::parse(path.rsplit('/').next().expect("id")).expect("upload id");
    let pool = app.state.db.pool().clone();
    eventually("the first writer's lease", || {
        let pool = pool.clone();
        async move {
            let row = relais::db::uploads::find(&pool, id).await.expect("find")?;
            row.lease_owner.map(|_| ())
        }
    })
    .await;

    // A second writer at the same offset: the first is asked to save and stop, and the
    // second learns where the upload now stands.
    let second = tus.patch(&path, 0, &data).await;
    assert!(matches!(second.status, 409 | 423), "{:?}", second.status);
    let _ = slow.await;
    let offset = tus.offset(&path).await;
    assert!(
        offset > 0 && offset < data.len() as u64,
        "the first writer kept what it had: {offset}"
    );

    // Whatever was kept is a prefix of the data: finishing from there gives the exact file.
    assert_eq!(tus.patch(&path, offset, &data[offset as usize..]).await.status, 204);
    let files = tus.all_files().await;
    assert_eq!(files[0]["sha256"], sha256_hex(&data).as_str());
}

#[tokio::test]
async fn a_checksummed_patch_asked_to_let_go_keeps_nothing_and_answers_423_to_be_retried() {
    use base64::Engine;
    use sha2::Digest;
    let app = app().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let data = pattern(4 * MIB, 21);
    let path = tus.create(data.len() as u64, &meta(&[("filename", "sum.bin")])).await;
    let checksum = format!(
        "sha256 {}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&data))
    );
    // A slow body with the checksum of the whole: 64 KiB every 20 ms.
    let chunks: Vec<Vec<u8>> = data.chunks(64 * 1024).map(<[u8]>::to_vec).collect();
    let slow_body = futures_util::StreamExt::then(futures_util::stream::iter(chunks), |c| async move {
        tokio::time::sleep(Duration::from_millis(20)).await;
        Ok::<_, std::io::Error>(c)
    });
    let slow = tokio::spawn(
        tus.request(Method::PATCH, &path)
            .header("upload-offset", 0)
            .header("content-type", "application/offset+octet-stream")
            .header("content-length", data.len())
            .header("upload-checksum", checksum.clone())
            .body(reqwest::Body::wrap_stream(slow_body))
            .send(),
    );
    let id = relais::domain::UploadId::parse(path.rsplit('/').next().expect("id")).expect("upload id");
    let pool = app.state.db.pool().clone();
    eventually("the slow writer's lease", || {
        let pool = pool.clone();
        async move {
            relais::db::uploads::find(&pool, id)
                .await
                .expect("find")?
                .lease_owner
                .map(|_| ())
        }
    })
    .await;
    // A HEAD asks the writer to let go: a body that cannot be verified whole keeps
    // nothing, and its client is told to try again (423, which tus clients retry), not
    // that its bytes were wrong (460, which they do not).
    assert_eq!(tus.offset(&path).await, 0);
    let answered = slow.await.expect("task").expect("answer");
    assert_eq!(answered.status(), 423);
    let again = tus
        .request(Method::PATCH, &path)
        .header("upload-offset", 0)
        .header("content-type", "application/offset+octet-stream")
        .header("upload-checksum", checksum)
        .body(data.clone())
        .send()
        .await
        .expect("patch");
    assert_eq!(again.status(), 204);
    assert_eq!(tus.all_files().await[0]["sha256"], sha256_hex(&data).as_str());
}

/// A small tmpfs, unmounted when dropped; `None` where mounting is not possible here.
struct SmallDisk(std::path::PathBuf);

impl SmallDisk {
    fn mount(dir: &std::path::Path, mib: u32) -> Option<Self> {
        let path = dir.join("small-disk");
        std::fs::create_dir_all(&path).ok()?;
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(&path)
            .status()
            .ok()?
            .success();
        ok.then_some(Self(path))
    }

    fn grow(&self, mib: u32) {
        let ok = std::process::Command::new("mount")
            .args(["-o", &format!("remount,size={mib}m")])
            .arg(&self.0)
            .status()
            .expect("mount")
            .success();
        assert!(ok, "remount");
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg(&self.0).status();
    }
}

#[tokio::test]
async fn a_full_disk_answers_507_head_still_answers_and_the_upload_resumes_once_room_is_made() {
    if crate::helpers::backend::Backend::from_env() != crate::helpers::backend::Backend::SqliteLocal {
        return; // the local disk is what fills; S3 has its own errors (tested elsewhere)
    }
    let place = tempfile::tempdir().expect("dir");
    let Some(disk) = SmallDisk::mount(place.path(), 6) else {
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    };
    let root = disk.0.clone();
    let app = crate::helpers::spawn_app_with(move |cfg| {
        cfg.storage = relais_storage::StorageConfig::Local { root };
        // What a disk does when it does fill up; the reserve is tested on its own below.
        cfg.uploads.disk_reserve = relais::domain::ByteSize::from_bytes(0);
    })
    .await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let data = pattern(12 * MIB, 41);
    let path = tus
        .create(data.len() as u64, &meta(&[("filename", "trop-grand.mov")]))
        .await;

    let full = tus.patch(&path, 0, &data).await;
    assert_eq!(
        (full.status, full.code()),
        (507, "insufficient_storage"),
        "{:?}",
        full.body
    );
    // HEAD still answers, with what was durably kept.
    let head = tus.head(&path).await;
    assert_eq!(head.status, 200);
    let kept: u64 = head.header("upload-offset").expect("offset").parse().expect("number");
    assert!(kept < data.len() as u64);

    // Room is made; the upload resumes where it stood and ends whole.
    disk.grow(64);
    let rest = tus.patch(&path, kept, &data[kept as usize..]).await;
    assert_eq!(rest.status, 204, "{:?}", rest.body);
    let file = tus.all_files().await.remove(0);
    assert_eq!(file["sha256"], sha256_hex(&data));
    drop(app);
}

#[tokio::test]
async fn a_patch_that_goes_silent_ends_keeps_what_arrived_and_frees_the_upload() {
    let app = crate::helpers::spawn_app_with(|cfg| cfg.uploads.idle_timeout = Duration::from_secs(1)).await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let data = pattern(3 * MIB, 42);
    let path = tus
        .create(data.len() as u64, &meta(&[("filename", "silence.mov")]))
        .await;
    // A connection that sends a first piece, then nothing, and never hangs up.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let body = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
    let silent = tus
        .request(Method::PATCH, &path)
        .header("upload-offset", 0)
        .header("content-type", "application/offset+octet-stream")
        .header("content-length", data.len())
        .body(reqwest::Body::wrap_stream(body))
        .send();
    let silent = tokio::spawn(silent);
    tx.send(Ok(data[..MIB].to_vec())).await.expect("first piece");
    // The server ends it by itself, with no other request asking for the upload, while
    // the sender is still connected; the piece is kept.
    let ended = tokio::time::timeout(Duration::from_secs(20), silent)
        .await
        .expect("the server ended the silent PATCH by itself")
        .expect("task");
    let answer = ended.expect("an answer");
    assert!(answer.status().as_u16() < 500, "{}", answer.status());
    assert_eq!(tus.offset(&path).await, MIB as u64);
    // The upload is free: the rest goes through at once.
    let rest = tus.patch(&path, MIB as u64, &data[MIB..]).await;
    assert_eq!(rest.status, 204, "{:?}", rest.body);
    let file = tus.all_files().await.remove(0);
    assert_eq!(file["sha256"], sha256_hex(&data));
    drop(tx);
}

#[tokio::test]
async fn uploads_stop_while_the_disk_keeps_its_reserve_and_say_so() {
    if crate::helpers::backend::Backend::from_env() != crate::helpers::backend::Backend::SqliteLocal {
        return; // the reserve is for a local disk; S3's room is the provider's
    }
    let free = relais::disk::space(&std::env::temp_dir()).expect("statvfs").free;
    // A reserve just above what this disk has free: nothing may come in.
    let app = crate::helpers::spawn_app_with(move |cfg| {
        cfg.uploads.disk_reserve = relais::domain::ByteSize::from_bytes(free + 1024 * MIB as u64);
    })
    .await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let refused = tus
        .request(Method::POST, "/api/v1/uploads")
        .header("upload-length", 1000)
        .header("upload-metadata", meta(&[("filename", "a.bin")]))
        .send()
        .await
        .expect("create");
    let answer = crate::helpers::Answer::of(refused).await;
    assert_eq!(
        (answer.status, answer.code()),
        (507, "insufficient_storage"),
        "{:?}",
        answer.body
    );
    assert_eq!(tus.all_files().await.len(), 0, "nothing was created");
}
