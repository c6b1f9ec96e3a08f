//! How lists and pages scale with a big delivery and many clients (PRODUCT §5: "a delivery
//! of 10 000 files: its first page renders in under 50 ms of server time and weighs under
//! 300 KiB, the API lists it with a cursor, its ZIP's first byte in under 100 ms"; the
//! studio's dashboard and clients page under 50 ms with 1 000 clients).
//!
//! Run: `cargo bench --bench pages [-- --files N --clients M --quick --fresh --runs R
//! --requests K]` (`--quick`: 1 000 files and 100 clients; defaults 10 000 and 1 000, 3
//! passes of 20 requests). Without Node.js for the web assets:
//! `WEB_DIST=$PWD/$(ls -td target/debug/build/relais-*/out/web | head -1) cargo bench --bench pages`.
//! `BENCH_RELAIS_BIN=path` measures another build of `relais`.
//!
//! Seeding goes through the product's own paths, against the release binary: a studio
//! account (`relais admin create`, then a TOTP login like a person's), `M` clients through
//! the API, each with a draft delivery, one of them with a delivery of `N` small JPEGs sent
//! with tus (creation-with-upload), whose thumbnails the server's jobs make before
//! anything is measured (the API is polled until every file is ready), then published and
//! given a guest's view link; that client accepts their invitation from the outbox and
//! logs in. The data directory is kept in the temp folder, keyed by the counts, so the next
//! run only starts the server (`--fresh` rebuilds it).
//!
//! Each pass asks every target a few times to warm up, then `K` times, and keeps the
//! median time to the whole body (server time as a loopback client sees it); the table
//! gives the median of the passes' medians (min–max) and the body's size.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

const STUDIO_EMAIL: &str = "studio@bench.example";
const CLIENT_EMAIL: &str = "livraison@bench.example";
const PASSWORD: &str = "un mot de passe de banc d'essai";
const WARM_UP: usize = 3;
/// Requests in flight while seeding: enough to keep both cores busy.
const IN_FLIGHT: usize = 8;

struct Options {
    files: usize,
    clients: usize,
    fresh: bool,
    runs: usize,
    requests: usize,
}

impl Options {
    fn parse() -> Self {
        let args: Vec<String> = std::env::args().collect();
        let value = |name: &str| {
            args.iter().position(|a| a == name).map(|i| {
                args.get(i + 1)
                    .and_then(|v| v.parse().ok())
                    .expect("a number after the flag")
            })
        };
        let quick = args.iter().any(|a| a == "--quick");
        Options {
            files: value("--files").unwrap_or(if quick { 1_000 } else { 10_000 }),
            clients: value("--clients").unwrap_or(if quick { 100 } else { 1_000 }),
            fresh: args.iter().any(|a| a == "--fresh"),
            runs: value("--runs").unwrap_or(3),
            requests: value("--requests").unwrap_or(20),
        }
    }
}

/// What a seeded data directory holds, kept beside it so the next run can use it.
#[derive(Serialize, Deserialize)]
struct Seed {
    studio_token: String,
    totp_secret: String,
    /// The last TOTP step spent: a code is accepted once, so the next login needs a later one.
    totp_step: u64,
    client_id: String,
    transfer: String,
    link_token: String,
    seed_seconds: f64,
}

fn seed_file(dir: &Path) -> PathBuf {
    dir.join("bench-seed.json")
}

// ---- the server ----------------------------------------------------------------------

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn relais(dir: &Path, port: u16, args: &[&str]) -> Command {
    let bin = std::env::var_os("BENCH_RELAIS_BIN").unwrap_or_else(|| env!("CARGO_BIN_EXE_relais").into());
    let mut cmd = Command::new(bin);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RELAIS_DATA_DIR", dir)
        .env("RELAIS_LISTEN", format!("127.0.0.1:{port}"))
        .env("RELAIS_LOG_LEVEL", "warn")
        .args(args);
    cmd
}

