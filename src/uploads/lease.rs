//! The one-writer lease of an upload, shared by every node through the database.

use std::time::Duration;

use super::UploadError;
use crate::db;
use crate::domain::UploadId;
use crate::state::AppState;

/// A lease not renewed for this long is stale: its holder died or hung.
const LEASE: Duration = Duration::from_secs(20);
/// A writer renews its lease, and looks for a request to let go, this often.
pub(crate) const RENEW_EVERY: Duration = Duration::from_secs(2);
/// How long a new request waits for a live holder to save and let go.
const RELEASE_WAIT: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(50);

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[derive(Debug)]
pub struct Lease {
    pub id: UploadId,
    pub owner: String,
}

impl Lease {
    /// Takes the upload's lease. A stale lease is taken over at once; a live holder is
    /// asked to commit what it has and let go, and is waited for a few seconds (a phone
    /// that slept mid-PATCH comes back to a request the server still thinks is alive).
    pub async fn acquire(state: &AppState, id: UploadId) -> Result<Self, UploadError> {
        // The node's name first, so that a restarted node can free what it held.
        let owner = format!("{}/{}", state.cfg.node_name, uuid::Uuid::new_v4().simple());
        let deadline = tokio::time::Instant::now() + RELEASE_WAIT;
        let mut asked = false;
        loop {
            let now = state.clock.now_ms();
            if db::uploads::acquire_lease(state.db.pool(), id, &owner, now + ms(LEASE), now).await? {
                return Ok(Self { id, owner });
            }
            if !asked {
                if db::uploads::find(state.db.pool(), id).await?.is_none() {
                    return Err(UploadError::NotFound);
                }
                db::uploads::request_release(state.db.pool(), id).await?;
                asked = true;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(UploadError::Locked);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Extends the lease; `Ok(true)` when another request asked us to let go. A lost
    /// lease is an error: someone else writes now, and nothing more may be committed.
    pub async fn renew(&self, state: &AppState) -> Result<bool, UploadError> {
        let until = state.clock.now_ms() + ms(LEASE);
        db::uploads::renew_lease(state.db.pool(), self.id, &self.owner, until)
            .await?
            .ok_or(UploadError::Locked)
    }

    pub async fn release(&self, state: &AppState) {
        if let Err(e) = db::uploads::release_lease(state.db.pool(), self.id, &self.owner).await {
            // Not fatal: the lease expires on its own.
            tracing::warn!(upload = %self.id, error = %e, "cannot release upload lease");
        }
    }
}
