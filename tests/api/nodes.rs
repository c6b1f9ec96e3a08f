//! Two real nodes on one PostgreSQL database and one bucket: node A is killed (SIGKILL)
//! in the middle of a PATCH, and node B carries the upload on from what A had put in the
//! bucket, within seconds, to the right SHA-256. Run on both S3 servers the suite uses
//! (s3s-fs, which checks every signature, and moto), in the PostgreSQL pass: nodes share
//! nothing else.

use std::process::Command;
use std::time::Duration;

use relais::config::Config;
use relais_storage::StorageConfig;
use sqlx::Connection;

use crate::helpers::backend::{Backend, env_for, s3_settings};
use crate::helpers::binary::{self, start};
use crate::helpers::moto::MotoServer;
use crate::helpers::tus::{meta, pattern, sha256_hex};

const MIB: usize = 1024 * 1024;
/// The smallest part S3 takes: the kill then falls after several complete parts.
const PART: usize = 5 * MIB;

#[derive(Clone, Copy, Debug)]
enum Bucket {
    S3sFs,
    Moto,
}

#[tokio::test]
async fn a_node_killed_mid_patch_loses_at_most_its_part_in_flight_and_another_takes_over_on_s3s_fs() {
    a_node_killed_mid_patch(Bucket::S3sFs).await;
}

#[tokio::test]
async fn a_node_killed_mid_patch_loses_at_most_its_part_in_flight_and_another_takes_over_on_moto() {
    a_node_killed_mid_patch(Bucket::Moto).await;
}

/// The committed offset, read from the shared database as any node would.
async fn committed(url: &str) -> u64 {
    let mut conn = sqlx::PgConnection::connect(url).await.expect("database");
    let (offset,): (i64,) = sqlx::query_as("SELECT upload_offset FROM uploads")
        .fetch_one(&mut conn)
        .await
        .expect("upload row");
    u64::try_from(offset).expect("offset")
}

async fn a_node_killed_mid_patch(bucket: Bucket) {
    if Backend::from_env() != Backend::PostgresS3 {
        // Nodes share a PostgreSQL database; this runs in that pass.
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let mut cfg = Config::defaults_in(dir.path()).expect("defaults");
    cfg.uploads.part_size = relais::domain::ByteSize::from_bytes(PART as u64);
    let _resources = Backend::PostgresS3.prepare(&mut cfg, dir.path()).await;
    let _moto = match bucket {
        Bucket::S3sFs => None,
        Bucket::Moto => {
            let moto = MotoServer::start().await;
            let mut s3 = s3_settings("relais-nodes");
            s3.endpoint = Some(moto.endpoint.parse().expect("url"));
            s3.access_key_id = "moto".into();
            s3.secret_access_key = "moto-secret".into();
            let steps = relais_storage::setup::apply(&s3, &["http://127.0.0.1".into()]).await;
            assert!(
                !steps
                    .iter()
                    .any(|s| matches!(s.outcome, relais_storage::setup::StepOutcome::Failed(_))),
                "{steps:?}"
            );
            cfg.storage = StorageConfig::S3(s3);
            Some(moto)
        }
    };
    let db_url = secrecy::ExposeSecret::expose_secret(&cfg.database.url).to_owned();
    let env = env_for(&cfg);
    let node = |name: &str| {
        let mut env = env.clone();
        env.push(("RELAIS_NODE_NAME".into(), name.into()));
        // Each node its own disk: nothing on it may matter to the other.
        env.retain(|(k, _)| k != "RELAIS_DATA_DIR");
        let own = dir.path().join(name);
        std::fs::create_dir_all(&own).expect("node dir");
        env.push(("RELAIS_DATA_DIR".into(), own.display().to_string()));
        env
    };
    let (env_a, env_b) = (node("node-a"), node("node-b"));

    let token = binary::anne_with_token(&env_a);

    let (a, b) = (start(&env_a).await, start(&env_b).await);
    let http = reqwest::Client::new();
    let data = pattern(64 * MIB + 4321, 17);
    let created = http
        .post(format!("{}/api/v1/uploads", a.base))
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", data.len())
        .header("upload-metadata", meta(&[("filename", "cérémonie.mov")]))
        .send()
        .await
        .expect("create");
    assert_eq!(created.status(), 201);
    let path = created.headers()["location"].to_str().expect("location").to_owned();

    // Node A receives 32 MiB of one PATCH, whose body then stays open.
    let sent = 32 * MIB;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(2);
    let body = reqwest::Body::wrap_stream(futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|x| (x, rx))
    }));
    let patch = tokio::spawn(
        http.patch(format!("{}{path}", a.base))
            .bearer_auth(&token)
            .header("tus-resumable", "1.0.0")
            .header("upload-offset", 0)
            .header("content-type", "application/offset+octet-stream")
            .header("content-length", data.len())
            .body(body)
            .send(),
    );
    for chunk in data[..sent].chunks(256 * 1024) {
        tx.send(Ok(chunk.to_vec())).await.expect("node A reads");
    }
    // Every complete part is recorded while the PATCH is still open: 6 parts, 30 MiB.
    let full_parts = (sent / PART * PART) as u64;
    let until = std::time::Instant::now() + Duration::from_secs(60);
    while committed(&db_url).await < full_parts {
        assert!(
            std::time::Instant::now() < until,
            "parts were not recorded while the body was open: {} of {full_parts}",
            committed(&db_url).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = a.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-KILL", &pid])
            .status()
            .expect("kill")
            .success()
    );
    drop(tx);
    let _ = patch.await;
    drop(a);

    // Node B answers where to resume: everything in complete parts survived node A.
    let head = http
        .head(format!("{}{path}", b.base))
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
    assert_eq!(offset as u64, full_parts, "{bucket:?}: only the part in flight is lost");

    // Node B takes the dead holder's lease over within seconds (its heartbeat stopped),
    // on the first try: no 423 to retry through.
    let rest = http
        .patch(format!("{}{path}", b.base))
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-offset", offset)
        .header("content-type", "application/offset+octet-stream")
        .body(data[offset..].to_vec())
        .send()
        .await
        .expect("patch");
    assert_eq!(rest.status(), 204, "{bucket:?}: {:?}", rest.text().await);

    let file = b.first_file(&http, &token).await;
    assert_eq!(file["size"], data.len());
    assert_eq!(file["sha256"], sha256_hex(&data).as_str(), "{bucket:?}");
}
