//! Upload and download benchmarks against the release binary, each beside a baseline
//! measured in the same run (PRODUCT §5). Run: `cargo bench --bench transfer`.
//!
//! - tus upload of 1 GiB in 8 MiB and 64 MiB PATCHes into local storage, against a plain
//!   HTTP PUT sink that writes the body to a file and hashes it with SHA-256;
//! - peak RSS of the server under 16 concurrent 64 MiB uploads in 64 MiB PATCHes;
//! - the same 1 GiB through Relais into s3s-fs (when installed), against a direct
//!   object_store multipart put into the same server;
//! - a transfer downloaded as a ZIP, against downloading its files one by one.
//!
//! Server CPU comes from /proc/<pid>/stat, peak memory from /proc/<pid>/status (VmHWM).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--sink") {
        return sink(&args[i + 1], Path::new(&args[i + 2]));
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(run());
}

/// A child process whose CPU and memory can be read.
struct Proc {
    child: Child,
}

impl Proc {
    fn stat(&self) -> Vec<u64> {
        let raw = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        let after = raw.rsplit(')').next().unwrap_or_default();
        after.split_whitespace().map(|f| f.parse().unwrap_or(0)).collect()
    }

    /// User + system CPU seconds so far.
    fn cpu(&self) -> f64 {
        let f = self.stat();
        // Fields 14 and 15 of stat (utime, stime), counted after the command name.
        (f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0)) as f64 / 100.0
    }

    fn peak_rss_mib(&self) -> f64 {
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

fn port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port()
}

