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
    // A listener any address can reach, without a token, would publish the metrics to
    // the world: refused by name rather than found out later.
    if let Some(addr) = listen
        && token.is_none()
        && !reachable_only_nearby(addr.ip())
    {
        r.problem(
            "metrics.listen",
            format!(
                "{addr} can be reached from anywhere and metrics.token is not set (expected a loopback or private \
                 address such as 127.0.0.1:9464, or set metrics.token)"
            ),
        );
    }
    MetricsConfig { token, listen }
}

/// Loopback, or a private network (RFC 1918, unique local IPv6).
fn reachable_only_nearby(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => v4.is_loopback() || v4.is_private(),
        std::net::IpAddr::V6(v6) => v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}
