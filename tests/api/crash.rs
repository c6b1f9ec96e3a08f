//! The real binary killed with SIGKILL in the middle of an upload, then started again:
//! the upload resumes from what was durably stored and ends with the right SHA-256.

use std::process::Command;

use relais::config::Config;

use crate::helpers::backend::{Backend, env_for};
use crate::helpers::binary::{self, start};
use crate::helpers::eventually;
use crate::helpers::tus::{meta, pattern, sha256_hex};

const MIB: usize = 1024 * 1024;

fn relais(env: &[(String, String)], args: &[&str]) -> Command {
    binary::relais(None, env.iter().map(|(k, v)| (k, v)), args)
}

#[tokio::test]
async fn an_upload_survives_a_sigkill_of_the_server_and_resumes_to_the_right_sha256() {
    let dir = tempfile::tempdir().expect("dir");
    let mut cfg = Config::defaults_in(dir.path()).expect("defaults");
    cfg.uploads.part_size = relais::domain::ByteSize::from_bytes(5 * MIB as u64);
    let _resources = Backend::from_env().prepare(&mut cfg, dir.path()).await;
    let env = env_for(&cfg);

    let made = relais(
        &env,
        &["client", "create", "--email", "anne@example.fr", "--name", "Anne"],
    )
    .output()
    .expect("client create");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let token = relais(&env, &["token", "create", "--email", "anne@example.fr"])
        .output()
        .expect("token create");
    let token = String::from_utf8_lossy(&token.stdout).trim().to_owned();

    let data = pattern(48 * MIB + 321, 31);
    let server = start(&env).await;
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{}/api/v1/uploads", server.base))
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", data.len())
        .header("upload-metadata", meta(&[("filename", "mariage.mov")]))
        .send()
        .await
        .expect("create");
    assert_eq!(created.status(), 201);
    let location = format!(
        "{}{}",
        server.base,
        created.headers()["location"].to_str().expect("location")
    );

    // Stream the first 40 MiB steadily, then kill the server without warning.
    let sent = 40 * MIB;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    let body = reqwest::Body::wrap_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|x| (x, rx))
    }));
    let patch = http
        .patch(&location)
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-offset", 0)
        .header("content-type", "application/offset+octet-stream")
        .header("content-length", data.len())
        .body(body)
        .send();
    let patch = tokio::spawn(patch);
    for chunk in data[..sent].chunks(256 * 1024) {
        tx.send(Ok(chunk.to_vec())).await.expect("server reads");
    }
    // Killed once part of it is durably committed (the offset HEAD reads is the
    // database's), while the rest is still on its way.
    eventually("a first durable checkpoint", || {
        let (http, location, token) = (http.clone(), location.clone(), token.clone());
        async move {
            let head = http
                .head(&location)
                .bearer_auth(&token)
                .header("tus-resumable", "1.0.0")
                .send()
                .await
                .ok()?;
            let offset: u64 = head.headers().get("upload-offset")?.to_str().ok()?.parse().ok()?;
            (offset > 0).then_some(())
        }
    })
    .await;
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .expect("kill")
            .success()
    );
    drop(tx);
    let _ = patch.await;
    drop(server);

    // Started again: the offset is what was durably committed before the kill.
    let server = start(&env).await;
    let location = location.replace(location.split("/api/").next().expect("base"), &server.base);
    let head = http
        .head(&location)
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .send()
        .await
        .expect("head");
    assert_eq!(head.status(), 200);
    let offset: usize = head.headers()["upload-offset"]
        .to_str()
        .expect("offset")
        .parse()
        .expect("number");
    assert!(offset <= sent, "never more than what was sent: {offset}");
    assert!(offset >= 30 * MIB, "checkpoints kept most of it: {offset}");

    let rest = http
        .patch(&location)
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-offset", offset)
        .header("content-type", "application/offset+octet-stream")
        .body(data[offset..].to_vec())
        .send()
        .await
        .expect("patch");
    assert_eq!(rest.status(), 204);
    let transfers: serde_json::Value = http
        .get(format!("{}/api/v1/transfers", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let transfer = transfers[0]["id"].as_str().expect("id");
    let shown: serde_json::Value = http
        .get(format!("{}/api/v1/transfers/{transfer}", server.base))
        .bearer_auth(&token)
        .send()
        .await
        .expect("show")
        .json()
        .await
        .expect("json");
    // Stored, and perhaps already through the media pipeline the server runs meanwhile.
    let status = shown["files"][0]["status"].as_str();
    assert!(matches!(status, Some("stored" | "processing" | "ready")), "{status:?}");
    assert_eq!(shown["files"][0]["sha256"], sha256_hex(&data).as_str());
}
