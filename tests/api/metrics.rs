//! `GET /metrics`: off unless configured, behind its token or on its own listener, and
//! read by an independent parser (Python's `prometheus_client`, OpenMetrics).

use reqwest::Method;
use serde_json::Value;

use crate::helpers::tus::{Tus, meta, pattern};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};

const TOKEN: &str = "scrape-token-0123456789abcdef";

/// The text parsed by prometheus_client's OpenMetrics parser (which refuses malformed
/// input): every sample as `[name, labels, value]`, and each family's type.
fn parsed(text: &str) -> (Samples, serde_json::Map<String, Value>) {
    let python = std::env::var("TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("metrics.txt");
    std::fs::write(&path, text).expect("written");
    let out = std::process::Command::new(python)
        .args([
            "-c",
            "import sys, json\n\
             from prometheus_client.openmetrics.parser import text_string_to_metric_families\n\
             samples, types = [], {}\n\
             for f in text_string_to_metric_families(open(sys.argv[1]).read()):\n\
             \x20   types[f.name] = f.type\n\
             \x20   samples += [[s.name, s.labels, s.value] for s in f.samples]\n\
             print(json.dumps({'samples': samples, 'types': types}))",
            path.to_str().expect("utf-8"),
        ])
        .output()
        .expect("python runs (scripts/test.sh installs prometheus_client)");
    assert!(out.status.success(), "{}\n{text}", String::from_utf8_lossy(&out.stderr));
    let parsed: Value = serde_json::from_slice(&out.stdout).expect("json");
    let samples = parsed["samples"]
        .as_array()
        .expect("samples")
        .iter()
        .map(|s| {
            (
                s[0].as_str().expect("name").to_owned(),
                s[1].as_object().expect("labels").clone(),
                s[2].as_f64().expect("value"),
            )
        })
        .collect();
    (samples, parsed["types"].as_object().expect("types").clone())
}

type Samples = Vec<(String, serde_json::Map<String, Value>, f64)>;

/// The value of the sample `name` whose labels include `labels`.
fn value(samples: &Samples, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|(n, l, _)| n == name && labels.iter().all(|(k, v)| l.get(*k).and_then(Value::as_str) == Some(v)))
        .map(|(_, _, v)| *v)
}

