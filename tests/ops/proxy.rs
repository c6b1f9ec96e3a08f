//! The README's reverse-proxy configurations, run by the real nginx and Caddy in front of
//! the real binary: big uploads and downloads stream through without touching the proxy's
//! disk, the client's address reaches Relais, and another site on the same nginx keeps
//! its own settings.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use base64::Engine;
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use crate::support::{Relais, Running, free_port, readme_block, run, until_ok};

const GIB: u64 = 1 << 30;
const METRICS_TOKEN: &str = "proxy-test-metrics-token-0123";

/// Chunk `index` of a big upload: a fixed pattern (made once) stamped with its index, so
/// that no two chunks are alike and making one costs a copy.
fn chunk(index: u64, len: usize) -> Vec<u8> {
    static PATTERN: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    let pattern = PATTERN.get_or_init(|| (0..8u64 << 20).map(|i| (i * 31 % 251) as u8).collect());
    let mut bytes = pattern[..len].to_vec();
    bytes[..8].copy_from_slice(&index.to_le_bytes());
    bytes
}

/// The files under `dir`, at any depth.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(files_under(&path));
            } else {
                found.push(path);
            }
        }
    }
    found
}

/// nginx with the README's `location` block for Relais in one `server`, and a second
/// site in another, its own prefix holding every temporary directory.
struct Nginx {
    port: u16,
    prefix: tempfile::TempDir,
    _running: Running,
}

impl Nginx {
    async fn start(relais_port: u16) -> Self {
        let prefix = tempfile::tempdir().expect("prefix");
        let p = prefix.path();
        for d in ["logs", "body", "proxy", "other"] {
            std::fs::create_dir_all(p.join(d)).expect("dir");
        }
        std::fs::write(p.join("other/index.html"), "the other site\n").expect("index");
        // Workers of a root master run as `nobody`: let them into the prefix.
        run(Command::new("chmod").args(["-R", "a+rwX"]).arg(p));
        let port = free_port();
        let location = readme_block("nginx", "proxy_request_buffering off")
            .replace("127.0.0.1:8080", &format!("127.0.0.1:{relais_port}"));
        let conf = format!(
            "worker_processes 1;\n\
             error_log {p}/logs/error.log;\n\
             pid {p}/nginx.pid;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n\
             access_log {p}/logs/access.log;\n\
             client_body_temp_path {p}/body;\n\
             proxy_temp_path {p}/proxy;\n\
             fastcgi_temp_path {p}/logs; uwsgi_temp_path {p}/logs; scgi_temp_path {p}/logs;\n\
             # Another site on the same server, with nginx's defaults (1 MB bodies).\n\
             server {{ listen 127.0.0.1:{port}; server_name other.test; root {p}/other; }}\n\
             server {{ listen 127.0.0.1:{port}; server_name transfert.test;\n{location}\n}}\n\
             }}\n",
            p = p.display()
        );
        std::fs::write(p.join("nginx.conf"), conf).expect("conf");
        run(Command::new("nginx")
            .args(["-t", "-p"])
            .arg(p)
            .arg("-c")
            .arg(p.join("nginx.conf")));
        let mut cmd = Command::new("nginx");
        cmd.arg("-p")
            .arg(p)
            .arg("-c")
            .arg(p.join("nginx.conf"))
            .args(["-g", "daemon off;"]);
        let mut running = Running::start(cmd, &p.join("logs/stdout.log"));
        until_ok(&format!("http://127.0.0.1:{port}/index.html"), &mut running).await;
        Self {
            port,
            prefix,
            _running: running,
        }
    }

    /// The proxy's temporary files: those in its directories, and those it holds open
    /// after unlinking them at once (nginx does, so a listing alone would see nothing).
    fn temp_files(&self) -> Vec<PathBuf> {
        let dirs = [self.prefix.path().join("body"), self.prefix.path().join("proxy")];
        let mut all: Vec<PathBuf> = dirs.iter().flat_map(|d| files_under(d)).collect();
        for process in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            for fd in std::fs::read_dir(process.path().join("fd"))
                .into_iter()
                .flatten()
                .flatten()
            {
                if let Ok(target) = std::fs::read_link(fd.path())
                    && dirs.iter().any(|d| target.starts_with(d))
                {
                    all.push(target);
                }
            }
        }
        all
    }
}

/// The request body bytes Relais has received so far (its `/metrics`).
async fn received(port: u16) -> f64 {
    let metrics = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("relais_http_received_bytes_total "))
        .and_then(|v| v.trim().parse().ok())
        .expect("received bytes")
}

/// An HTTP client that names `host` and leaves from `local` (another loopback address
/// plays another visitor).
fn client(host: &str, local: [u8; 4]) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("host", host.parse().expect("host"));
    reqwest::Client::builder()
        .default_headers(headers)
        .local_address(std::net::IpAddr::from(local))
        .timeout(Duration::from_secs(600))
        .build()
        .expect("client")
}

