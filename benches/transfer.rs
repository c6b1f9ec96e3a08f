//! Upload and download benchmarks against the release binary, each beside a baseline
//! measured in the same run (PRODUCT §5). Run: `cargo bench --bench transfer`.
//!
//! - tus upload of 1 GiB in 8 MiB and 64 MiB PATCHes into local storage, against a plain
//!   HTTP PUT sink that writes the body to a file and hashes it with SHA-256;
//! - peak RSS of the server under 16 concurrent 64 MiB uploads in 64 MiB PATCHes;
//! - the same 1 GiB through Relais into s3s-fs (when installed), against a direct
//!   object_store multipart put into the same server;
//! - a transfer downloaded as a ZIP, against downloading its files one by one;
//! - with `--zip64`, a real archive past 4 GiB opened by `unzip -t` and Python's `zipfile`;
//! - with `--during-transcode`, a 1 GiB upload while the server makes a 4K HEVC film's
//!   web copy, against the same upload on the idle server (PRODUCT §3.4: transcoding
//!   never starves uploads).
//!
//! `--s3` runs the baseline and the S3 path only; `--memory` the 16-upload peak RSS only;
//! `--runs N` sets the number of passes,
//! `--quick` uploads 256 MiB instead of 1 GiB; `BENCH_RELAIS_BIN=path` measures another
//! build of `relais` (to compare two versions, alternate runs).
//!
//! Server CPU comes from /proc/<pid>/stat, peak memory from /proc/<pid>/status (VmHWM).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;

mod common;

use common::{GIB, MIB, Proc, cpu_of, noise, port, relais_cmd, sink};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--sink") {
        return sink(&args[i + 1], Path::new(&args[i + 2]));
    }
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(run());
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

// ---- Relais --------------------------------------------------------------------------

struct Relais {
    proc: Proc,
    base: String,
    token: String,
    http: reqwest::Client,
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

