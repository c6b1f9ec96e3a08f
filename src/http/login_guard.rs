//! Failed logins, counted so that guessing is slow and the owner is never locked out.
//!
//! Failures count per account *and* client address: five wrong passwords from one address
//! make that address wait for that account, while the owner, signing in from anywhere else,
//! is not touched. Guessing spread over many addresses is slowed for the account as a whole
//! (each attempt waits a moment), never refused. A success clears its address's count.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::http::error::AppError;

/// How long failures are remembered.
const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Failures one address may make on one account within the window.
const PER_ADDRESS: u32 = 5;
/// Failures on one account, from all addresses, before attempts on it are slowed.
const PER_ACCOUNT: u32 = 30;
/// How long each attempt waits once the account is being guessed at from many addresses.
const SLOWDOWN: Duration = Duration::from_secs(1);
/// Entries kept before the expired ones are swept (bounded memory under a flood).
const MAX_ENTRIES: usize = 50_000;

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    since: Instant,
}

impl Failures {
    fn live(&self, now: Instant) -> bool {
        now.duration_since(self.since) < WINDOW
    }
}

type Pair = (String, Option<IpAddr>);

#[derive(Default)]
pub struct LoginGuard {
    pairs: Mutex<HashMap<Pair, Failures>>,
    accounts: Mutex<HashMap<String, Failures>>,
}

/// The account as typed, normalised: the same key whatever its case or spaces.
fn account_key(account: &str) -> String {
    account.trim().to_lowercase()
}

fn count<K: std::hash::Hash + Eq + Clone>(
    map: &Mutex<HashMap<K, Failures>>,
    key: &K,
    now: Instant,
) -> Option<Failures> {
    let map = map.lock().ok()?;
    map.get(key).copied().filter(|f| f.live(now))
}

fn add<K: std::hash::Hash + Eq + Clone>(map: &Mutex<HashMap<K, Failures>>, key: K, now: Instant) {
    let Ok(mut map) = map.lock() else { return };
    if map.len() >= MAX_ENTRIES {
        map.retain(|_, f| f.live(now));
        if map.len() >= MAX_ENTRIES {
            // A flood of distinct keys: forgetting is better than growing without bound.
            map.clear();
        }
    }
    let entry = map.entry(key).or_insert(Failures { count: 0, since: now });
    if !entry.live(now) {
        *entry = Failures { count: 0, since: now };
    }
    entry.count += 1;
}

impl LoginGuard {
    /// Before checking a password: refused (429, with how long to wait) when this address
    /// failed too often on this account; otherwise how long to wait first (zero, or a
    /// moment while the account is guessed at from many addresses).
    pub fn before(&self, account: &str, from: Option<IpAddr>) -> Result<Duration, AppError> {
        let now = Instant::now();
        let key = account_key(account);
        if let Some(f) = count(&self.pairs, &(key.clone(), from), now)
            && f.count >= PER_ADDRESS
        {
            let wait = WINDOW.saturating_sub(now.duration_since(f.since));
            return Err(AppError::RateLimited {
                retry_after_secs: wait.as_secs().max(1),
            });
        }
        let slowed = count(&self.accounts, &key, now).is_some_and(|f| f.count >= PER_ACCOUNT);
        Ok(if slowed { SLOWDOWN } else { Duration::ZERO })
    }

    /// A wrong password or code.
    pub fn failed(&self, account: &str, from: Option<IpAddr>) {
        let now = Instant::now();
        let key = account_key(account);
        add(&self.pairs, (key.clone(), from), now);
        add(&self.accounts, key, now);
    }

    /// The right credentials: this address starts afresh on this account.
    pub fn succeeded(&self, account: &str, from: Option<IpAddr>) {
        if let Ok(mut map) = self.pairs.lock() {
            map.remove(&(account_key(account), from));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().expect("ip"))
    }

    #[test]
    fn a_strangers_failures_never_lock_the_owner_out() {
        let guard = LoginGuard::default();
        for _ in 0..PER_ADDRESS {
            assert!(guard.before("Anne@Example.fr", ip("203.0.113.5")).is_ok());
            guard.failed("anne@example.fr ", ip("203.0.113.5"));
        }
        assert!(matches!(
            guard.before("anne@example.fr", ip("203.0.113.5")),
            Err(AppError::RateLimited { retry_after_secs }) if retry_after_secs > 60
        ));
        assert_eq!(
            guard.before("anne@example.fr", ip("198.51.100.7")).ok(),
            Some(Duration::ZERO)
        );
        assert!(guard.before("bob@example.fr", ip("203.0.113.5")).is_ok());
    }

    #[test]
    fn guessing_from_many_addresses_slows_the_account_but_refuses_nobody() {
        let guard = LoginGuard::default();
        for i in 0..PER_ACCOUNT {
            guard.failed("anne@example.fr", ip(&format!("10.0.{}.{}", i / 200, i % 200)));
        }
        assert_eq!(guard.before("anne@example.fr", ip("198.51.100.7")).ok(), Some(SLOWDOWN));
        assert_eq!(
            guard.before("bob@example.fr", ip("198.51.100.7")).ok(),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn a_success_clears_its_address() {
        let guard = LoginGuard::default();
        for _ in 0..PER_ADDRESS - 1 {
            guard.failed("anne@example.fr", ip("203.0.113.5"));
        }
        guard.succeeded("anne@example.fr", ip("203.0.113.5"));
        guard.failed("anne@example.fr", ip("203.0.113.5"));
        assert!(guard.before("anne@example.fr", ip("203.0.113.5")).is_ok());
    }
}