async fn scrape(app: &TestApp) -> (Samples, serde_json::Map<String, Value>) {
    let answer = reqwest::Client::new()
        .get(app.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("scraped");
    assert_eq!(answer.status(), 200);
    assert!(
        answer.headers()["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("application/openmetrics-text; version=1.0.0")
    );
    parsed(&answer.text().await.expect("text"))
}

#[tokio::test]
async fn metrics_are_nowhere_unless_configured_and_only_for_the_token() {
    let app = spawn_app().await;
    let off = reqwest::get(app.url("/metrics")).await.expect("asked");
    assert_eq!(off.status(), 404, "no token, no listener: no metrics");

    let app = spawn_app_with(|cfg| cfg.metrics.token = Some(TOKEN.to_owned().into())).await;
    let http = reqwest::Client::new();
    for auth in [None, Some("Bearer wrong"), Some("Bearer "), Some(TOKEN)] {
        let mut request = http.get(app.url("/metrics"));
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        let answer = request.send().await.expect("asked");
        assert_eq!(answer.status(), 401, "{auth:?}");
        assert!(!answer.text().await.expect("text").contains("relais_"));
    }
    let (samples, _) = scrape(&app).await;
    assert_eq!(
        value(&samples, "relais_build_info", &[("version", env!("CARGO_PKG_VERSION"))]),
        Some(1.0)
    );
}

#[tokio::test]
async fn a_separate_listener_serves_metrics_and_nothing_else() {
    let app = spawn_app_with(|cfg| cfg.metrics.listen = Some("127.0.0.1:0".parse().expect("addr"))).await;
    let base = app.metrics_base.clone().expect("a metrics listener");
    let scraped = reqwest::get(format!("{base}/metrics")).await.expect("scraped");
    assert_eq!(scraped.status(), 200);
    let (samples, _) = parsed(&scraped.text().await.expect("text"));
    assert!(value(&samples, "relais_schema_version", &[]).is_some_and(|v| v > 0.0));
    for path in ["/api/v1/session", "/", "/healthz"] {
        let answer = reqwest::get(format!("{base}{path}")).await.expect("asked");
        assert_eq!(answer.status(), 404, "{path} is not served on the metrics listener");
    }
    let main = reqwest::get(app.url("/metrics")).await.expect("asked");
    assert_eq!(main.status(), 404, "not on the main address without a token");
}

#[tokio::test]
async fn a_scrape_counts_requests_bytes_uploads_storage_queues_and_backups() {
    let backups = tempfile::tempdir().expect("backups");
    let target = relais::config::BackupTarget::Dir(backups.path().to_path_buf());
    let app = spawn_app_with(move |cfg| {
        cfg.metrics.token = Some(TOKEN.to_owned().into());
        cfg.backup.target = Some(target);
        cfg.backup.at = (0, 0);
    })
    .await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    let (before, _) = scrape(&app).await;
    let received_before = value(&before, "relais_http_received_bytes_total", &[]).expect("received");
    let sent_before = value(&before, "relais_http_sent_bytes_total", &[]).expect("sent");

    // Three PATCHes of 1 MiB, then the file downloaded whole.
    let data = pattern(3 << 20, 7);
    let upload = anne
        .create(data.len() as u64, &meta(&[("filename", "valse.flac")]))
        .await;
    anne.send_all(&upload, &data, 1 << 20).await;
    let file = anne.all_files().await[0]["id"].as_str().expect("id").to_owned();
    let download = anne
        .request(Method::GET, &format!("/api/v1/files/{file}/content"))
        .send()
        .await
        .expect("get");
    assert_eq!(download.bytes().await.expect("body").len(), data.len());
    let missing = reqwest::get(app.url("/api/v1/files/nope/content"))
        .await
        .expect("asked");
    assert_eq!(missing.status(), 401);
    // A client invited: one email waits in the outbox (jobs are stepped by hand here).
    studio
        .call(
            Method::POST,
            "/api/v1/clients",
            Some(serde_json::json!({"email": "paul@example.fr", "name": "Paul"})),
        )
        .await;

    let (after, types) = scrape(&app).await;
    assert_eq!(types["relais_http_requests"], "counter");
    assert_eq!(types["relais_http_request_duration_seconds"], "histogram");
    assert_eq!(types["relais_uploads_in_progress"], "gauge");
    assert_eq!(types["relais_storage_operations"], "counter");
    let patches = value(
        &after,
        "relais_http_requests_total",
        &[
            ("route", "/api/v1/uploads/{id}"),
            ("method", "PATCH"),
            ("status", "204"),
        ],
    );
    assert_eq!(patches, Some(3.0));
    assert!(
        after
            .iter()
            .all(|(_, l, _)| !l.get("route").and_then(Value::as_str).unwrap_or("").contains(&file)),
        "routes are patterns, never ids"
    );
    assert_eq!(
        value(&after, "relais_upload_patch_duration_seconds_count", &[]),
        Some(3.0)
    );
    assert_eq!(value(&after, "relais_uploads_in_progress", &[]), Some(0.0));
    let received = value(&after, "relais_http_received_bytes_total", &[]).expect("received") - received_before;
    let sent = value(&after, "relais_http_sent_bytes_total", &[]).expect("sent") - sent_before;
    assert!(received >= data.len() as f64, "received {received}");
    assert!(sent >= data.len() as f64, "sent {sent}");
    assert_eq!(
        value(
            &after,
            "relais_http_request_duration_seconds_count",
            &[("route", "/api/v1/files/{id}/content"), ("method", "GET")]
        ),
        Some(2.0)
    );
    let backend = app.state.blobs.backend();
    let stored = after
        .iter()
        .filter(|(n, l, _)| n == "relais_storage_operations_total" && l["backend"] == backend)
        .map(|(_, _, v)| v)
        .sum::<f64>();
    assert!(stored >= 2.0, "the upload was stored and read: {stored}");
    assert_eq!(
        value(&after, "relais_jobs", &[("kind", "send_email"), ("state", "waiting")]),
        Some(1.0)
    );
    assert_eq!(value(&after, "relais_outbox_messages", &[]), Some(1.0));
    assert!(
        value(
            &after,
            "relais_jobs_oldest_waiting_age_seconds",
            &[("kind", "send_email")]
        )
        .is_some()
    );
    assert!(value(&after, "relais_db_pool_max_connections", &[]).is_some_and(|v| v >= 1.0));
    assert_eq!(
        value(&after, "relais_backup_last_success_timestamp_seconds", &[]),
        Some(0.0)
    );

    // The invitation leaves, a backup runs: the queue empties and the backup shows.
    relais::backup::schedule::tick(&app.state).await.expect("tick");
    app.run_jobs().await;
    let (later, _) = scrape(&app).await;
    assert_eq!(
        value(&later, "relais_jobs", &[("kind", "send_email"), ("state", "waiting")]),
        None
    );
    assert_eq!(value(&later, "relais_outbox_messages", &[]), Some(0.0));
    let backed_up = value(&later, "relais_backup_last_success_timestamp_seconds", &[]).expect("backup");
    let now = app.clock().now().as_millis() as f64 / 1000.0;
    assert!((now - backed_up).abs() < 600.0, "{backed_up} vs {now}");
}

#[tokio::test]
async fn an_upload_in_progress_shows_until_its_request_ends() {
    let app = spawn_app_with(|cfg| cfg.metrics.token = Some(TOKEN.to_owned().into())).await;
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    let upload = anne.create(2 << 20, &meta(&[("filename", "clip.mov")])).await;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let chunks = futures_util::stream::unfold(receiver, |mut r| async move { r.recv().await.map(|c| (c, r)) });
    let body = reqwest::Body::wrap_stream(chunks);
    let patch = anne
        .request(Method::PATCH, &upload)
        .header("tus-resumable", "1.0.0")
        .header("upload-offset", "0")
        .header("content-type", "application/offset+octet-stream")
        .body(body)
        .send();
    let patch = tokio::spawn(patch);
    sender.send(Ok(pattern(1 << 20, 1))).await.expect("first half");
    crate::helpers::eventually("the upload counted in progress", || async {
        (value(&scrape(&app).await.0, "relais_uploads_in_progress", &[]) == Some(1.0)).then_some(())
    })
    .await;
    sender.send(Ok(pattern(1 << 20, 2))).await.expect("second half");
    drop(sender);
    let answer = patch.await.expect("joined").expect("sent");
    assert_eq!(answer.status(), 204);
    assert_eq!(
        value(&scrape(&app).await.0, "relais_uploads_in_progress", &[]),
        Some(0.0)
    );

    // A connection that drops half-way leaves no upload counted in progress.
    let upload = anne.create(2 << 20, &meta(&[("filename", "cut.mov")])).await;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let chunks = futures_util::stream::unfold(receiver, |mut r| async move { r.recv().await.map(|c| (c, r)) });
    let patch = anne
        .request(Method::PATCH, &upload)
        .header("tus-resumable", "1.0.0")
        .header("upload-offset", "0")
        .header("content-type", "application/offset+octet-stream")
        .body(reqwest::Body::wrap_stream(chunks))
        .send();
    let patch = tokio::spawn(patch);
    sender.send(Ok(pattern(1 << 20, 3))).await.expect("first half");
    crate::helpers::eventually("the second upload counted in progress", || async {
        (value(&scrape(&app).await.0, "relais_uploads_in_progress", &[]) == Some(1.0)).then_some(())
    })
    .await;
    patch.abort();
    drop(sender);
    crate::helpers::eventually("the cut upload no longer in progress", || async {
        (value(&scrape(&app).await.0, "relais_uploads_in_progress", &[]) == Some(0.0)).then_some(())
    })
    .await;
}

/// The JSON log lines `relais serve` wrote so far.
fn log_lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The spans around a log line, by name.
fn span<'a>(line: &'a Value, name: &str) -> Option<&'a Value> {
    line["spans"].as_array()?.iter().find(|s| s["name"] == name)
}

