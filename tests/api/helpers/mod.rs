//! `TestApp`: one running Relais with its own database, storage and outbox.

pub mod backend;
pub mod binary;
pub mod moto;
pub mod smtp;
pub mod tus;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use relais::app::Application;
use relais::clock::Clock;
use relais::config::Config;
use relais::jobs::{JobRunner, RunOutcome};
use relais::state::AppState;
use reqwest::Method;
use tokio_util::sync::CancellationToken;

pub use backend::Backend;

pub struct TestApp {
    pub base: String,
    /// The separate metrics listener (`metrics.listen`), when the test set one.
    pub metrics_base: Option<String>,
    pub state: AppState,
    pub runner: Arc<JobRunner>,
    pub http: reqwest::Client,
    pub dir: tempfile::TempDir,
    csrf: Mutex<Option<String>>,
    shutdown: CancellationToken,
    _backend: backend::Resources,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Starts Relais on the backend pair chosen by `TEST_BACKEND`.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// With the S3 minimum part size, so that parts, staged tails and their merging all happen
/// with files of a few MiB.
pub async fn spawn_app_with_small_parts() -> TestApp {
    spawn_app_with(|cfg| cfg.uploads.part_size = relais::domain::ByteSize::from_bytes(5 * 1024 * 1024)).await
}

/// Like [`spawn_app`], letting the test adjust the configuration first.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cfg = Config::defaults_in(dir.path()).expect("default configuration is valid");
    cfg.listen = "127.0.0.1:0".parse().expect("addr");
    let resources = Backend::from_env().prepare(&mut cfg, dir.path()).await;
    // A small reserve, so that a test machine with little free disk still runs the suite;
    // the reserve itself is tested on its own.
    cfg.uploads.disk_reserve = relais::domain::ByteSize::from_bytes(64 * 1024 * 1024);
    adjust(&mut cfg);

    let db = relais::app::open_database(&cfg)
        .await
        .expect("database opens and migrates");
    let blobs = relais_storage::open(&cfg.storage).expect("storage opens");
    let app = Application::build_with(cfg, db, blobs, Clock::system())
        .await
        .expect("application builds");
    let addr = app.local_addr();
    let metrics_base = app.metrics_addr().map(|a| format!("http://{a}"));
    let (state, runner) = (app.state(), app.runner());
    let shutdown = CancellationToken::new();
    // Jobs are stepped by the tests (`run_jobs`), never in the background, so that every
    // assertion sees a known state.
    tokio::spawn(app.run_until_stopped(shutdown.clone(), false));

    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    TestApp {
        base: format!("http://{addr}"),
        metrics_base,
        state,
        runner,
        http,
        dir,
        csrf: Mutex::new(None),
        shutdown,
        _backend: resources,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Any request, with the session's CSRF token when there is one.
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let builder = self.http.request(method, self.url(path));
        match self.csrf.lock().expect("lock").as_deref() {
            Some(token) => builder.header("x-csrf-token", token),
            None => builder,
        }
    }

    /// Logs in through the API; on success keeps the session cookie and CSRF token.
    pub async fn login(&self, email: &str, password: &str, totp: Option<&str>) -> Answer {
        let mut body = serde_json::json!({ "email": email, "password": password });
        if let Some(code) = totp {
            body["totp"] = code.into();
        }
        let answer = Answer::of(
            self.http
                .post(self.url("/api/v1/session"))
                .json(&body)
                .send()
                .await
                .expect("request"),
        )
        .await;
        if answer.status == 201 {
            *self.csrf.lock().expect("lock") = answer.body["csrf_token"].as_str().map(str::to_owned);
        }
        answer
    }

    pub fn forget_csrf(&self) {
        *self.csrf.lock().expect("lock") = None;
    }

    /// Runs every due job now.
    pub async fn run_jobs(&self) -> Vec<RunOutcome> {
        self.runner.run_until_idle().await.expect("jobs run")
    }

    pub fn clock(&self) -> &Clock {
        &self.state.clock
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.dir.path().join("outbox")
    }

    /// The `.eml` files in the outbox directory, oldest first.
    pub fn outbox(&self) -> Vec<String> {
        read_emails(&self.outbox_dir())
    }

    /// A client account made the way `relais client create` makes it.
    pub async fn create_client(&self, email: &str, name: &str) -> relais::db::users::User {
        relais::accounts::create_client(&self.state, None, email, name, relais::domain::Locale::Fr)
            .await
            .expect("client created")
    }

    /// A client who accepted their invitation and chose `password`.
    pub async fn create_active_client(&self, email: &str, password: &str) -> relais::db::users::User {
        let user = self.create_client(email, "Client Test").await;
        self.run_jobs().await;
        let token = invitation_token(
            self.outbox()
                .iter()
                .rev()
                .find(|m| m.contains(email))
                .expect("invitation sent"),
        );
        let password = relais::domain::NewPassword::parse(password).expect("valid password");
        relais::accounts::accept_invitation(&self.state, &token, &password)
            .await
            .expect("invitation accepted");
        user
    }

    /// A studio account; returns it with its TOTP secret.
    pub async fn create_studio(&self, email: &str, password: &str) -> (relais::accounts::StudioAccount, String) {
        let password = relais::domain::NewPassword::parse(password).expect("valid password");
        let account = relais::accounts::create_studio(&self.state, email, "Studio", &password)
            .await
            .expect("studio created");
        let secret = totp_secret(&account.totp_uri);
        (account, secret)
    }

    /// The TOTP code for `secret` at this app's clock, `offset_steps` steps away.
    pub fn totp_code(&self, secret: &str, offset_steps: i64) -> String {
        let at = self.clock().now_secs() as i64 + offset_steps * 30;
        relais::auth::totp::code_at(secret, at as u64).expect("code")
    }
}

/// A response read whole: status, headers and JSON body (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: serde_json::Value,
}

impl Answer {
    pub async fn of(response: reqwest::Response) -> Self {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body");
        let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        Self { status, headers, body }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The problem's stable `code`.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

pub fn read_emails(dir: &std::path::Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "eml"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).expect("readable email"))
        .collect()
}

/// The token of the invitation link in an email (`…/invitation/<token>`).
pub fn invitation_token(email: &str) -> String {
    link_token(email, "/invitation/")
}

/// The token after `path` in an email's first such link (quoted-printable soft breaks
/// removed).
pub fn link_token(email: &str, path: &str) -> String {
    let unfolded = email.replace("=\r\n", "").replace("=\n", "");
    let start = unfolded.find(path).expect("a link") + path.len();
    unfolded[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

pub fn totp_secret(uri: &str) -> String {
    let url = url::Url::parse(uri).expect("otpauth URI");
    url.query_pairs()
        .find(|(k, _)| k == "secret")
        .map(|(_, v)| v.into_owned())
        .expect("secret in URI")
}

/// Polls `check` until it gives a value, for at most ten seconds: for side effects that a
/// background task writes (receipts, jobs), without a fixed sleep.
pub async fn eventually<T, Fut>(what: &str, mut check: impl FnMut() -> Fut) -> T
where
    Fut: std::future::Future<Output = Option<T>>,
{
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(std::time::Instant::now() < until, "timed out waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
