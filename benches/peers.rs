//! A single tus upload into Relais beside the two peers PRODUCT §5 names, in the same
//! pass, as the peers were first measured: release binaries, a 1 GiB file sent in 64 MiB
//! and 8 MiB PATCHes by a client that hands the file to the kernel with `sendfile(2)`, so
//! that the client costs the servers as little CPU as possible.
//!
//! - **rustus** (crates.io), installed by the bench with `cargo install` into
//!   `target/bench-peers/` the first time, file storage;
//! - **@tus/server** with `@tus/file-store` (npm), installed into the same directory;
//! - **sink + SHA-256**: a plain HTTP PUT written to a file and hashed, the floor of the
//!   work Relais does (it also fsyncs and records checkpoints; neither peer hashes nor
//!   fsyncs).
//!
//! Each round measures every server once per PATCH size on a fresh directory; rounds are
//! interleaved, figures are medians. Run: `cargo bench --bench peers` (`--runs N`,
//! `--size-mib N`; `--only relais` skips the peers and `--patch-mib N` measures one PATCH
//! size, for profiling).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{MIB, Proc, noise, port, relais_cmd, sink};

const RUSTUS_VERSION: &str = "0.5.10";
const TUS_SERVER_VERSION: &str = "2.4.5";
const TUS_FILE_STORE_VERSION: &str = "2.1.1";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--sink") {
        return sink(&args[i + 1], Path::new(&args[i + 2]));
    }
    let flag = |name: &str| args.iter().position(|a| a == name).and_then(|i| args.get(i + 1));
    let runs: usize = flag("--runs").and_then(|n| n.parse().ok()).unwrap_or(3);
    let size = flag("--size-mib").and_then(|n| n.parse::<u64>().ok()).unwrap_or(1024) * MIB;
    let only_relais = flag("--only").is_some_and(|s| s == "relais");
    let chunks: Vec<u64> = match flag("--patch-mib").and_then(|n| n.parse::<u64>().ok()) {
        Some(n) => vec![n * MIB],
        None => vec![64 * MIB, 8 * MIB],
    };

    let peers_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-peers");
    let kinds: Vec<Kind> = if only_relais {
        vec![Kind::Relais]
    } else {
        install_peers(&peers_dir);
        vec![Kind::Sink, Kind::Relais, Kind::Rustus, Kind::TusNode]
    };
    let scratch = tempfile::tempdir().expect("scratch");
    let file = scratch.path().join("upload.bin");
    write_noise(&file, size);

    // results[kind][chunk] = one (MB/s, CPU-s/GiB) per round
    let mut results = vec![vec![Vec::new(); chunks.len()]; kinds.len()];
    for round in 0..runs {
        eprintln!("round {} of {runs}", round + 1);
        for (c, &chunk) in chunks.iter().enumerate() {
            for (k, kind) in kinds.iter().enumerate() {
                // The sink takes one PUT, whatever the PATCH size: measured once per round.
                if *kind == Kind::Sink && c > 0 {
                    continue;
                }
                let dir = scratch.path().join(format!("{kind:?}-{round}-{c}"));
                std::fs::create_dir_all(&dir).expect("dir");
                let server = Server::start(*kind, &dir, &peers_dir);
                let figures = server.upload(&file, size, chunk);
                drop(server);
                let _ = std::fs::remove_dir_all(&dir);
                eprintln!(
                    "  {kind:?} {} MiB: {:.0} MB/s, {:.2} CPU-s/GiB",
                    chunk / MIB,
                    figures.0,
                    figures.1
                );
                results[k][c].push(figures);
            }
        }
    }

    println!(
        "\n{runs} rounds, {} MiB, sendfile client; median MB/s and server CPU-s/GiB\n",
        size / MIB
    );
    println!("| server | PATCH | MB/s | CPU-s/GiB |\n|---|---|---|---|");
    let med = |v: &[(f64, f64)], f: fn(&(f64, f64)) -> f64| median(v.iter().map(f).collect());
    for (k, kind) in kinds.iter().enumerate() {
        for (c, &chunk) in chunks.iter().enumerate() {
            let v = &results[k][c];
            if v.is_empty() {
                continue;
            }
            let patch = if *kind == Kind::Sink {
                "one PUT".to_owned()
            } else {
                format!("{} MiB", chunk / MIB)
            };
            println!(
                "| {} | {patch} | {:.0} | {:.2} |",
                kind.label(),
                med(v, |f| f.0),
                med(v, |f| f.1)
            );
        }
    }
    if only_relais {
        return;
    }
    // Ratios within each round, then their median.
    let ratio = |a: usize, ca: usize, b: usize, cb: usize, f: fn(&(f64, f64)) -> f64| {
        median(
            results[a][ca]
                .iter()
                .zip(&results[b][cb])
                .map(|(x, y)| f(x) / f(y))
                .collect(),
        )
    };
    println!("\n| ratio (median of the rounds' ratios) | 64 MiB | 8 MiB | bar |\n|---|---|---|---|");
    for (peer, name) in [(2, "rustus"), (3, "@tus/server")] {
        println!(
            "| Relais MB/s ÷ {name} | {:.2} | {:.2} | > 1 |",
            ratio(1, 0, peer, 0, |f| f.0),
            ratio(1, 1, peer, 1, |f| f.0)
        );
    }
    println!(
        "| Relais CPU ÷ sink + SHA-256 | {:.2} | {:.2} | ≤ 1.3 |",
        ratio(1, 0, 0, 0, |f| f.1),
        ratio(1, 1, 0, 0, |f| f.1)
    );
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn write_noise(path: &Path, size: u64) {
    let block = noise(64 * MIB as usize);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("noise file"));
    let mut left = size;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        out.write_all(&block[..n]).expect("write");
        left -= n as u64;
    }
    out.flush().expect("flush");
}

