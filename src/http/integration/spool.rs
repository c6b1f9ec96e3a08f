//! A signed document waits in a local spool until its signature holds: nothing a stranger
//! sends reaches object storage. The spool is bounded in total and per client address, and
//! a spooled file is removed as soon as it is no longer needed, whatever happens.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::http::error::AppError;

/// Documents spooled at once in this process (each up to the 20 MiB document limit).
const AT_ONCE: usize = 8;
/// Documents one client address may have spooled at once.
const PER_ADDRESS: usize = 2;

/// The spool's room: a slot in total, and one of the address's.
pub struct Spool {
    slots: Arc<Semaphore>,
    by_address: Arc<Mutex<HashMap<Option<IpAddr>, usize>>>,
}

impl Default for Spool {
    fn default() -> Self {
        Self {
            slots: Arc::new(Semaphore::new(AT_ONCE)),
            by_address: Arc::new(Mutex::new(HashMap::new())),
        }
    }
}

/// A place in the spool, given back when dropped.
pub struct Place {
    _slot: OwnedSemaphorePermit,
    address: Option<IpAddr>,
    by_address: Arc<Mutex<HashMap<Option<IpAddr>, usize>>>,
}

impl Drop for Place {
    fn drop(&mut self) {
        if let Ok(mut map) = self.by_address.lock()
            && let Some(n) = map.get_mut(&self.address)
        {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.address);
            }
        }
    }
}

impl Spool {
    /// A place for one document from `address`, or 503 with a retry hint when the spool
    /// (or this address's share of it) is full: the sender's retry will find room.
    pub fn enter(&self, address: Option<IpAddr>) -> Result<Place, AppError> {
        let busy = || AppError::RateLimited { retry_after_secs: 5 };
        let slot = self.slots.clone().try_acquire_owned().map_err(|_| busy())?;
        let mut map = self.by_address.lock().map_err(|_| busy())?;
        let count = map.entry(address).or_insert(0);
        if *count >= PER_ADDRESS {
            return Err(busy());
        }
        *count += 1;
        Ok(Place {
            _slot: slot,
            address,
            by_address: self.by_address.clone(),
        })
    }
}

/// A spooled file, removed when dropped.
pub struct Spooled {
    pub path: PathBuf,
    pub _place: Place,
}

impl Drop for Spooled {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spool_is_bounded_in_total_and_per_address() {
        let spool = Spool::default();
        let a: Option<IpAddr> = Some("203.0.113.5".parse().expect("ip"));
        let first = spool.enter(a).expect("room");
        let _second = spool.enter(a).expect("room");
        assert!(spool.enter(a).is_err(), "a third from the same address waits");
        drop(first);
        assert!(spool.enter(a).is_ok(), "room again once one is done");
        let others: Vec<_> = (0..AT_ONCE - 1)
            .map(|i| spool.enter(Some(IpAddr::from([10, 0, 0, i as u8]))).expect("room"))
            .collect();
        assert!(spool.enter(Some("198.51.100.1".parse().expect("ip"))).is_err(), "full");
        drop(others);
    }
}
