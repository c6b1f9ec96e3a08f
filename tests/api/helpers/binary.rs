//! The `relais` binary itself, for tests that start or command it.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// The binary with a clean environment: only `PATH` and `env`, run in `dir` when given.
pub fn relais<K, V>(dir: Option<&Path>, env: impl IntoIterator<Item = (K, V)>, args: &[&str]) -> Command
where
    K: AsRef<OsStr>,
    V: AsRef<OsStr>,
{
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_relais"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env)
        .args(args);
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    cmd
}

/// Creates the client "Anne" (`anne@example.fr`) with the CLI under `env` and answers an
/// API token of theirs.
pub fn anne_with_token(env: &[(String, String)]) -> String {
    let cli = |args: &[&str]| {
        let out = relais(None, env.iter().map(|(k, v)| (k, v)), args)
            .output()
            .expect("relais");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    cli(&["client", "create", "--email", "anne@example.fr", "--name", "Anne"]);
    cli(&["token", "create", "--email", "anne@example.fr"])
}

/// `relais serve` running as its own process, killed when dropped.
pub struct Server {
    pub child: std::process::Child,
    pub base: String,
}

/// Starts `relais serve` with `env` on a free port and waits for `/healthz`.
pub async fn start(env: &[(String, String)]) -> Server {
    start_with_log(env, std::process::Stdio::null()).await
}

/// Like `start`, with the log (stderr) going to `log`.
pub async fn start_with_log(env: &[(String, String)], log: impl Into<std::process::Stdio>) -> Server {
    let port = free_port();
    let mut env = env.to_vec();
    env.push(("RELAIS_LISTEN".into(), format!("127.0.0.1:{port}")));
    let child = relais(None, env.iter().map(|(k, v)| (k, v)), &["serve"])
        .stdout(std::process::Stdio::null())
        .stderr(log)
        .spawn()
        .expect("spawn relais");
    // Owned from here, so that Drop stops it on every path.
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..300 {
        if reqwest::get(format!("{}/healthz", server.base)).await.is_ok() {
            return server;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("relais did not start");
}

impl Server {
    /// The first file of the first transfer `token` sees, as the API lists it.
    pub async fn first_file(&self, http: &reqwest::Client, token: &str) -> serde_json::Value {
        let get = |path: String| {
            let request = http.get(format!("{}{path}", self.base)).bearer_auth(token).send();
            async move {
                let answer = request.await.expect("answer");
                assert!(answer.status().is_success(), "{}", answer.status());
                answer.json::<serde_json::Value>().await.expect("json")
            }
        };
        let transfers = get("/api/v1/transfers".into()).await;
        let transfer = transfers[0]["id"].as_str().expect("a transfer").to_owned();
        let files = get(format!("/api/v1/transfers/{transfer}/files")).await;
        files["files"][0].clone()
    }

    /// The most memory the process has held at once (`VmHWM`), in bytes.
    pub fn peak_rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("/proc status");
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM");
        kib * 1024
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