    /// An authenticated GET of an API path.
    async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("get")
    }

    /// The id of the bench client's (only) transfer.
    async fn transfer(&self) -> String {
        let transfers: serde_json::Value = self.get("/api/v1/transfers").await.json().await.expect("json");
        transfers[0]["id"].as_str().expect("id").to_owned()
    }

    /// Sixteen 64 MiB uploads at once, in 64 MiB PATCHes; answers the peak RSS after.
    async fn sixteen_at_once(&self, block: &Bytes) -> f64 {
        let names: Vec<String> = (0..16).map(|i| format!("m{i}")).collect();
        futures_util::future::join_all(names.iter().map(|n| self.upload(64 * MIB, 64 * MIB, block, n))).await;
        self.proc.peak_rss_mib()
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

/// One pass of every measurement: (MB/s, server CPU-s/GiB) pairs and the rest.
#[derive(Default, Clone)]
struct Pass {
    sink: (f64, f64),
    tus8: (f64, f64),
    tus64: (f64, f64),
    peak_rss: f64,
    idle_rss: f64,
    singles: f64,
    zip: f64,
    first_byte_ms: f64,
    s3: Option<S3Figures>,
    /// Peak RSS of a fresh server after one 50 MiB upload, and after one of `big_len`.
    small_upload_rss: f64,
    big_upload_rss: f64,
}

/// The S3 path: (MB/s, CPU-s/GiB) of the direct put (the bench's own CPU) and of Relais.
#[derive(Default, Clone, Copy)]
struct S3Figures {
    direct: (f64, f64),
    relais: (f64, f64),
}

/// The whole set, or with `s3_only` the baseline and the S3 path alone (for profiling).
async fn measure(scratch: &Path, size: u64, block: &Bytes, s3_only: bool) -> Pass {
    let mut pass = Pass {
        sink: sink_pass(scratch, size, block).await,
        ..Pass::default()
    };
    if !s3_only {
        more_local(&mut pass, scratch, size, block).await;
    }
    pass.s3 = s3_pass(scratch, size, block).await;
    pass
}

/// Baseline: a plain HTTP PUT into a file with SHA-256, in a child process.
async fn sink_pass(scratch: &Path, size: u64, block: &Bytes) -> (f64, f64) {
    let gib = size as f64 / GIB as f64;
    let sink_port = port();
    let sink_dir = scratch.join("sink");
    std::fs::create_dir_all(&sink_dir).expect("dir");
    let me = std::env::current_exe().expect("self");
    let sink = Proc {
        child: Command::new(me)
            .args(["--sink", &sink_port.to_string()])
            .arg(&sink_dir)
            .spawn()
            .expect("sink"),
    };
    for _ in 0..400 {
        if std::net::TcpStream::connect(("127.0.0.1", sink_port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    let http = reqwest::Client::new();
    let (cpu0, t0) = (sink.cpu(), Instant::now());
    let r = http
        .put(format!("http://127.0.0.1:{sink_port}/x"))
        .body(body(size, block))
        .send()
        .await
        .expect("sink put");
    assert!(r.status().is_success());
    let result = (
        size as f64 / 1e6 / t0.elapsed().as_secs_f64(),
        (sink.cpu() - cpu0) / gib,
    );
    drop(sink);
    let _ = std::fs::remove_dir_all(&sink_dir);
    result
}

/// Local storage: tus uploads, memory, ZIP.
async fn more_local(pass: &mut Pass, scratch: &Path, size: u64, block: &Bytes) {
    let gib = size as f64 / GIB as f64;

    // Relais, local storage, 8 and 64 MiB PATCHes.
    let local_dir = scratch.join("local");
    let local = start_relais(&local_dir, &[]).await;
    for chunk in [8 * MIB, 64 * MIB] {
        let (cpu0, t0) = (local.proc.cpu(), Instant::now());
        local.upload(size, chunk, block, &format!("big-{chunk}")).await;
        let result = (
            size as f64 / 1e6 / t0.elapsed().as_secs_f64(),
            (local.proc.cpu() - cpu0) / gib,
        );
        if chunk == 8 * MIB {
            pass.tus8 = result
        } else {
            pass.tus64 = result
        }
    }
    drop(local);
    let _ = std::fs::remove_dir_all(&local_dir);

    // Memory under 16 concurrent 64 MiB uploads, on a fresh server; then the ZIP.
    let fresh = start_relais(&scratch.join("memory"), &[]).await;
    pass.idle_rss = fresh.proc.peak_rss_mib();
    pass.peak_rss = fresh.sixteen_at_once(block).await;
    let files = 4;
    for i in 0..files {
        fresh.upload(size / files, 64 * MIB, block, &format!("z{i}.mov")).await;
    }
    let transfer = fresh.transfer().await;
    let shown: serde_json::Value = fresh
        .get(&format!("/api/v1/transfers/{transfer}"))
        .await
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
        let mut s = fresh.get(&format!("/api/v1/files/{id}/content")).await.bytes_stream();
        while let Some(c) = s.next().await {
            raw += c.expect("chunk").len() as u64;
        }
    }
    pass.singles = raw as f64 / 1e6 / t0.elapsed().as_secs_f64();
    let t0 = Instant::now();
    let mut s = fresh
        .get(&format!("/api/v1/transfers/{transfer}/archive"))
        .await
        .bytes_stream();
    let (mut first, mut zipped) = (None, 0u64);
    while let Some(c) = s.next().await {
        first.get_or_insert_with(|| t0.elapsed());
        zipped += c.expect("chunk").len() as u64;
    }
    pass.zip = zipped as f64 / 1e6 / t0.elapsed().as_secs_f64();
    pass.first_byte_ms = first.unwrap_or_default().as_secs_f64() * 1000.0;
    pass.peak_rss = pass.peak_rss.max(fresh.proc.peak_rss_mib());
    drop(fresh);
    let _ = std::fs::remove_dir_all(scratch.join("memory"));

    // Memory does not grow with the file: one 50 MiB upload and one big one, each on a
    // fresh server, in 64 MiB PATCHes.
    for (len, slot) in [(50 * MIB, 0), (big_len(size), 1)] {
        let dir = scratch.join(format!("one-{len}"));
        let server = start_relais(&dir, &[]).await;
        server.upload(len, 64 * MIB, block, "one").await;
        let peak = server.proc.peak_rss_mib();
        if slot == 0 {
            pass.small_upload_rss = peak
        } else {
            pass.big_upload_rss = peak
        }
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// `--runs N`, 3 by default.
fn runs_arg() -> usize {
    std::env::args()
        .skip_while(|a| a != "--runs")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(3)
}

/// `--memory`: only the peak RSS of a fresh server under 16 concurrent 64 MiB uploads,
/// `--runs` times (for tuning the per-upload memory budget).
async fn memory_only() {
    let runs = runs_arg();
    let block = noise(64 * MIB as usize);
    let scratch = tempfile::tempdir().expect("dir");
    let mut peaks = Vec::new();
    for run in 0..runs {
        let dir = scratch.path().join(format!("memory-{run}"));
        let fresh = start_relais(&dir, &[]).await;
        let idle = fresh.proc.peak_rss_mib();
        let peak = fresh.sixteen_at_once(&block).await;
        eprintln!("run {}: idle {idle:.1} MiB, peak {peak:.1} MiB", run + 1);
        peaks.push(peak);
        drop(fresh);
        let _ = std::fs::remove_dir_all(&dir);
    }
    println!(
        "peak RSS, 16 × 64 MiB concurrent: median {:.1} MiB over {runs} runs",
        median(peaks)
    );
}

/// 5 GiB, as PRODUCT §5 says, or a quarter of it with `--quick`.
fn big_len(size: u64) -> u64 {
    if size < GIB { 5 * GIB / 4 } else { 5 * GIB }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// `median (min–max)` of one figure over the passes.
fn spread(passes: &[Pass], f: impl Fn(&Pass) -> f64) -> (f64, String) {
    let v: Vec<f64> = passes.iter().map(f).collect();
    let (lo, hi) = (
        v.iter().copied().fold(f64::MAX, f64::min),
        v.iter().copied().fold(f64::MIN, f64::max),
    );
    let m = median(v);
    (m, format!("{m:.2} ({lo:.2}–{hi:.2})"))
}

/// `--zip64`: a real archive past 4 GiB, not a lowered threshold: a 4.5 GiB file and a
/// small one uploaded, the transfer downloaded as a ZIP to disk, then opened by `unzip -t`
/// and Python's `zipfile`, with the server's peak RSS while it streamed.
async fn zip64() {
    let scratch = tempfile::tempdir().expect("dir");
    let block = noise(64 * MIB as usize);
    let server = start_relais(&scratch.path().join("relais"), &[]).await;
    let big = 4 * GIB + GIB / 2;
    server.upload(big, 64 * MIB, &block, "film entier.mov").await;
    server.upload(3 * MIB, 3 * MIB, &block, "générique.wav").await;
    let transfer = server.transfer().await;
    let zip_path = scratch.path().join("transfer.zip");
    let mut out = tokio::io::BufWriter::new(tokio::fs::File::create(&zip_path).await.expect("zip file"));
    let t0 = Instant::now();
    let response = server.get(&format!("/api/v1/transfers/{transfer}/archive")).await;
    let announced = response.content_length().expect("length");
    let mut stream = response.bytes_stream();
    let mut written = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.expect("chunk");
        written += chunk.len() as u64;
        tokio::io::AsyncWriteExt::write_all(&mut out, &chunk)
            .await
            .expect("write");
    }
    tokio::io::AsyncWriteExt::flush(&mut out).await.expect("flush");
    let secs = t0.elapsed().as_secs_f64();
    let peak = server.proc.peak_rss_mib();
    drop(server);
    assert_eq!(written, announced, "Content-Length holds");
    let unzip = Command::new("unzip").arg("-tq").arg(&zip_path).output().expect("unzip");
    let python = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; \
             print(' '.join(f'{i.filename}={i.file_size}' for i in z.infolist()))",
        ])
        .arg(&zip_path)
        .output()
        .expect("python");
    println!("\n| ZIP64, real | value |\n|---|---|");
    println!("| archive bytes | {written} ({:.2} GiB) |", written as f64 / GIB as f64);
    println!("| streamed at | {:.0} MB/s |", written as f64 / 1e6 / secs);
    println!("| server peak RSS | {peak:.1} MiB |");
    println!("| unzip -t | {} |", String::from_utf8_lossy(&unzip.stdout).trim());
    println!(
        "| Python zipfile | {} |",
        if python.status.success() {
            String::from_utf8_lossy(&python.stdout).trim().to_owned()
        } else {
            format!("FAILED: {}", String::from_utf8_lossy(&python.stderr).trim())
        }
    );
    assert!(
        unzip.status.success() && python.status.success(),
        "standard tools open the archive"
    );
}

async fn run() {
    if std::env::args().any(|a| a == "--zip64") {
        return zip64().await;
    }
    if std::env::args().any(|a| a == "--during-transcode") {
        return during_transcode().await;
    }
    if std::env::args().any(|a| a == "--memory") {
        return memory_only().await;
    }
    let quick = std::env::args().any(|a| a == "--quick");
    let s3_only = std::env::args().any(|a| a == "--s3");
    let size = if quick { 256 * MIB } else { GIB };
    let runs = runs_arg();
    let block = noise(64 * MIB as usize);
    let scratch = tempfile::tempdir().expect("dir");
    let mut passes = Vec::new();
    for i in 0..runs {
        eprintln!("pass {} of {runs}", i + 1);
        passes.push(measure(scratch.path(), size, &block, s3_only).await);
    }
    // Ratios are taken within each pass (same minute, same machine), then summarised.
    println!(
        "\n{runs} passes, {} MiB per upload; median (min–max) over the passes\n",
        size / MIB
    );
    println!("| measurement | value | bar |\n|---|---|---|");
    let row = |what: &str, value: String, bar: &str| println!("| {what} | {value} | {bar} |");
    row("baseline PUT + SHA-256: MB/s", spread(&passes, |p| p.sink.0).1, "");
    row("baseline PUT + SHA-256: CPU-s/GiB", spread(&passes, |p| p.sink.1).1, "");
    if !s3_only {
        for (label, pick) in [("8 MiB", 0usize), ("64 MiB", 1)] {
            let get = move |p: &Pass| if pick == 0 { p.tus8 } else { p.tus64 };
            row(
                &format!("tus {label} PATCHes: MB/s"),
                spread(&passes, |p| get(p).0).1,
                "",
            );
            row(
                &format!("tus {label} PATCHes: CPU-s/GiB"),
                spread(&passes, |p| get(p).1).1,
                "",
            );
            row(
                &format!("tus {label}: CPU ÷ baseline CPU"),
                spread(&passes, |p| get(p).1 / p.sink.1).1,
                "≤ 1.3",
            );
            row(
                &format!("tus {label}: throughput ÷ baseline"),
                spread(&passes, |p| get(p).0 / p.sink.0).1,
                "≥ baseline minus hashing",
            );
        }
        row(
            "peak RSS, 16 × 64 MiB concurrent (MiB)",
            spread(&passes, |p| p.peak_rss).1,
            "< 64",
        );
        row("idle RSS (MiB)", spread(&passes, |p| p.idle_rss).1, "");
        row(
            "peak RSS after one 50 MiB upload (MiB)",
            spread(&passes, |p| p.small_upload_rss).1,
            "",
        );
        row(
            &format!("peak RSS after one {} MiB upload (MiB)", big_len(size) / MIB),
            spread(&passes, |p| p.big_upload_rss).1,
            "no more than after 50 MiB",
        );
        row(
            "ZIP ÷ same files one by one (throughput)",
            spread(&passes, |p| p.zip / p.singles).1,
            "≥ 0.8",
        );
        row("ZIP first byte (ms)", spread(&passes, |p| p.first_byte_ms).1, "< 100");
    }
    if passes.iter().all(|p| p.s3.is_some()) {
        let s3 = |p: &Pass| p.s3.unwrap_or_default();
        row(
            "S3: direct object_store put, MB/s",
            spread(&passes, |p| s3(p).direct.0).1,
            "",
        );
        row(
            "S3: direct object_store put, CPU-s/GiB (this process)",
            spread(&passes, |p| s3(p).direct.1).1,
            "",
        );
        row("S3: Relais tus, MB/s", spread(&passes, |p| s3(p).relais.0).1, "");
        row(
            "S3: Relais ÷ direct put",
            spread(&passes, |p| s3(p).relais.0 / s3(p).direct.0).1,
            "≥ 0.8",
        );
        row("S3: Relais CPU-s/GiB", spread(&passes, |p| s3(p).relais.1).1, "< 2");
        row(
            "S3: Relais CPU ÷ baseline CPU",
            spread(&passes, |p| s3(p).relais.1 / p.sink.1).1,
            "",
        );
    } else {
        println!("(s3s-fs not installed: S3 rows skipped; scripts/test.sh installs it)");
    }
}

async fn s3_pass(scratch: &Path, size: u64, block: &Bytes) -> Option<S3Figures> {
    Command::new("s3s-fs")
        .arg("--help")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    let port = port();
    let root: PathBuf = scratch.join(format!("s3-{port}"));
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

    // Baseline: object_store's own streaming multipart put, in this process.
    let store = relais_storage::open(&relais_storage::StorageConfig::S3(cfg.clone())).ok()?;
    let key = relais_storage::keys::file(uuid::Uuid::new_v4());
    let chunks: Vec<Result<Bytes, relais_storage::BlobError>> = (0..size / MIB)
        .map(|i| Ok(block.slice(((i % 64) * MIB) as usize..((i % 64 + 1) * MIB) as usize)))
        .collect();
    let (cpu0, t0) = (cpu_of("self"), Instant::now());
    store
        .put_stream(&key, futures_util::stream::iter(chunks).boxed())
        .await
        .ok()?;
    let direct = (
        size as f64 / 1e6 / t0.elapsed().as_secs_f64(),
        (cpu_of("self") - cpu0) / gib,
    );

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
    let relais = start_relais(&scratch.join(format!("relais-s3-{port}")), &env).await;
    let (cpu0, t0) = (relais.proc.cpu(), Instant::now());
    relais.upload(size, 64 * MIB, block, "s3-big").await;
    let (secs, cpu) = (t0.elapsed().as_secs_f64(), relais.proc.cpu() - cpu0);
    let relais_figures = (size as f64 / 1e6 / secs, cpu / gib);
    drop(relais);
    let _ = std::fs::remove_dir_all(&root);
    Some(S3Figures {
        direct,
        relais: relais_figures,
    })
}

/// A 4K HEVC film with PCM sound made by ffmpeg (kept between runs).
fn hevc_film(seconds: u32) -> PathBuf {
    let dir = std::env::temp_dir().join("relais-bench-video");
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(format!("4k-hevc-{seconds}s.mov"));
    if !path.exists() {
        eprintln!("making a {seconds} s 4K HEVC film…");
        let status = Command::new("ffmpeg")
            .args([
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=3840x2160:rate=30",
            ])
            .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t"])
            .arg(seconds.to_string())
            .args([
                "-c:v",
                "libx265",
                "-preset",
                "ultrafast",
                "-x265-params",
                "log-level=error",
            ])
            .args(["-tag:v", "hvc1", "-c:a", "pcm_s16le"])
            .arg(&path)
            .status()
            .expect("ffmpeg runs");
        assert!(status.success());
    }
    path
}

/// Uploads 1 GiB in 64 MiB PATCHes into a fresh server, idle or while it transcodes a
/// film it was just sent; MB/s of each, and whether the transcode was still running at
/// the end of the upload (else the figure would say nothing).
async fn during_transcode() {
    let runs: usize = std::env::args()
        .skip_while(|a| a != "--runs")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    let film = std::fs::read(hevc_film(60)).expect("film");
    let block = noise(64 * MIB as usize);
    let (mut idle, mut busy) = (Vec::new(), Vec::new());
    for i in 0..runs {
        eprintln!("pass {} of {runs}", i + 1);
        for transcoding in [false, true] {
            let dir = tempfile::tempdir().expect("dir");
            let relais = start_relais(dir.path(), &[]).await;
            if transcoding {
                let url = relais.create(film.len() as u64, "IMG_0042.MOV").await;
                let r = relais
                    .http
                    .patch(&url)
                    .bearer_auth(&relais.token)
                    .header("tus-resumable", "1.0.0")
                    .header("upload-offset", 0)
                    .header("content-type", "application/offset+octet-stream")
                    .body(film.clone())
                    .send()
                    .await
                    .expect("film");
                assert_eq!(r.status(), 204);
                // Until ffmpeg is at work on it.
                let transfer = relais.transfer().await;
                let until = Instant::now() + Duration::from_secs(60);
                loop {
                    let shown: serde_json::Value = relais
                        .get(&format!("/api/v1/transfers/{transfer}"))
                        .await
                        .json()
                        .await
                        .expect("json");
                    if shown["files"][0]["web_copy"]["state"] == "making" {
                        break;
                    }
                    assert!(Instant::now() < until, "the web copy never started: {shown}");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            }
            let start = Instant::now();
            relais.upload(GIB, 64 * MIB, &block, "big.bin").await;
            let mbps = GIB as f64 / 1e6 / start.elapsed().as_secs_f64();
            if transcoding {
                let transfer = relais.transfer().await;
                let shown: serde_json::Value = relais
                    .get(&format!("/api/v1/transfers/{transfer}"))
                    .await
                    .json()
                    .await
                    .expect("json");
                let film = shown["files"]
                    .as_array()
                    .expect("files")
                    .iter()
                    .find(|f| f["name"] == "IMG_0042.MOV")
                    .cloned()
                    .expect("film");
                assert_eq!(
                    film["web_copy"]["state"], "making",
                    "the transcode ran through the whole upload"
                );
                busy.push(mbps);
            } else {
                idle.push(mbps);
            }
        }
    }
    let (idle, busy) = (median(idle), median(busy));
    println!("\n{runs} passes, 1 GiB in 64 MiB PATCHes; medians");
    println!("| server | MB/s |\n|---|---|");
    println!("| idle | {idle:.0} |");
    println!("| making a 4K HEVC film's web copy | {busy:.0} |");
    println!(
        "\nDuring a transcode: {:.0} % of the idle figure (bar: ≥ 80 %).",
        busy / idle * 100.0
    );
}