/// Runs a `relais` subcommand; its first line of output.
fn relais_line(dir: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = relais(dir, 0, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("relais runs");
    if let Some(input) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().expect("stdin");
        writeln!(pipe, "{input}").expect("write stdin");
    }
    let out = child.wait_with_output().expect("relais ends");
    assert!(
        out.status.success(),
        "relais {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

async fn start(dir: &Path) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("port")
        .port();
    let child = relais(dir, port, &["serve"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("relais serve");
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..800 {
        if reqwest::get(format!("{}/healthz", server.base)).await.is_ok() {
            return server;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("relais did not come up on port {port}");
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// An API call as the studio's script; the answer's JSON, after checking its status.
async fn api(
    http: &reqwest::Client,
    server: &Server,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<serde_json::Value>,
    expect: u16,
) -> serde_json::Value {
    let mut req = http
        .request(method, format!("{}{path}", server.base))
        .bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let text = r.text().await.expect("body");
    assert_eq!(status, expect, "{path}: {text}");
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

/// `POST /api/v1/session`: the session cookie (`relais_session=…`).
async fn log_in(http: &reqwest::Client, server: &Server, body: serde_json::Value) -> Result<String, String> {
    let r = http
        .post(format!("{}/api/v1/session", server.base))
        .json(&body)
        .send()
        .await
        .expect("login");
    if r.status() != 201 {
        return Err(r.text().await.unwrap_or_default());
    }
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("relais_session="))
        .and_then(|v| v.split(';').next())
        .expect("session cookie")
        .to_owned();
    Ok(cookie)
}

/// The studio's login: the TOTP code of a step after the last one spent (one step of
/// drift is accepted, so the next step is usable at once; a run within the same 30 s
/// waits for the clock to reach a fresh one).
async fn studio_session(http: &reqwest::Client, server: &Server, seed: &mut Seed) -> String {
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs()
    };
    let step = (now() / 30 + 1).max(seed.totp_step + 1);
    while now() / 30 + 1 < step {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let code = relais::auth::totp::code_at(&seed.totp_secret, step * 30).expect("code");
    let body = serde_json::json!({ "email": STUDIO_EMAIL, "password": PASSWORD, "totp": code });
    let cookie = log_in(http, server, body).await.expect("studio login");
    seed.totp_step = step;
    cookie
}

// ---- seeding -------------------------------------------------------------------------

/// A small photo (480 × 320, a few KB), different for each index.
fn jpeg(i: usize) -> Vec<u8> {
    let (w, h) = (480u16, 320u16);
    let mut pixels = Vec::with_capacity(w as usize * h as usize * 3);
    let shift = (i * 37 % 256) as u32;
    for y in 0..h as u32 {
        for x in 0..w as u32 {
            pixels.extend_from_slice(&[
                ((x + shift) % 256) as u8,
                ((y * 2 + shift) % 256) as u8,
                (((x ^ y) + i as u32) % 256) as u8,
            ]);
        }
    }
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 80)
        .encode(&pixels, w, h, jpeg_encoder::ColorType::Rgb)
        .expect("jpeg");
    out
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// One file in one request (tus creation-with-upload).
async fn upload(http: &reqwest::Client, server: &Server, token: &str, transfer: &str, i: usize) {
    let body = jpeg(i);
    let len = body.len();
    let meta = format!(
        "filename {},filetype {},transfer {}",
        b64(&format!("IMG_{:05}.jpg", i + 1)),
        b64("image/jpeg"),
        b64(transfer)
    );
    let r = http
        .post(format!("{}/api/v1/uploads", server.base))
        .bearer_auth(token)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", len)
        .header("upload-metadata", meta)
        .header("content-type", "application/offset+octet-stream")
        .body(body)
        .send()
        .await
        .expect("upload");
    assert_eq!(r.status(), 201, "upload {i}");
    let offset = r.headers().get("upload-offset").and_then(|v| v.to_str().ok());
    assert_eq!(offset, Some(len.to_string().as_str()), "upload {i} whole");
}

/// Polls the delivery until every file went through the media pipeline; stops when
/// nothing moved for five minutes.
async fn wait_until_ready(http: &reqwest::Client, server: &Server, token: &str, transfer: &str, files: usize) {
    let (mut last_done, mut moved) = (usize::MAX, Instant::now());
    loop {
        let shown = api(
            http,
            server,
            token,
            reqwest::Method::GET,
            &format!("/api/v1/transfers/{transfer}"),
            None,
            200,
        )
        .await;
        let list = shown["files"].as_array().expect("files");
        let count = |s: &str| list.iter().filter(|f| f["status"] == s).count();
        let (ready, failed) = (count("ready"), count("failed"));
        let thumbs = list.iter().filter(|f| f["variants"]["thumb"].is_object()).count();
        if ready + failed != last_done {
            eprintln!("  {ready} ready, {failed} failed, {thumbs} with thumbnails, of {files}");
            (last_done, moved) = (ready + failed, Instant::now());
        }
        if list.len() == files && ready + failed == files {
            assert_eq!(failed, 0, "every photo processed");
            assert_eq!(thumbs, files, "every photo has its thumbnail");
            return;
        }
        assert!(moved.elapsed() < Duration::from_secs(300), "processing stalled");
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// The invitation's token from the outbox, once the mail job has written it.
async fn invitation(dir: &Path, email: &str) -> String {
    let until = Instant::now() + Duration::from_secs(120);
    loop {
        let found = std::fs::read_dir(dir.join("outbox"))
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .map(|m| m.replace("=\r\n", "").replace("=\n", ""))
            .find(|m| m.contains(email) && m.contains("/invitation/"));
        if let Some(mail) = found {
            let start = mail.find("/invitation/").expect("link") + "/invitation/".len();
            return mail[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect();
        }
        assert!(Instant::now() < until, "no invitation for {email} in the outbox");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn seed_data(dir: &Path, opts: &Options) -> Seed {
    let started = Instant::now();
    std::fs::create_dir_all(dir).expect("data dir");
    let uri = relais_line(
        dir,
        &["admin", "create", "--email", STUDIO_EMAIL, "--password-stdin"],
        Some(PASSWORD),
    );
    let totp_secret = url::Url::parse(&uri)
        .expect("otpauth URI")
        .query_pairs()
        .find(|(k, _)| k == "secret")
        .map(|(_, v)| v.into_owned())
        .expect("secret");
    let studio_token = relais_line(dir, &["token", "create", "--email", STUDIO_EMAIL], None);
    let server = start(dir).await;
    let http = http();
    let tok = studio_token.as_str();
    use reqwest::Method;
    let name = serde_json::json!({ "name": "Studio Lumière" });
    api(&http, &server, tok, Method::PATCH, "/api/v1/studio", Some(name), 200).await;

    // Clients, each with a draft delivery; the first one gets the big one.
    eprintln!("seeding {} clients…", opts.clients);
    let made: Vec<String> = futures_util::stream::iter(0..opts.clients)
        .map(|i| {
            let (http, server) = (&http, &server);
            async move {
                let email = if i == 0 {
                    CLIENT_EMAIL.to_owned()
                } else {
                    format!("client-{i:04}@bench.example")
                };
                let body = serde_json::json!({ "email": email, "name": format!("Famille {i:04}") });
                let user = api(http, server, tok, Method::POST, "/api/v1/clients", Some(body), 201).await;
                let id = user["id"].as_str().expect("id").to_owned();
                let title = if i == 0 {
                    "Photos du mariage"
                } else {
                    "Photos de la séance"
                };
                let body = serde_json::json!({ "title": title, "direction": "delivery", "client": id });
                let transfer = api(http, server, tok, Method::POST, "/api/v1/transfers", Some(body), 201).await;
                (id, transfer["id"].as_str().expect("id").to_owned())
            }
        })
        .buffered(IN_FLIGHT)
        .map(|(client, transfer)| format!("{client} {transfer}"))
        .collect()
        .await;
    let (client_id, transfer) = made[0].split_once(' ').expect("pair");
    let (client_id, transfer) = (client_id.to_owned(), transfer.to_owned());

    eprintln!("uploading {} photos…", opts.files);
    let t0 = Instant::now();
    futures_util::stream::iter(0..opts.files)
        .map(|i| upload(&http, &server, tok, &transfer, i))
        .buffer_unordered(IN_FLIGHT)
        .collect::<Vec<()>>()
        .await;
    eprintln!(
        "  uploaded in {:.0} s; waiting for the thumbnails…",
        t0.elapsed().as_secs_f64()
    );
    wait_until_ready(&http, &server, tok, &transfer, opts.files).await;

    let publish = serde_json::json!({ "notify": false });
    let path = format!("/api/v1/transfers/{transfer}/publication");
    api(&http, &server, tok, Method::PUT, &path, Some(publish), 200).await;
    let link = serde_json::json!({ "kind": "view", "label": "Invités", "permissions": ["view", "download"] });
    let path = format!("/api/v1/transfers/{transfer}/links");
    let link = api(&http, &server, tok, Method::POST, &path, Some(link), 201).await;
    let token = invitation(dir, CLIENT_EMAIL).await;
    let accept = serde_json::json!({ "token": token, "password": PASSWORD });
    let r = http
        .post(format!("{}/api/v1/invitations/accept", server.base))
        .json(&accept)
        .send()
        .await
        .expect("accept");
    assert!(r.status().is_success(), "invitation accepted: {}", r.status());
    let seed = Seed {
        studio_token,
        totp_secret,
        totp_step: 0,
        client_id,
        transfer,
        link_token: link["token"].as_str().expect("token").to_owned(),
        seed_seconds: started.elapsed().as_secs_f64(),
    };
    drop(server);
    seed
}

// ---- measuring -----------------------------------------------------------------------

#[derive(Clone, Copy)]
enum Who {
    Studio,
    Client,
    Guest,
    Script,
}

#[derive(Clone, Copy, PartialEq)]
enum Way {
    /// The whole body.
    Body,
    /// The response's headers, then the first chunk of its body, then hang up.
    FirstBytes,
}

struct Target {
    label: String,
    path: String,
    who: Who,
    way: Way,
}

struct Auth {
    studio: String,
    client: String,
    token: String,
}

/// One request: (ms to headers, ms to the end or the first chunk, body bytes, status).
async fn ask(http: &reqwest::Client, base: &str, auth: &Auth, t: &Target) -> (f64, f64, usize, u16) {
    let mut req = http.get(format!("{base}{}", t.path));
    req = match t.who {
        Who::Studio => req.header("cookie", &auth.studio),
        Who::Client => req.header("cookie", &auth.client),
        Who::Guest => req,
        Who::Script => req.bearer_auth(&auth.token),
    };
    let t0 = Instant::now();
    let mut r = req.send().await.expect("request");
    let headers = t0.elapsed().as_secs_f64() * 1e3;
    let status = r.status().as_u16();
    if t.way == Way::FirstBytes {
        // The first bytes of the archive itself (a stream may yield an empty frame first);
        // its announced length stands for its size.
        let announced = r.content_length().unwrap_or(0) as usize;
        while let Some(chunk) = r.chunk().await.expect("chunk") {
            if !chunk.is_empty() {
                assert!(chunk.starts_with(b"PK"), "a ZIP begins with a local header");
                break;
            }
        }
        return (headers, t0.elapsed().as_secs_f64() * 1e3, announced, status);
    }
    let body = r.bytes().await.expect("body");
    (headers, t0.elapsed().as_secs_f64() * 1e3, body.len(), status)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).expect("number"));
    v[v.len() / 2]
}

/// What one target gave in one pass: median ms to headers and to the body, bytes.
#[derive(Clone, Copy)]
struct Figure {
    headers_ms: f64,
    body_ms: f64,
    bytes: usize,
}

async fn measure(http: &reqwest::Client, base: &str, auth: &Auth, t: &Target, n: usize) -> Option<Figure> {
    for _ in 0..WARM_UP {
        let (_, _, _, status) = ask(http, base, auth, t).await;
        if status == 404 && t.path.contains("/files?") {
            return None; // not served yet
        }
        assert_eq!(status, 200, "{}: {status}", t.path);
    }
    let (mut heads, mut bodies, mut bytes) = (Vec::new(), Vec::new(), 0);
    for _ in 0..n {
        let (h, b, len, status) = ask(http, base, auth, t).await;
        assert_eq!(status, 200, "{}", t.path);
        heads.push(h);
        bodies.push(b);
        bytes = len;
    }
    Some(Figure {
        headers_ms: median(heads),
        body_ms: median(bodies),
        bytes,
    })
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

#[tokio::main]
async fn main() {
    let opts = Options::parse();
    let dir = std::env::temp_dir().join(format!(
        "relais-bench-pages-{}-files-{}-clients",
        opts.files, opts.clients
    ));
    let seeded = std::fs::read(seed_file(&dir))
        .ok()
        .and_then(|raw| serde_json::from_slice::<Seed>(&raw).ok());
    let mut seed = match seeded {
        Some(seed) if !opts.fresh => {
            eprintln!("reusing {} (--fresh rebuilds it)", dir.display());
            seed
        }
        _ => {
            let _ = std::fs::remove_dir_all(&dir);
            eprintln!("seeding {}", dir.display());
            seed_data(&dir, &opts).await
        }
    };
    let server = start(&dir).await;
    let http = http();
    let client_login = serde_json::json!({ "email": CLIENT_EMAIL, "password": PASSWORD });
    let auth = Auth {
        studio: studio_session(&http, &server, &mut seed).await,
        client: log_in(&http, &server, client_login).await.expect("client login"),
        token: seed.studio_token.clone(),
    };
    std::fs::write(seed_file(&dir), serde_json::to_vec_pretty(&seed).expect("json")).expect("seed file");

    let (n, c, id) = (opts.files, opts.clients, &seed.transfer);
    let target = |label: String, path: String, who: Who, way: Way| Target { label, path, who, way };
    let targets = vec![
        target(
            format!("client's delivery page, {n} files (HTML)"),
            format!("/deliveries/{id}"),
            Who::Client,
            Way::Body,
        ),
        target(
            format!("guest's gallery through a view link, {n} files (HTML)"),
            format!("/l/{}", seed.link_token),
            Who::Guest,
            Way::Body,
        ),
        target(
            format!("studio's page of the transfer, {n} files (HTML)"),
            format!("/studio/transfers/{id}"),
            Who::Studio,
            Way::Body,
        ),
        target(
            format!("`GET /api/v1/transfers/{{id}}`, {n} files (JSON)"),
            format!("/api/v1/transfers/{id}"),
            Who::Script,
            Way::Body,
        ),
        target(
            "`GET /api/v1/transfers/{id}/files?limit=200` (JSON)".into(),
            format!("/api/v1/transfers/{id}/files?limit=200"),
            Who::Script,
            Way::Body,
        ),
        target(
            format!("ZIP of {n} files: headers"),
            format!("/api/v1/transfers/{id}/archive"),
            Who::Script,
            Way::FirstBytes,
        ),
        target(
            format!("studio's dashboard, {c} clients (HTML)"),
            "/studio".into(),
            Who::Studio,
            Way::Body,
        ),
        target(
            format!("studio's clients page, {c} clients (HTML)"),
            "/studio/clients".into(),
            Who::Studio,
            Way::Body,
        ),
        target(
            format!("`GET /api/v1/clients`, {c} clients (JSON)"),
            "/api/v1/clients".into(),
            Who::Script,
            Way::Body,
        ),
        target(
            format!("`GET /api/v1/transfers`, {c} transfers (JSON)"),
            "/api/v1/transfers".into(),
            Who::Script,
            Way::Body,
        ),
    ];
    let load_before = loadavg();
    let mut passes: Vec<Vec<Option<Figure>>> = Vec::new();
    for pass in 0..opts.runs {
        eprintln!("pass {} of {}", pass + 1, opts.runs);
        let mut figures = Vec::new();
        for t in &targets {
            figures.push(measure(&http, &server.base, &auth, t, opts.requests).await);
        }
        passes.push(figures);
    }
    let load_after = loadavg();
    drop(server);

    let version = relais_line(&dir, &["--version"], None);
    let passes_word = if opts.runs == 1 { "pass" } else { "passes" };
    println!(
        "\n{} — {version}; {} {passes_word} × {} requests (after {WARM_UP} to warm up), loopback; load average \
         {load_before} before, {load_after} after",
        jiff::Timestamp::now().strftime("%Y-%m-%d %H:%M UTC"),
        opts.runs,
        opts.requests,
    );
    println!(
        "Seeded in {:.0} s ({n} photos, {c} clients): {}\n",
        seed.seed_seconds,
        dir.display()
    );
    println!(
        "| target | ms (median of {} {passes_word}) | KiB |\n|---|---|---|",
        opts.runs
    );
    for (i, t) in targets.iter().enumerate() {
        let figures: Option<Vec<Figure>> = passes.iter().map(|p| p[i]).collect();
        let Some(figures) = figures else {
            println!("| {} | n/a | n/a |", t.label);
            continue;
        };
        let spread = |pick: fn(&Figure) -> f64| {
            let v: Vec<f64> = figures.iter().map(pick).collect();
            let (lo, hi) = v
                .iter()
                .fold((f64::MAX, f64::MIN), |(lo, hi), x| (lo.min(*x), hi.max(*x)));
            format!("{:.1} ({lo:.1}–{hi:.1})", median(v))
        };
        let kib = figures[0].bytes as f64 / 1024.0;
        match t.way {
            Way::Body => println!("| {} | {} | {kib:.0} |", t.label, spread(|f| f.body_ms)),
            Way::FirstBytes => {
                println!("| {} | {} | {kib:.0} (announced) |", t.label, spread(|f| f.headers_ms));
                println!("| ZIP of {n} files: first body chunk | {} | |", spread(|f| f.body_ms));
            }
        }
    }
    println!(
        "\nBars (PRODUCT §5): a delivery's first page under 50 ms and 300 KiB; the ZIP's first byte under \
         100 ms; the dashboard and the clients page under 50 ms with 1 000 clients."
    );
    println!(
        "\nCommand: `cargo bench --bench pages -- --files {n} --clients {c} --runs {} --requests {}`",
        opts.runs, opts.requests
    );
}
