//! What the operations tests share: ports, processes, waiting for a server.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

/// A command run as root: directly when the tests are root (CI), else through `sudo -n`.
pub fn as_root(program: &str) -> Command {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if root {
        Command::new(program)
    } else {
        let mut sudo = Command::new("sudo");
        sudo.args(["-n", program]);
        sudo
    }
}

/// Runs `cmd`, panicking with its output unless it succeeds; returns stdout.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A path given by `scripts/test.sh`, which makes it before these tests run.
pub fn given(var: &str, what: &str) -> PathBuf {
    let path = std::env::var_os(var)
        .map(PathBuf::from)
        .unwrap_or_else(|| panic!("{var} is not set: run scripts/test.sh, which builds {what}"));
    assert!(path.exists(), "{var}={} does not exist", path.display());
    path
}

/// A child process killed (with its group) when dropped.
pub struct Running {
    pub child: Child,
    pub log: PathBuf,
}

impl Running {
    /// Starts `cmd` with stdout and stderr in `log`.
    pub fn start(mut cmd: Command, log: &Path) -> Self {
        let file = std::fs::File::create(log).expect("log file");
        let child = cmd
            .stdout(file.try_clone().expect("log"))
            .stderr(file)
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
        Self {
            child,
            log: log.to_path_buf(),
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `url` answers 200, or panics with `log`.
pub async fn until_ok(url: &str, running: &mut Running) {
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(r) = reqwest::get(url).await
            && r.status() == 200
        {
            return;
        }
        if let Ok(Some(status)) = running.child.try_wait() {
            panic!("exited with {status} before {url} answered:\n{}", running.log());
        }
        assert!(Instant::now() < until, "{url} never answered:\n{}", running.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The first fenced block of `lang` in the README that contains `marker`.
pub fn readme_block(lang: &str, marker: &str) -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    let fence = format!("```{lang}\n");
    readme
        .split(&fence)
        .skip(1)
        .filter_map(|rest| rest.split_once("```").map(|(block, _)| block.to_owned()))
        .find(|block| block.contains(marker))
        .unwrap_or_else(|| panic!("no ```{lang} block with {marker:?} in the README"))
}

/// `relais serve` (the binary of this build) in its own data directory.
pub struct Relais {
    pub port: u16,
    pub dir: tempfile::TempDir,
    env: Vec<(String, String)>,
    pub server: Running,
}

impl Relais {
    /// Started with `extra` settings on a free loopback port; waits for `/readyz`.
    pub async fn start(extra: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        let port = free_port();
        let mut env: Vec<(String, String)> = vec![
            ("RELAIS_DATA_DIR".into(), dir.path().join("data").display().to_string()),
            ("RELAIS_LISTEN".into(), format!("127.0.0.1:{port}")),
        ];
        env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let mut cmd = Self::command(&env);
        cmd.arg("serve");
        let mut server = Running::start(cmd, &dir.path().join("relais.log"));
        until_ok(&format!("http://127.0.0.1:{port}/readyz"), &mut server).await;
        Self { port, dir, env, server }
    }

    fn command(env: &[(String, String)]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_relais"));
        cmd.env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// A `relais` command on the same data; its stdout.
    pub fn cli(&self, args: &[&str], stdin: Option<&str>) -> String {
        use std::io::Write;
        let mut cmd = Self::command(&self.env);
        cmd.args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .stdin(Stdio::piped());
        let mut child = cmd.spawn().expect("relais");
        if let Some(input) = stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(input.as_bytes())
                .expect("stdin");
        }
        drop(child.stdin.take());
        let out = child.wait_with_output().expect("relais ran");
        assert!(
            out.status.success(),
            "relais {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// A client account and an API token for it.
    pub fn client_token(&self, email: &str) -> String {
        self.cli(&["client", "create", "--email", email, "--name", "Client"], None);
        self.cli(&["token", "create", "--email", email, "--name", "proxy-test"], None)
    }
}
