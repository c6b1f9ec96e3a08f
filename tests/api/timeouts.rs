//! Slow and dead clients are cut off while everyone else is served: connections that
//! never finish their headers, idle keep-alive connections, API bodies that trickle, and
//! tus PATCHes that stay alive one byte at a time. Each attack runs over raw TCP, as a
//! slowloris tool would, against the real server with short limits.

use std::time::Duration;

use reqwest::Method;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::tus::{Tus, meta, pattern, sha256_hex};
use crate::helpers::{TestApp, spawn_app_with};

/// Far longer than any limit set below: only a server that never cuts reaches it.
const GUARD: Duration = Duration::from_secs(30);

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .expect("connect")
}

/// Reads until the server closes the connection; what it sent before closing.
async fn read_until_closed(reader: &mut (impl AsyncReadExt + Unpin)) -> Vec<u8> {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let closed = tokio::time::timeout(GUARD, async {
        loop {
            match reader.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the server kept a slow connection open");
    received
}

/// Writes `head`, then one more byte every 100 ms until the server stops listening.
fn trickle(mut writer: tokio::net::tcp::OwnedWriteHalf, head: String) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if writer.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if writer.write_all(b"a").await.is_err() || writer.flush().await.is_err() {
                return;
            }
        }
    })
}

#[tokio::test]
async fn connections_that_never_finish_their_headers_are_closed_while_others_are_served() {
    let app = spawn_app_with(|cfg| cfg.http.header_timeout = Duration::from_secs(1)).await;
    let addr = app.base.trim_start_matches("http://").to_owned();

    // 64 connections, each sending a header line that never ends.
    let mut readers = Vec::new();
    let mut writers = Vec::new();
    for _ in 0..64 {
        let (reader, writer) = connect(&app).await.into_split();
        let head = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nX-Slow: ");
        writers.push(trickle(writer, head));
        readers.push(reader);
    }
    // Everyone else is served meanwhile.
    let health = app.http.get(app.url("/healthz")).send().await.expect("healthz");
    assert_eq!(health.status(), 200);

    for mut reader in readers {
        let answer = read_until_closed(&mut reader).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(
            !answer.contains(" 200 "),
            "a request whose headers never ended was answered: {answer}"
        );
    }
    for writer in writers {
        tokio::time::timeout(GUARD, writer)
            .await
            .expect("the trickler learnt the connection is gone")
            .expect("task");
    }
    let health = app.http.get(app.url("/healthz")).send().await.expect("healthz");
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed() {
    let app = spawn_app_with(|cfg| cfg.http.header_timeout = Duration::from_secs(1)).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut socket = connect(&app).await;
    socket
        .write_all(format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .expect("request");
    // The answer comes, the connection stays open for a next request, then closes when
    // none comes.
    let received = read_until_closed(&mut socket).await;
    let received = String::from_utf8_lossy(&received);
    assert!(received.starts_with("HTTP/1.1 200"), "{received}");
    assert_eq!(received.matches("HTTP/1.1").count(), 1, "{received}");
}

#[tokio::test]
async fn an_api_body_that_trickles_is_stopped_with_408_request_timeout() {
    let app = spawn_app_with(|cfg| cfg.http.request_timeout = Duration::from_secs(1)).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let (mut reader, writer) = connect(&app).await.into_split();
    // A login whose 2 000-byte body arrives a byte every 100 ms: over three minutes.
    let head = format!(
        "POST /api/v1/session HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: 2000\r\n\r\n{{\"email\":\""
    );
    let writer = trickle(writer, head);
    let answer = read_until_closed(&mut reader).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("\"code\":\"request_timeout\""), "{answer}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"), "{answer}");
    tokio::time::timeout(GUARD, writer)
        .await
        .expect("the trickler learnt the connection is gone")
        .expect("task");

    // A login at a normal pace is untouched by the limit.
    let normal = app
        .http
        .post(app.url("/api/v1/session"))
        .json(&serde_json::json!({"email": "nobody@example.fr", "password": "wrong password"}))
        .send()
        .await
        .expect("login");
    assert_eq!(normal.status(), 401);
}

#[tokio::test]
async fn a_patch_kept_alive_one_byte_at_a_time_ends_keeps_what_arrived_and_frees_the_upload() {
    let app = spawn_app_with(|cfg| cfg.uploads.idle_timeout = Duration::from_secs(1)).await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let data = pattern(512 * 1024, 7);
    let path = tus.create(data.len() as u64, &meta(&[("filename", "slow.mov")])).await;

    // 64 KiB at once, then a byte every 100 ms: never silent, never getting anywhere.
    let addr = app.base.trim_start_matches("http://").to_owned();
    let (mut reader, mut writer) = connect(&app).await.into_split();
    let head = format!(
        "PATCH {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nTus-Resumable: 1.0.0\r\n\
         Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: {}\r\n\r\n",
        tus.token,
        data.len()
    );
    writer.write_all(head.as_bytes()).await.expect("headers");
    writer.write_all(&data[..64 * 1024]).await.expect("first piece");
    let body = data[64 * 1024..].to_vec();
    let trickler = tokio::spawn(async move {
        for byte in body.chunks(1) {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if writer.write_all(byte).await.is_err() {
                return;
            }
        }
    });

    // The server answers by itself, keeping what arrived, while the trickler still sends.
    let answer = read_until_closed(&mut reader).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 "), "no answer: {answer}");
    assert!(!answer.starts_with("HTTP/1.1 5"), "{answer}");
    trickler.abort();
    let kept = tus.offset(&path).await;
    assert!(
        (64 * 1024..data.len() as u64).contains(&kept),
        "what arrived is kept: {kept}"
    );

    // The upload is free: the rest goes through at once, to the exact file.
    let rest = tus.patch(&path, kept, &data[kept as usize..]).await;
    assert_eq!(rest.status, 204, "{:?}", rest.body);
    let file = tus.all_files().await.remove(0);
    assert_eq!(file["sha256"], sha256_hex(&data));
}

#[tokio::test]
async fn a_slow_but_steady_patch_is_not_cut() {
    let app = spawn_app_with(|cfg| cfg.uploads.idle_timeout = Duration::from_secs(1)).await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let data = pattern(3 * 1024 * 1024, 8);
    let path = tus
        .create(data.len() as u64, &meta(&[("filename", "steady.mov")]))
        .await;
    // 64 KiB every 100 ms: a slow line, forty times the least a window must bring.
    let chunks: Vec<Vec<u8>> = data.chunks(64 * 1024).map(<[u8]>::to_vec).collect();
    let body = futures_util::StreamExt::then(futures_util::stream::iter(chunks), |c| async move {
        tokio::time::sleep(Duration::from_millis(100)).await;
        Ok::<_, std::io::Error>(c)
    });
    let answer = tus
        .request(Method::PATCH, &path)
        .header("upload-offset", 0)
        .header("content-type", "application/offset+octet-stream")
        .header("content-length", data.len())
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
        .expect("patch");
    assert_eq!(answer.status(), 204);
    let file = tus.all_files().await.remove(0);
    assert_eq!(file["sha256"], sha256_hex(&data));
}