#[tokio::test]
async fn each_log_line_names_its_request_and_the_storage_work_done_for_it() {
    let dir = tempfile::tempdir().expect("dir");
    let mut cfg = relais::config::Config::defaults_in(dir.path()).expect("defaults");
    let _resources = crate::helpers::backend::Backend::from_env()
        .prepare(&mut cfg, dir.path())
        .await;
    let mut env = crate::helpers::backend::env_for(&cfg);
    env.push(("RELAIS_LOG_FORMAT".into(), "json".into()));
    env.push(("RELAIS_BEHIND_PROXY".into(), "true".into()));
    env.push(("RELAIS_LOG_LEVEL".into(), "relais=debug,info".into()));
    let log = dir.path().join("relais.log");
    let server = crate::helpers::binary::start_with_log(&env, std::fs::File::create(&log).expect("log file")).await;
    let http = reqwest::Client::new();

    // An id given by the proxy in front is kept, in the answer and in the log.
    let ready = http
        .get(format!("{}/readyz", server.base))
        .header("x-request-id", "proxy-7f3a")
        .send()
        .await
        .expect("ready");
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.headers()["x-request-id"], "proxy-7f3a");
    let line = crate::helpers::eventually("the ping logged inside its request", || async {
        log_lines(&log).into_iter().find(|l| {
            span(l, "request").is_some_and(|s| s["id"] == "proxy-7f3a")
                && span(l, "storage").is_some_and(|s| s["op"] == "ping")
        })
    })
    .await;
    assert_eq!(span(&line, "request").expect("request")["path"], "/readyz");

    // Without one, Relais makes one: a UUID, the same in the answer and the log.
    let ready = http.get(format!("{}/readyz", server.base)).send().await.expect("ready");
    let id = ready.headers()["x-request-id"].to_str().expect("ascii").to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    crate::helpers::eventually("the second request logged under its id", || async {
        log_lines(&log)
            .into_iter()
            .find(|l| span(l, "request").is_some_and(|s| s["id"] == id.as_str()) && span(l, "storage").is_some())
    })
    .await;

    // Something else in the header is not copied into the log: replaced by our own.
    // (Without behind_proxy, any id a client sends is replaced: see the next test.)
    let odd = http
        .get(format!("{}/healthz", server.base))
        .header("x-request-id", "a b {\"json\": 1}")
        .send()
        .await
        .expect("health");
    let id = odd.headers()["x-request-id"].to_str().expect("ascii");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    drop(server);
}

