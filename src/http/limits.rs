//! Rate limits: per client address (tower_governor, before the handler runs) and per
//! account (checked in the handler once the address being tried is known).

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, Request, Response};
use axum::middleware::Next;
use axum::response::IntoResponse;
use governor::clock::{Clock, DefaultClock, QuantaInstant};
use governor::middleware::NoOpMiddleware;
use governor::{DefaultKeyedRateLimiter, Quota};
use tower_governor::GovernorLayer;
use tower_governor::errors::GovernorError;
use tower_governor::governor::GovernorConfigBuilder;
use tower_governor::key_extractor::KeyExtractor;

use crate::http::error::AppError;

/// Login attempts per address: a burst of 20, then one every 3 seconds.
const LOGIN_PER_IP_BURST: u32 = 20;
const LOGIN_PER_IP_PERIOD: Duration = Duration::from_secs(3);
/// Login attempts per account, whatever the address: a burst of 5, then one every 20 s.
/// Slow enough to make guessing a password hopeless, loose enough for a person who
/// mistypes a few times.
const LOGIN_PER_ACCOUNT_BURST: u32 = 5;
const LOGIN_PER_ACCOUNT_PERIOD: Duration = Duration::from_secs(20);

/// The address a request comes from: the peer, or with `behind_proxy` the last entry of
/// `X-Forwarded-For` (the one our own proxy appended; earlier ones are the client's word).
pub fn client_ip(headers: &HeaderMap, peer: Option<SocketAddr>, behind_proxy: bool) -> Option<IpAddr> {
    let forwarded = || {
        let last_header = headers.get_all("x-forwarded-for").iter().next_back()?.to_str().ok()?;
        last_header.rsplit(',').next()?.trim().parse::<IpAddr>().ok()
    };
    if behind_proxy && let Some(ip) = forwarded() {
        return Some(ip);
    }
    peer.map(|p| p.ip())
}

/// Whether the warning below was logged by this process.
static PROXY_WARNED: AtomicBool = AtomicBool::new(false);

/// Logs once when requests arrive through a proxy that Relais was not told about: every
/// client then shares the proxy's address, so one person's typos would throttle them all.
pub async fn warn_of_an_unannounced_proxy(
    State(behind_proxy): State<bool>,
    request: Request<Body>,
    next: Next,
) -> Response<Body> {
    // Only a peer on this machine or the local network can be a proxy of the studio's own:
    // a stranger's X-Forwarded-For must not talk the operator into trusting that header.
    let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    if !behind_proxy
        && peer.is_some_and(is_local)
        && request.headers().contains_key("x-forwarded-for")
        && !PROXY_WARNED.swap(true, Ordering::Relaxed)
    {
        tracing::warn!(
            peer = ?peer,
            "requests from a local proxy carry X-Forwarded-For but behind_proxy is off: every client behind \
             it shares its address, so rate limits treat them as one. If that proxy is yours and sets \
             X-Forwarded-For, set behind_proxy = true (RELAIS_BEHIND_PROXY=true)"
        );
    }
    next.run(request).await
}

/// Loopback, private (RFC 1918), link-local or IPv6 unique-local: where a reverse proxy
/// of the studio's own would be.
fn is_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback() || v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => {
            v6.is_loopback()
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| v4.is_loopback() || v4.is_private())
                || (v6.segments()[0] & 0xfe00) == 0xfc00
        }
    }
}

#[derive(Clone, Copy)]
pub struct ClientIpKey {
    behind_proxy: bool,
}

impl KeyExtractor for ClientIpKey {
    type Key = IpAddr;

    fn extract<T>(&self, req: &Request<T>) -> Result<IpAddr, GovernorError> {
        let peer = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        client_ip(req.headers(), peer, self.behind_proxy).ok_or(GovernorError::UnableToExtractKey)
    }
}

fn governor_error(err: GovernorError) -> Response<Body> {
    match err {
        GovernorError::TooManyRequests { wait_time, .. } => AppError::RateLimited {
            retry_after_secs: wait_time,
        }
        .into_response(),
        other => AppError::internal(format!("rate limiter: {other}")).into_response(),
    }
}

