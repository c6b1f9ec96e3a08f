//! The `metrics.*` keys: where `GET /metrics` is served, and to whom.

use std::net::SocketAddr;

use secrecy::ExposeSecret;

use super::MetricsConfig;
use super::reader::Reader;

/// Shorter tokens could be guessed by whoever can reach the server.
const MIN_TOKEN_LEN: usize = 24;

pub(super) fn read(r: &mut Reader, main: SocketAddr) -> MetricsConfig {
    let token = r.secret("metrics.token").filter(|t| {
        let long = t.expose_secret().chars().count() >= MIN_TOKEN_LEN;
        if !long {
            r.problem(
                "metrics.token",
                format!("too short (expected at least {MIN_TOKEN_LEN} characters, e.g. from `openssl rand -hex 16`)"),
            );
        }
        long
    });
    let listen = r.parse(
        "metrics.listen",
        "host:port for a separate metrics listener, e.g. 127.0.0.1:9464",
        |s| match s.parse::<SocketAddr>() {
            Ok(addr) if addr == main => Err("the same address as listen (expected another port)".into()),
            Ok(addr) => Ok(addr),
            Err(_) => Err("not a socket address".into()),
        },
    );
    MetricsConfig { token, listen }
}