/// Installs the peers once, at pinned versions; later runs find them in place.
fn install_peers(dir: &Path) {
    let rustus = dir.join("bin/rustus");
    if !rustus.exists() {
        eprintln!("installing rustus {RUSTUS_VERSION} (a few minutes, once)");
        let status = Command::new("cargo")
            .args(["install", "--locked", "--quiet", "--version", RUSTUS_VERSION, "--root"])
            .arg(dir)
            .arg("rustus")
            .status()
            .expect("cargo install");
        assert!(status.success(), "cargo install rustus failed");
    }
    if !dir.join("node_modules/@tus/server").exists() {
        eprintln!("installing @tus/server {TUS_SERVER_VERSION} (npm)");
        let status = Command::new("npm")
            .args([
                "install",
                "--silent",
                "--no-save",
                "--prefix",
                &dir.display().to_string(),
                &format!("@tus/server@{TUS_SERVER_VERSION}"),
                &format!("@tus/file-store@{TUS_FILE_STORE_VERSION}"),
            ])
            .status()
            .expect("npm install");
        assert!(status.success(), "npm install @tus/server failed");
    }
    std::fs::write(dir.join("tus-node.cjs"), TUS_NODE_SERVER).expect("server script");
}

/// @tus/server on Node's own HTTP server, file storage, nothing else.
const TUS_NODE_SERVER: &str = r#"
const http = require('node:http');
const { Server } = require('@tus/server');
const { FileStore } = require('@tus/file-store');
const [port, dir] = process.argv.slice(2);
const tus = new Server({ path: '/files', datastore: new FileStore({ directory: dir }) });
http.createServer((req, res) => tus.handle(req, res)).listen(Number(port), '127.0.0.1');
"#;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sink,
    Relais,
    Rustus,
    TusNode,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Sink => "sink + SHA-256",
            Kind::Relais => "Relais",
            Kind::Rustus => "rustus",
            Kind::TusNode => "@tus/server",
        }
    }
}

struct Server {
    kind: Kind,
    proc: Proc,
    port: u16,
    /// Relais' API token.
    token: Option<String>,
}

impl Server {
    fn start(kind: Kind, dir: &Path, peers: &Path) -> Self {
        let port = port();
        let mut token = None;
        let child = match kind {
            Kind::Sink => Command::new(std::env::current_exe().expect("self"))
                .args(["--sink", &port.to_string()])
                .arg(dir)
                .spawn(),
            Kind::Relais => {
                let env = vec![
                    ("RELAIS_DATA_DIR".to_owned(), dir.display().to_string()),
                    ("RELAIS_LISTEN".to_owned(), format!("127.0.0.1:{port}")),
                    ("RELAIS_LOG_LEVEL".to_owned(), "warn".to_owned()),
                    ("RELAIS_UPLOADS__MAX_FILE_SIZE".to_owned(), "8GiB".to_owned()),
                ];
                let email = format!("peers-{port}@example.fr");
                let made = relais_cmd(&env, &["client", "create", "--email", &email, "--name", "Bench"])
                    .output()
                    .expect("client");
                assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
                let made = relais_cmd(&env, &["token", "create", "--email", &email])
                    .output()
                    .expect("token");
                token = Some(String::from_utf8_lossy(&made.stdout).trim().to_owned());
                relais_cmd(&env, &["serve"]).stdout(Stdio::null()).spawn()
            }
            Kind::Rustus => Command::new(peers.join("bin/rustus"))
                .args([
                    "--host",
                    "127.0.0.1",
                    "--port",
                    &port.to_string(),
                    "--log-level",
                    "ERROR",
                ])
                .arg("--data-dir")
                .arg(dir.join("data"))
                .arg("--info-dir")
                .arg(dir.join("info"))
                // Room for a 64 MiB PATCH (the default is a few hundred KiB).
                .args(["--max-body-size", &(128 * MIB).to_string()])
                .stdout(Stdio::null())
                .spawn(),
            Kind::TusNode => Command::new("node")
                .arg(peers.join("tus-node.cjs"))
                .arg(port.to_string())
                .arg(dir)
                .env("NODE_PATH", peers.join("node_modules"))
                .current_dir(peers)
                .spawn(),
        }
        .expect("server");
        for _ in 0..400 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        Self {
            kind,
            proc: Proc { child },
            port,
            token,
        }
    }