pub fn per_ip_login_layer(behind_proxy: bool) -> GovernorLayer<ClientIpKey, NoOpMiddleware<QuantaInstant>, Body> {
    let config = GovernorConfigBuilder::default()
        .key_extractor(ClientIpKey { behind_proxy })
        .period(LOGIN_PER_IP_PERIOD)
        .burst_size(LOGIN_PER_IP_BURST)
        .finish()
        // Only a zero period or burst makes the builder fail; the constants are not zero.
        .expect("login rate-limit constants are non-zero");
    GovernorLayer::new(config).error_handler(governor_error)
}

/// The quote site's signed calls per address: a burst of 120 (a full resync of a client
/// is a few dozen records), then 20 a second.
const INTEGRATION_PER_IP_BURST: u32 = 120;
const INTEGRATION_PER_IP_PERIOD: Duration = Duration::from_millis(50);

pub fn per_ip_integration_layer(behind_proxy: bool) -> GovernorLayer<ClientIpKey, NoOpMiddleware<QuantaInstant>, Body> {
    let config = GovernorConfigBuilder::default()
        .key_extractor(ClientIpKey { behind_proxy })
        .period(INTEGRATION_PER_IP_PERIOD)
        .burst_size(INTEGRATION_PER_IP_BURST)
        .finish()
        .expect("integration rate-limit constants are non-zero");
    GovernorLayer::new(config).error_handler(governor_error)
}

/// Limits that need a key only the handler knows.
pub struct Limits {
    /// Changes to one's own account that need the current password (or a code): guessed
    /// only by someone already signed in as that account.
    login_per_account: DefaultKeyedRateLimiter<String>,
    /// Failed logins, per account and address (see `login_guard`).
    pub login: super::login_guard::LoginGuard,
    /// Room for signed documents waiting for their signature to be checked.
    pub document_spool: super::integration::spool::Spool,
}

impl Limits {
    pub fn new() -> Self {
        let burst = NonZeroU32::new(LOGIN_PER_ACCOUNT_BURST).expect("burst constant is non-zero");
        let quota = Quota::with_period(LOGIN_PER_ACCOUNT_PERIOD)
            .expect("period constant is non-zero")
            .allow_burst(burst);
        Self {
            login_per_account: DefaultKeyedRateLimiter::keyed(quota),
            login: super::login_guard::LoginGuard::default(),
            document_spool: super::integration::spool::Spool::default(),
        }
    }

    /// Counts one login attempt against `account` (the address as typed, normalised).
    pub fn check_login(&self, account: &str) -> Result<(), AppError> {
        let key = account.trim().to_lowercase();
        self.login_per_account.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AppError::RateLimited {
                retry_after_secs: wait.as_secs() + 1,
            }
        })
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_peers_can_be_the_studios_own_proxy() {
        for local in ["127.0.0.1", "10.1.2.3", "192.168.1.10", "172.16.0.1", "::1", "fd00::1"] {
            assert!(is_local(local.parse().expect("ip")), "{local}");
        }
        for remote in ["203.0.113.9", "8.8.8.8", "2001:db8::1"] {
            assert!(!is_local(remote.parse().expect("ip")), "{remote}");
        }
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_proxy_and_the_last_one_wins() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "6.6.6.6, 203.0.113.9".parse().expect("header"));
        let peer = Some(SocketAddr::from(([127, 0, 0, 1], 5000)));
        assert_eq!(client_ip(&headers, peer, false), Some(IpAddr::from([127, 0, 0, 1])));
        assert_eq!(client_ip(&headers, peer, true), Some(IpAddr::from([203, 0, 113, 9])));
    }

    #[test]
    fn an_account_is_limited_after_its_burst_whatever_the_case_of_the_address() {
        let limits = Limits::new();
        for _ in 0..LOGIN_PER_ACCOUNT_BURST {
            assert!(limits.check_login("Anne@Example.fr").is_ok());
        }
        assert!(
            matches!(limits.check_login("anne@example.fr "), Err(AppError::RateLimited { retry_after_secs }) if retry_after_secs >= 1)
        );
        assert!(limits.check_login("someone-else@example.fr").is_ok());
    }
}
