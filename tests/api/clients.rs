//! Real tus clients that Relais did not write, driven against a running Relais: tuspy
//! (Python, with checksums and an interruption) and tus-js-client (Node), many files in
//! parallel. Every stored file must carry the SHA-256 of what was on the client's disk.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::helpers::spawn_app_with_small_parts;
use crate::helpers::tus::{Tus, pattern, sha256_hex};

const MIB: usize = 1024 * 1024;

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients")
}

/// Writes test files; returns their paths and expected SHA-256 by name.
fn files(dir: &Path, sizes: &[(&str, usize)]) -> (Vec<String>, BTreeMap<String, String>) {
    let mut paths = Vec::new();
    let mut expected = BTreeMap::new();
    for (i, (name, size)) in sizes.iter().enumerate() {
        let data = pattern(*size, 100 + i as u32);
        let path = dir.join(name);
        std::fs::write(&path, &data).expect("write");
        paths.push(path.display().to_string());
        expected.insert((*name).to_owned(), sha256_hex(&data));
    }
    (paths, expected)
}

async fn stored(tus: &Tus<'_>) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    for f in tus.all_files().await {
        assert_eq!(f["status"], "stored", "{f}");
        found.insert(
            f["name"].as_str().expect("name").to_owned(),
            f["sha256"].as_str().expect("sha256").to_owned(),
        );
    }
    found
}

fn run(mut cmd: Command) -> String {
    let out = cmd.output().expect("client runs");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn tuspy_uploads_with_checksums_and_resumes_after_an_interruption() {
    let app = spawn_app_with_small_parts().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let dir = tempfile::tempdir().expect("dir");
    let (paths, expected) = files(dir.path(), &[("musique.wav", 9 * MIB + 17), ("devis.pdf", 3 * MIB + 5)]);

    let python = std::env::var("TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut cmd = Command::new(python);
    cmd.arg(clients_dir().join("tuspy_upload.py"))
        .arg(app.url("/api/v1/uploads"))
        .arg(&tus.token)
        .args(["--stop-at", &(4 * MIB).to_string()])
        .args(&paths);
    // The client blocks; this test's runtime has nothing else to do meanwhile... except
    // serve it: run it on a blocking thread.
    let output = tokio::task::spawn_blocking(move || run(cmd)).await.expect("join");
    let reports: Vec<serde_json::Value> = output.lines().map(|l| serde_json::from_str(l).expect("json")).collect();
    let big = reports.iter().find(|r| r["file"] == "musique.wav").expect("report");
    assert_eq!(big["interrupted_at"], 4 * MIB, "{big}");
    assert_eq!(
        big["resumed_from"],
        4 * MIB,
        "the new uploader resumed where the old one stopped: {big}"
    );
    assert_eq!(output.lines().count(), 2, "{output}");
    assert_eq!(stored(&tus).await, expected);
}

#[tokio::test]
async fn tus_js_client_uploads_many_files_in_parallel() {
    let app = spawn_app_with_small_parts().await;
    let (tus, _) = Tus::client(&app, "anne@example.fr").await;
    let dir = tempfile::tempdir().expect("dir");
    let sizes: Vec<(String, usize)> = (0..8)
        .map(|i| (format!("photo-{i:02}.jpg"), MIB * (i + 1) + i * 7))
        .collect();
    let sizes: Vec<(&str, usize)> = sizes.iter().map(|(n, s)| (n.as_str(), *s)).collect();
    let (paths, expected) = files(dir.path(), &sizes);

    let node = std::env::var("TEST_NODE").unwrap_or_else(|_| "node".into());
    let mut cmd = Command::new(node);
    cmd.current_dir(clients_dir())
        .arg("tusjs_upload.mjs")
        .arg(app.url("/api/v1/uploads"))
        .arg(&tus.token)
        .args(&paths);
    let output = tokio::task::spawn_blocking(move || run(cmd)).await.expect("join");
    assert_eq!(output.lines().count(), 8, "{output}");
    assert_eq!(stored(&tus).await, expected);
}