    fn auth(&self) -> Vec<(&'static str, String)> {
        let mut h = vec![("Tus-Resumable", "1.0.0".to_owned())];
        if let Some(t) = &self.token {
            h.push(("Authorization", format!("Bearer {t}")));
        }
        h
    }

    /// Uploads `file` in PATCHes of `chunk` (one PUT for the sink): (MB/s, CPU-s/GiB).
    fn upload(&self, file: &Path, size: u64, chunk: u64) -> (f64, f64) {
        let source = std::fs::File::open(file).expect("source");
        let (cpu0, t0) = (self.proc.cpu(), Instant::now());
        if self.kind == Kind::Sink {
            let (status, _) = request(self.port, "PUT", "/upload", &[], Some((&source, 0, size)));
            assert!((200..300).contains(&status), "sink answered {status}");
        } else {
            let path = self.create(size);
            let mut offset = 0;
            while offset < size {
                let n = chunk.min(size - offset);
                let mut headers = self.auth();
                headers.push(("Upload-Offset", offset.to_string()));
                headers.push(("Content-Type", "application/offset+octet-stream".to_owned()));
                let (status, _) = request(self.port, "PATCH", &path, &headers, Some((&source, offset, n)));
                assert_eq!(status, 204, "{:?} answered {status} to a PATCH", self.kind);
                offset += n;
            }
        }
        let secs = t0.elapsed().as_secs_f64();
        let gib = size as f64 / common::GIB as f64;
        (size as f64 / 1e6 / secs, (self.proc.cpu() - cpu0) / gib)
    }

    /// Creates the upload; answers its path.
    fn create(&self, size: u64) -> String {
        let mut headers = self.auth();
        headers.push(("Upload-Length", size.to_string()));
        // "filename upload.bin", base64.
        headers.push(("Upload-Metadata", "filename dXBsb2FkLmJpbg==".to_owned()));
        let path = if self.kind == Kind::Relais {
            "/api/v1/uploads"
        } else {
            "/files/"
        };
        let (status, location) = request(self.port, "POST", path, &headers, None);
        assert_eq!(status, 201, "{:?} answered {status} to the creation", self.kind);
        let location = location.expect("Location");
        // Absolute (the peers) or a path (Relais).
        match location.find("://") {
            Some(i) => location[i + 3..]
                .find('/')
                .map(|p| location[i + 3 + p..].to_owned())
                .expect("path"),
            None => location,
        }
    }
}

/// One HTTP/1.1 request on its own connection; the body, if any, is `len` bytes of
/// `file` from `offset`, handed to the kernel by `sendfile(2)`. Answers the status and
/// the `Location` header.
fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: Option<(&std::fs::File, u64, u64)>,
) -> (u16, Option<String>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.map_or(0, |b| b.2)));
    stream.write_all(head.as_bytes()).expect("head");
    if let Some((file, offset, len)) = body {
        let mut off = offset as libc::off_t;
        let end = offset + len;
        while (off as u64) < end {
            let left = (end - off as u64).min(1 << 30) as usize;
            // SAFETY: both descriptors are open for the whole call and `off` is a valid
            // pointer to an `off_t`.
            let sent = unsafe { libc::sendfile(stream.as_raw_fd(), file.as_raw_fd(), &mut off, left) };
            assert!(sent > 0, "sendfile: {}", std::io::Error::last_os_error());
        }
    }
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf).expect("answer");
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&answer);
    let status = text.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let location = text.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("location").then(|| value.trim().to_owned())
    });
    (status, location)
}
