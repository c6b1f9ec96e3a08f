//! What the benches share: child processes measured through /proc, free ports, noise,
//! the baseline sink and the `relais` binary under a cleared environment.

// Each bench uses its own subset of these.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command};

use bytes::Bytes;
use futures_util::StreamExt;

pub const MIB: u64 = 1024 * 1024;
pub const GIB: u64 = 1024 * MIB;

/// A child process whose CPU and memory can be read.
pub struct Proc {
    pub child: Child,
}

/// User + system CPU seconds a process (all its threads) has used so far; `pid` is a
/// number or `self`.
pub fn cpu_of(pid: &str) -> f64 {
    let raw = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = raw.rsplit(')').next().unwrap_or_default();
    let f: Vec<u64> = after.split_whitespace().map(|f| f.parse().unwrap_or(0)).collect();
    // Fields 14 and 15 of stat (utime, stime), counted after the command name.
    (f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)) as f64 / 100.0
}

impl Proc {
    pub fn cpu(&self) -> f64 {
        cpu_of(&self.child.id().to_string())
    }

    pub fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap_or_default();
        let kb: f64 = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        kb / 1024.0
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port()
}

pub fn noise(len: usize) -> Bytes {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut v = Vec::with_capacity(len);
    while v.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(len);
    Bytes::from(v)
}

// ---- the baseline sink ---------------------------------------------------------------

pub fn sink(port: &str, dir: &Path) {
    use axum::routing::put;
    let dir = dir.to_path_buf();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async move {
        let app = axum::Router::new()
            .route(
                "/{name}",
                put(
                    move |axum::extract::Path(name): axum::extract::Path<String>, body: axum::body::Body| {
                        let path = dir.join(name);
                        async move {
                            use sha2::Digest;
                            let mut file = std::fs::File::create(&path).expect("file");
                            let mut hash = sha2::Sha256::new();
                            let mut stream = body.into_data_stream();
                            let mut buf = Vec::with_capacity(MIB as usize);
                            while let Some(chunk) = stream.next().await {
                                let chunk = chunk.expect("body");
                                hash.update(&chunk);
                                buf.extend_from_slice(&chunk);
                                if buf.len() >= MIB as usize {
                                    let taken = std::mem::take(&mut buf);
                                    let (f, mut b) = tokio::task::spawn_blocking(move || {
                                        std::io::Write::write_all(&mut file, &taken).expect("write");
                                        (file, taken)
                                    })
                                    .await
                                    .expect("join");
                                    file = f;
                                    b.clear();
                                    buf = b;
                                }
                            }
                            std::io::Write::write_all(&mut file, &buf).expect("write");
                            file.sync_all().expect("sync");
                            hash.finalize().iter().map(|b| format!("{b:02x}")).collect::<String>()
                        }
                    },
                ),
            )
            .layer(axum::extract::DefaultBodyLimit::disable());
        let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
            .await
            .expect("bind");
        axum::serve(listener, app).await.expect("serve");
    });
}

pub fn relais_cmd(env: &[(String, String)], args: &[&str]) -> Command {
    // Another build can be measured in its place, to compare two versions.
    let bin = std::env::var_os("BENCH_RELAIS_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_relais").into());
    let mut cmd = Command::new(bin);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .args(args);
    cmd
}
