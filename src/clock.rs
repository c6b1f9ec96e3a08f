//! The time, from one place, so tests can move it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::domain::Millis;

#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Added to the system time; tests advance it to expire leases, links and sessions.
    offset_ms: Arc<AtomicI64>,
    /// When not zero, the instant this clock stopped at: time then moves only when a test
    /// advances it, however slowly the machine runs (pacing tests count in seconds).
    frozen_at: Arc<AtomicI64>,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    pub fn now_ms(&self) -> Millis {
        let frozen = self.frozen_at.load(Ordering::Relaxed);
        let base = if frozen != 0 { frozen } else { system_ms() };
        base + self.offset_ms.load(Ordering::Relaxed)
    }

    pub fn now_secs(&self) -> u64 {
        u64::try_from(self.now_ms() / 1000).unwrap_or_default()
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: std::time::Duration) {
        self.offset_ms
            .fetch_add(i64::try_from(by.as_millis()).unwrap_or(i64::MAX), Ordering::Relaxed);
    }

    /// Stops this clock (and every clone of it) where it is; only `advance` moves it on.
    pub fn freeze(&self) {
        self.frozen_at.store(system_ms(), Ordering::Relaxed);
    }
}

fn system_ms() -> Millis {
    let system = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default();
    i64::try_from(system).unwrap_or(i64::MAX)
}