// Several threads: the upload's body is made on one while another looks at the proxy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_nginx_a_gigabyte_streams_both_ways_addresses_arrive_and_the_other_site_is_untouched() {
    let relais = Relais::start(&[
        ("RELAIS_BEHIND_PROXY", "true"),
        ("RELAIS_METRICS__TOKEN", METRICS_TOKEN),
    ])
    .await;
    let token = relais.client_token("claire@example.fr");
    let nginx = Nginx::start(relais.port).await;
    let base = format!("http://127.0.0.1:{}", nginx.port);
    let http = client("transfert.test", [127, 0, 0, 1]);

    // 1 GiB in one PATCH, made as it is sent; nginx's body directory stays empty all along.
    let created = http
        .post(format!("{base}/api/v1/uploads"))
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", GIB.to_string())
        .header(
            "upload-metadata",
            format!(
                "filename {}",
                base64::engine::general_purpose::STANDARD.encode("film.mov")
            ),
        )
        .send()
        .await
        .expect("created");
    assert_eq!(created.status(), 201);
    let location = created.headers()["location"].to_str().expect("location").to_owned();
    let path = location.trim_start_matches(&base).to_owned();
    const CHUNK: usize = 4 << 20;
    let hasher = std::sync::Arc::new(std::sync::Mutex::new(Sha256::new()));
    let hashing = hasher.clone();
    let body = futures_util::stream::iter(0..GIB / CHUNK as u64).map(move |i| {
        let bytes = chunk(i, CHUNK);
        hashing.lock().expect("hasher").update(&bytes);
        Ok::<_, std::io::Error>(bytes)
    });
    let patch = http
        .patch(format!("{base}{path}"))
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-offset", "0")
        .header("content-type", "application/offset+octet-stream")
        .header("content-length", GIB.to_string())
        .body(reqwest::Body::wrap_stream(body))
        .send();
    let before = received(relais.port).await;
    let patch = tokio::spawn(patch);
    // Looks that saw the upload half-way (Relais had part of it): streaming, not spooled.
    let mut looked = 0;
    while !patch.is_finished() {
        assert_eq!(nginx.temp_files(), Vec::<PathBuf>::new(), "nginx spooled the upload");
        // How much Relais has received of it so far, from its own metrics (a HEAD would
        // take the upload over, as a resuming client does).
        let offset = received(relais.port).await - before;
        if offset > 0.0 && offset < GIB as f64 {
            looked += 1;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let answer = patch.await.expect("joined").expect("sent");
    assert_eq!(answer.status(), 204, "{}", relais.server.log());
    assert!(looked > 0, "the upload was watched half-way");
    assert_eq!(answer.headers()["upload-offset"], GIB.to_string().as_str());
    let sha: String = hasher
        .lock()
        .expect("hasher")
        .clone()
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();

    let files: serde_json::Value = http
        .get(format!("{base}/api/v1/transfers"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("transfers")
        .json()
        .await
        .expect("json");
    let transfer = files[0]["id"].as_str().expect("transfer").to_owned();
    let listed: serde_json::Value = http
        .get(format!("{base}/api/v1/transfers/{transfer}"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("transfer")
        .json()
        .await
        .expect("json");
    let file = &listed["files"][0];
    assert_eq!(file["sha256"], sha.as_str(), "{listed}");
    let file_id = file["id"].as_str().expect("id");

    // A range, and the ZIP, stream back; nginx's proxy directory stays empty.
    let ranged = http
        .get(format!("{base}/api/v1/files/{file_id}/content"))
        .bearer_auth(&token)
        .header("range", "bytes=1048576-1048675")
        .send()
        .await
        .expect("range");
    assert_eq!(ranged.status(), 206);
    let want = &chunk(0, CHUNK)[1 << 20..(1 << 20) + 100];
    assert_eq!(want.len(), 100);
    assert_eq!(&ranged.bytes().await.expect("bytes")[..], want);
    let zip = http
        .get(format!("{base}/api/v1/transfers/{transfer}/archive"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("zip");
    assert_eq!(zip.status(), 200);
    let announced: u64 = zip.headers()["content-length"]
        .to_str()
        .expect("len")
        .parse()
        .expect("number");
    let mut stream = zip.bytes_stream();
    let (mut got, mut reads) = (0u64, 0u64);
    while let Some(part) = stream.next().await {
        got += part.expect("part").len() as u64;
        reads += 1;
        if reads == 64 {
            // A visitor on a slow line: a buffering proxy would now spill to its disk.
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        if reads % 64 == 0 {
            assert_eq!(nginx.temp_files(), Vec::<PathBuf>::new(), "nginx spooled the ZIP");
        }
    }
    assert_eq!(got, announced);
    assert!(got > GIB);

    // behind_proxy: the address nginx saw reaches Relais. Twenty failed logins from
    // 127.0.0.2 exhaust that address' allowance; 127.0.0.3, through the same nginx, is
    // still heard (had Relais used nginx's own address, both would be refused).
    let login = |from: [u8; 4]| {
        let http = client("transfert.test", from);
        let url = format!("{base}/api/v1/session");
        async move {
            http.post(url)
                .json(&serde_json::json!({"email": "claire@example.fr", "password": "not the password"}))
                .send()
                .await
                .expect("login")
                .status()
        }
    };
    let mut refused = false;
    for _ in 0..40 {
        if login([127, 0, 0, 2]).await == 429 {
            refused = true;
            break;
        }
    }
    assert!(refused, "127.0.0.2 is throttled");
    assert_eq!(login([127, 0, 0, 3]).await, 401, "another visitor is not");
    assert!(
        !relais.server.log().contains("X-Forwarded-For"),
        "no warning of an unannounced proxy:\n{}",
        relais.server.log()
    );

    // The other site on the same nginx: still served, with its own 1 MB body limit.
    let other = client("other.test", [127, 0, 0, 1]);
    let page = other.get(format!("{base}/index.html")).send().await.expect("other");
    assert_eq!(page.text().await.expect("text"), "the other site\n");
    let big = other
        .post(format!("{base}/index.html"))
        .body(vec![0u8; 2 << 20])
        .send()
        .await
        .expect("big post");
    assert_eq!(
        big.status(),
        413,
        "Relais' unlimited bodies stay in its own server block"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn through_caddy_an_upload_and_a_download_stream_and_the_address_arrives() {
    let relais = Relais::start(&[("RELAIS_BEHIND_PROXY", "true")]).await;
    let token = relais.client_token("paul@example.fr");
    let dir = tempfile::tempdir().expect("caddy dir");
    let port = free_port();
    // The README's site block, with a local http:// address instead of the public name
    // (which would make Caddy fetch a certificate).
    let site = readme_block("caddyfile", "reverse_proxy 127.0.0.1:8080")
        .replace("transfert.studio-lumiere.fr", &format!("http://127.0.0.1:{port}"))
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{}", relais.port));
    let conf = format!(
        "{{\n  admin off\n  auto_https off\n  storage file_system {}\n}}\n{site}",
        dir.path().display()
    );
    std::fs::write(dir.path().join("Caddyfile"), conf).expect("Caddyfile");
    let mut cmd = Command::new("caddy");
    cmd.args(["run", "--adapter", "caddyfile", "--config"])
        .arg(dir.path().join("Caddyfile"))
        .env("HOME", dir.path())
        .env("XDG_DATA_HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path());
    let mut caddy = Running::start(cmd, &dir.path().join("caddy.log"));
    let base = format!("http://127.0.0.1:{port}");
    until_ok(&format!("{base}/healthz"), &mut caddy).await;

    let http = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .expect("client");
    let len: u64 = 256 << 20;
    let created = http
        .post(format!("{base}/api/v1/uploads"))
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", len.to_string())
        .header(
            "upload-metadata",
            format!(
                "filename {}",
                base64::engine::general_purpose::STANDARD.encode("clip.mov")
            ),
        )
        .send()
        .await
        .expect("created");
    assert_eq!(created.status(), 201, "{}", caddy.log());
    let location = created.headers()["location"].to_str().expect("location").to_owned();
    let path = location
        .split_once("/api/")
        .map(|(_, p)| format!("/api/{p}"))
        .expect("path");
    let body = futures_util::stream::iter(0..len / (4 << 20)).map(|i| Ok::<_, std::io::Error>(chunk(i, 4 << 20)));
    let answer = http
        .patch(format!("{base}{path}"))
        .bearer_auth(&token)
        .header("tus-resumable", "1.0.0")
        .header("upload-offset", "0")
        .header("content-type", "application/offset+octet-stream")
        .header("content-length", len.to_string())
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
        .expect("patch");
    assert_eq!(answer.status(), 204);
    let transfers: serde_json::Value = http
        .get(format!("{base}/api/v1/transfers"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("transfers")
        .json()
        .await
        .expect("json");
    let transfer = transfers[0]["id"].as_str().expect("id");
    let zip = http
        .get(format!("{base}/api/v1/transfers/{transfer}/archive"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("zip");
    assert_eq!(zip.status(), 200);
    let announced: u64 = zip.headers()["content-length"]
        .to_str()
        .expect("len")
        .parse()
        .expect("number");
    assert_eq!(zip.bytes().await.expect("zip body").len() as u64, announced);

    // Caddy sets X-Forwarded-For to the visitor's address: 127.0.0.2 gets throttled,
    // 127.0.0.3 does not.
    let login = |from: [u8; 4]| {
        let http = reqwest::Client::builder()
            .local_address(std::net::IpAddr::from(from))
            .build()
            .expect("client");
        let url = format!("{base}/api/v1/session");
        async move {
            http.post(url)
                .json(&serde_json::json!({"email": "paul@example.fr", "password": "nope nope"}))
                .send()
                .await
                .expect("login")
                .status()
        }
    };
    let mut refused = false;
    for _ in 0..40 {
        if login([127, 0, 0, 2]).await == 429 {
            refused = true;
            break;
        }
    }
    assert!(refused, "127.0.0.2 is throttled");
    assert_eq!(login([127, 0, 0, 3]).await, 401);
    drop(relais);
}