async fn wait_up(url: &str) {
    for _ in 0..400 {
        if reqwest::get(url).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{url} did not come up");
}

/// The body: the same 64 MiB of noise, repeated, never copied.
fn body(len: u64, block: &Bytes) -> reqwest::Body {
    let n = len / block.len() as u64;
    let rest = (len % block.len() as u64) as usize;
    let mut chunks: Vec<Bytes> = (0..n).map(|_| block.clone()).collect();
    if rest > 0 {
        chunks.push(block.slice(..rest));
    }
    // Handed over in 1 MiB pieces, as a network stack would.
    let pieces = chunks.into_iter().flat_map(|c| {
        (0..c.len())
            .step_by(MIB as usize)
            .map(move |o| c.slice(o..(o + MIB as usize).min(c.len())))
            .collect::<Vec<_>>()
    });
    reqwest::Body::wrap_stream(futures_util::stream::iter(pieces.map(Ok::<_, std::io::Error>)))
}

fn noise(len: usize) -> Bytes {
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

fn sink(port: &str, dir: &Path) {
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

// ---- Relais --------------------------------------------------------------------------

struct Relais {
    proc: Proc,
    base: String,
    token: String,
    http: reqwest::Client,
}

fn relais_cmd(env: &[(String, String)], args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_relais"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .args(args);
    cmd
}

async fn start_relais(dir: &Path, extra: &[(String, String)]) -> Relais {
    let port = port();
    let mut env = vec![
        ("RELAIS_DATA_DIR".to_owned(), dir.display().to_string()),
        ("RELAIS_LISTEN".to_owned(), format!("127.0.0.1:{port}")),
        ("RELAIS_LOG_LEVEL".to_owned(), "warn".to_owned()),
        ("RELAIS_UPLOADS__MAX_FILE_SIZE".to_owned(), "8GiB".to_owned()),
    ];
    env.extend(extra.iter().cloned());
    let email = format!("bench-{port}@example.fr");
    let made = relais_cmd(&env, &["client", "create", "--email", &email, "--name", "Bench"])
        .output()
        .expect("client");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let token = relais_cmd(&env, &["token", "create", "--email", &email])
        .output()
        .expect("token");
    let token = String::from_utf8_lossy(&token.stdout).trim().to_owned();
    let child = relais_cmd(&env, &["serve"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("relais");
    let base = format!("http://127.0.0.1:{port}");
    wait_up(&format!("{base}/healthz")).await;
    Relais {
        proc: Proc { child },
        base,
        token,
        http: reqwest::Client::new(),
    }
}

impl Relais {
    async fn create(&self, len: u64, name: &str) -> String {
        use base64::Engine;
        let meta = format!("filename {}", base64::engine::general_purpose::STANDARD.encode(name));
        let r = self
            .http
            .post(format!("{}/api/v1/uploads", self.base))
            .bearer_auth(&self.token)
            .header("tus-resumable", "1.0.0")
            .header("upload-length", len)
            .header("upload-metadata", meta)
            .send()
            .await
            .expect("create");
        assert_eq!(r.status(), 201);
        format!("{}{}", self.base, r.headers()["location"].to_str().expect("location"))
    }

    async fn upload(&self, len: u64, chunk: u64, block: &Bytes, name: &str) {
        let url = self.create(len, name).await;
        let mut offset = 0;
        while offset < len {
            let n = chunk.min(len - offset);
            let r = self
                .http
                .patch(&url)
                .bearer_auth(&self.token)
                .header("tus-resumable", "1.0.0")
                .header("upload-offset", offset)
                .header("content-type", "application/offset+octet-stream")
                .header("content-length", n)
                .body(body(n, block))
                .send()
                .await
                .expect("patch");
            assert_eq!(r.status(), 204, "{:?}", r.text().await);
            offset += n;
        }
    }
}

struct Row {
    what: String,
    mb_s: f64,
    cpu_per_gib: f64,
    note: String,
}

fn print(rows: &[Row]) {
    println!("\n| measurement | MB/s | server CPU-s/GiB | notes |\n|---|---|---|---|");
    for r in rows {
        println!("| {} | {:.0} | {:.2} | {} |", r.what, r.mb_s, r.cpu_per_gib, r.note);
    }
}

async fn run() {
    let quick = std::env::args().any(|a| a == "--quick");
    let size = if quick { 256 * MIB } else { GIB };
    let block = noise(64 * MIB as usize);
    let scratch = tempfile::tempdir().expect("dir");
    let mut rows = Vec::new();

    // Baseline: PUT into a file with SHA-256.
    let sink_port = port();
    let sink_dir = scratch.path().join("sink");
    std::fs::create_dir_all(&sink_dir).expect("dir");
    let me = std::env::current_exe().expect("self");
    let sink = Proc {
        child: Command::new(me)
            .args(["--sink", &sink_port.to_string()])
            .arg(&sink_dir)
            .spawn()
            .expect("sink"),
    };
    let sink_url = format!("http://127.0.0.1:{sink_port}/x");
    for _ in 0..400 {
        if std::net::TcpStream::connect(("127.0.0.1", sink_port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let http = reqwest::Client::new();
    let (cpu0, t0) = (sink.cpu(), Instant::now());
    let r = http
        .put(&sink_url)
        .body(body(size, &block))
        .send()
        .await
        .expect("sink put");
    assert!(r.status().is_success());
    let (secs, cpu) = (t0.elapsed().as_secs_f64(), sink.cpu() - cpu0);
    let gib = size as f64 / GIB as f64;
    let sink_row = Row {
        what: "baseline: HTTP PUT into a file + SHA-256".into(),
        mb_s: size as f64 / 1e6 / secs,
        cpu_per_gib: cpu / gib,
        note: String::new(),
    };
    let (sink_mb_s, sink_cpu) = (sink_row.mb_s, sink_row.cpu_per_gib);
    rows.push(sink_row);
    drop(sink);

    // Relais, local storage.
    let local = start_relais(&scratch.path().join("local"), &[]).await;
    for chunk in [8 * MIB, 64 * MIB] {
        let (cpu0, t0) = (local.proc.cpu(), Instant::now());
        local.upload(size, chunk, &block, &format!("big-{chunk}")).await;
        let (secs, cpu) = (t0.elapsed().as_secs_f64(), local.proc.cpu() - cpu0);
        let (mb_s, per_gib) = (size as f64 / 1e6 / secs, cpu / gib);
        rows.push(Row {
            what: format!("Relais tus, local, {} MiB PATCHes", chunk / MIB),
            mb_s,
            cpu_per_gib: per_gib,
            note: format!(
                "{:.2}× baseline CPU, {:.0} % of its throughput",
                per_gib / sink_cpu,
                100.0 * mb_s / sink_mb_s
            ),
        });
    }
    drop(local);

    // Memory: 16 concurrent 64 MiB uploads in single 64 MiB PATCHes, on a fresh server.
    let fresh = start_relais(&scratch.path().join("memory"), &[]).await;
    let idle = fresh.proc.peak_rss_mib();
    let uploads =
        (0..16).map(|i| fresh.upload(64 * MIB, 64 * MIB, &block, Box::leak(format!("m{i}").into_boxed_str())));
    futures_util::future::join_all(uploads).await;
    let peak = fresh.proc.peak_rss_mib();
    rows.push(Row {
        what: "16 × 64 MiB concurrent, 64 MiB PATCHes".into(),
        mb_s: 0.0,
        cpu_per_gib: 0.0,
        note: format!("peak RSS {peak:.0} MiB (idle {idle:.0} MiB)"),
    });

    // ZIP of a transfer against its files downloaded one by one.
    let files = 4;
    let each = size / files;
    for i in 0..files {
        fresh.upload(each, 64 * MIB, &block, &format!("z{i}.mov")).await;
    }
    let transfers: serde_json::Value = fresh
        .http
        .get(format!("{}/api/v1/transfers", fresh.base))
        .bearer_auth(&fresh.token)
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("json");
    let transfer = transfers[0]["id"].as_str().expect("id").to_owned();
    let shown: serde_json::Value = fresh
        .http
        .get(format!("{}/api/v1/transfers/{transfer}", fresh.base))
        .bearer_auth(&fresh.token)
        .send()
        .await
        .expect("show")
        .json()
        .await
        .expect("json");
    let ids: Vec<String> = shown["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter(|f| f["name"].as_str().is_some_and(|n| n.starts_with('z')))
        .map(|f| f["id"].as_str().expect("id").to_owned())
        .collect();
    let t0 = Instant::now();
    let mut raw = 0u64;
    for id in &ids {
        let mut s = fresh
            .http
            .get(format!("{}/api/v1/files/{id}/content", fresh.base))
            .bearer_auth(&fresh.token)
            .send()
            .await
            .expect("get")
            .bytes_stream();
        while let Some(c) = s.next().await {
            raw += c.expect("chunk").len() as u64;
        }
    }
    let raw_mb_s = raw as f64 / 1e6 / t0.elapsed().as_secs_f64();
    rows.push(Row {
        what: format!("baseline: {files} files downloaded one by one"),
        mb_s: raw_mb_s,
        cpu_per_gib: 0.0,
        note: String::new(),
    });
    let t0 = Instant::now();
    let mut s = fresh
        .http
        .get(format!("{}/api/v1/transfers/{transfer}/archive", fresh.base))
        .bearer_auth(&fresh.token)
        .send()
        .await
        .expect("zip")
        .bytes_stream();
    let mut first = None;
    let mut zipped = 0u64;
    while let Some(c) = s.next().await {
        first.get_or_insert_with(|| t0.elapsed());
        zipped += c.expect("chunk").len() as u64;
    }
    let zip_mb_s = zipped as f64 / 1e6 / t0.elapsed().as_secs_f64();
    rows.push(Row {
        what: "the same files as one streamed ZIP".into(),
        mb_s: zip_mb_s,
        cpu_per_gib: 0.0,
        note: format!(
            "{:.0} % of the baseline; first byte after {:.1} ms; peak RSS {:.0} MiB",
            100.0 * zip_mb_s / raw_mb_s,
            first.unwrap_or_default().as_secs_f64() * 1000.0,
            fresh.proc.peak_rss_mib()
        ),
    });
    drop(fresh);

    if let Some(s3) = s3_rows(scratch.path(), size, &block).await {
        rows.extend(s3);
    } else {
        println!("(s3s-fs not installed: S3 rows skipped; scripts/test.sh installs it)");
    }
    print(&rows);
}

async fn s3_rows(scratch: &Path, size: u64, block: &Bytes) -> Option<Vec<Row>> {
    Command::new("s3s-fs")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    let port = port();
    let root: PathBuf = scratch.join("s3");
    std::fs::create_dir_all(&root).ok()?;
    let _s3 = Proc {
        child: Command::new("s3s-fs")
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--access-key",
                "bench",
                "--secret-key",
                "bench-secret",
            ])
            .arg(&root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?,
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let cfg = relais_storage::S3Config {
        endpoint: Some(endpoint.parse().ok()?),
        bucket: "bench".into(),
        region: "us-east-1".into(),
        access_key_id: "bench".into(),
        secret_access_key: "bench-secret".into(),
        path_style: true,
    };
    relais_storage::setup::apply(&cfg, &[]).await;
    let gib = size as f64 / GIB as f64;
    let mut rows = Vec::new();

    // Baseline: object_store's own streaming multipart put, in this process.
    let store = relais_storage::open(&relais_storage::StorageConfig::S3(cfg.clone())).ok()?;
    let key = relais_storage::keys::file(uuid::Uuid::new_v4());
    let chunks: Vec<Result<Bytes, relais_storage::BlobError>> = (0..size / MIB)
        .map(|i| Ok(block.slice(((i % 64) * MIB) as usize..((i % 64 + 1) * MIB) as usize)))
        .collect();
    let t0 = Instant::now();
    store
        .put_stream(&key, futures_util::stream::iter(chunks).boxed())
        .await
        .ok()?;
    let direct_mb_s = size as f64 / 1e6 / t0.elapsed().as_secs_f64();
    rows.push(Row {
        what: "baseline: object_store multipart put into s3s-fs".into(),
        mb_s: direct_mb_s,
        cpu_per_gib: 0.0,
        note: String::new(),
    });

    let env = vec![
        ("RELAIS_STORAGE__BACKEND".to_owned(), "s3".to_owned()),
        ("RELAIS_STORAGE__ENDPOINT".to_owned(), endpoint),
        ("RELAIS_STORAGE__BUCKET".to_owned(), "bench".to_owned()),
        ("RELAIS_STORAGE__ACCESS_KEY_ID".to_owned(), "bench".to_owned()),
        (
            "RELAIS_STORAGE__SECRET_ACCESS_KEY".to_owned(),
            "bench-secret".to_owned(),
        ),
    ];
    let relais = start_relais(&scratch.join("relais-s3"), &env).await;
    let (cpu0, t0) = (relais.proc.cpu(), Instant::now());
    relais.upload(size, 64 * MIB, block, "s3-big").await;
    let (secs, cpu) = (t0.elapsed().as_secs_f64(), relais.proc.cpu() - cpu0);
    let mb_s = size as f64 / 1e6 / secs;
    rows.push(Row {
        what: "Relais tus into s3s-fs, 64 MiB PATCHes".into(),
        mb_s,
        cpu_per_gib: cpu / gib,
        note: format!("{:.0} % of the direct put", 100.0 * mb_s / direct_mb_s),
    });
    Some(rows)
}
