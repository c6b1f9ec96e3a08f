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