#[tokio::test]
async fn invented_methods_and_paths_make_no_new_series() {
    let app = spawn_app_with(|cfg| cfg.metrics.token = Some(TOKEN.to_owned().into())).await;
    let http = reqwest::Client::new();
    for i in 0..20 {
        let method = reqwest::Method::from_bytes(format!("INVENTED{i}").as_bytes()).expect("method");
        http.request(method, app.url(&format!("/nowhere/{i}")))
            .send()
            .await
            .expect("asked");
    }
    let (samples, _) = scrape(&app).await;
    let series: Vec<_> = samples
        .iter()
        .filter(|(n, _, _)| n == "relais_http_requests_total")
        .map(|(_, l, _)| l.clone())
        .collect();
    assert!(
        series.iter().all(|l| {
            let method = l["method"].as_str().unwrap_or("");
            let route = l["route"].as_str().unwrap_or("");
            !method.starts_with("INVENTED") && !route.contains("nowhere")
        }),
        "{series:?}"
    );
    let invented: f64 = samples
        .iter()
        .filter(|(n, l, _)| n == "relais_http_requests_total" && l["method"] == "other")
        .map(|(_, _, v)| v)
        .sum();
    assert_eq!(invented, 20.0);
}

#[tokio::test]
async fn without_a_proxy_a_request_id_sent_by_the_client_is_replaced() {
    let app = spawn_app().await;
    let answer = reqwest::Client::new()
        .get(app.url("/healthz"))
        .header("x-request-id", "chosen-by-the-client")
        .send()
        .await
        .expect("health");
    let id = answer.headers()["x-request-id"].to_str().expect("ascii");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
}
