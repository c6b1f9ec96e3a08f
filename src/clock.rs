//! The time, from one place, so tests can move it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use crate::domain::Timestamp;

#[derive(Debug, Clone, Default)]
pub struct Clock {
    /// Added to the system time, in milliseconds (an atomic, so every clone sees it); tests
    /// advance it to expire leases, links and sessions.
    offset_ms: Arc<AtomicU64>,
    /// When not zero, the instant this clock stopped at (milliseconds since the epoch): time
    /// then moves only when a test advances it, however slowly the machine runs (pacing
    /// tests count in seconds).
    frozen_at: Arc<AtomicI64>,
}

impl Clock {
    pub fn system() -> Self {
        Self::default()
    }

    pub fn now(&self) -> Timestamp {
        let frozen = self.frozen_at.load(Ordering::Relaxed);
        let base = if frozen != 0 {
            Timestamp::from_millis(frozen)
        } else {
            Timestamp::from_system_time(SystemTime::now())
        };
        base + Duration::from_millis(self.offset_ms.load(Ordering::Relaxed))
    }

    pub fn now_secs(&self) -> u64 {
        u64::try_from(self.now().unix_secs()).unwrap_or_default()
    }

    /// Moves this clock (and every clone of it) forward.
    pub fn advance(&self, by: Duration) {
        let ms = u64::try_from(by.as_millis()).unwrap_or(u64::MAX);
        self.offset_ms.fetch_add(ms, Ordering::Relaxed);
    }

    /// Stops this clock (and every clone of it) where it is; only `advance` moves it on.
    pub fn freeze(&self) {
        let now = Timestamp::from_system_time(SystemTime::now());
        self.frozen_at.store(now.as_millis(), Ordering::Relaxed);
    }
}
