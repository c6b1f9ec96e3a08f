//! The one-writer lease of an upload, shared by every node through the database.
//!
//! A writer keeps its lease alive with a heartbeat of its own (a task beside the request,
//! so a writer waiting on a slow disk still beats). A holder that stops beating — its
//! node died, hung or lost the network — is taken over once `LEASE` has passed since its
//! last beat: a few seconds, not the time a whole PATCH may take. Lease times are the
//! nodes' clocks, which are expected to agree within a second (NTP).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};

use super::UploadError;
use crate::db;
use crate::db::uploads::{Taken, UploadRow};
use crate::domain::UploadId;
use crate::state::AppState;

/// A lease not renewed for this long is stale: its holder died or hung.
const LEASE: Duration = Duration::from_secs(5);
/// A writer renews its lease, and looks for a request to let go, this often.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// How long a new writer waits for the upload: long enough for a live holder to see the
/// request at its next beat and save, or for a dead holder's lease to go stale.
const TAKEOVER_WAIT: Duration = Duration::from_secs(LEASE.as_secs() + 2);
/// How long a status request waits for a live holder to save before answering the
/// committed offset anyway.
pub(crate) const STATUS_WAIT: Duration = Duration::from_secs(2);
const POLL: Duration = Duration::from_millis(50);

#[derive(Debug)]
pub struct Lease {
    pub id: UploadId,
    pub owner: String,
    /// The upload as it stood when the lease was taken.
    taken: Taken,
    /// Set once a commit let the lease go with the body's last checkpoint.
    released: AtomicBool,
}

/// What the heartbeat has learnt about the lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Beat {
    Held,
    /// Another request asked for the upload: save what arrived and let go.
    ReleaseAsked,
    /// Someone else holds it now: nothing more may be recorded.
    Lost,
}

/// A running heartbeat; it stops when dropped.
pub(crate) struct Heartbeat {
    beat: watch::Receiver<Beat>,
    task: tokio::task::JoinHandle<()>,
}

impl Heartbeat {
    /// Waits until the lease is no longer simply held.
    pub(crate) async fn changed(&mut self) -> Beat {
        match self.beat.wait_for(|b| *b != Beat::Held).await {
            Ok(beat) => *beat,
            // The task ended without saying why: treat the lease as gone.
            Err(_) => Beat::Lost,
        }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Lease {
    /// Takes the upload's lease, waiting as long as a takeover can take.
    pub async fn acquire(state: &AppState, id: UploadId) -> Result<Self, UploadError> {
        Self::acquire_within(state, id, TAKEOVER_WAIT).await
    }

    /// Takes the upload's lease. A stale lease is taken over at once; a live holder is
    /// asked to commit what it has and let go (it sees the request at its next beat), and
    /// is waited for up to `wait` (a phone that slept mid-PATCH comes back to a request
    /// the server still thinks is alive).
    pub async fn acquire_within(state: &AppState, id: UploadId, wait: Duration) -> Result<Self, UploadError> {
        // The node's name first, so that a restarted node can free what it held.
        let owner = format!("{}/{}", state.cfg.node_name, uuid::Uuid::new_v4().simple());
        let deadline = Instant::now() + wait;
        let mut asked = false;
        loop {
            let now = state.clock.now();
            if let Some(taken) = db::uploads::acquire_lease(state.db.pool(), id, &owner, now + LEASE, now).await? {
                return Ok(Self {
                    id,
                    owner,
                    taken,
                    released: AtomicBool::new(false),
                });
            }
            if !asked {
                if db::uploads::find(state.db.pool(), id).await?.is_none() {
                    return Err(UploadError::NotFound);
                }
                db::uploads::request_release(state.db.pool(), id).await?;
                asked = true;
            }
            if Instant::now() >= deadline {
                return Err(UploadError::Locked);
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Starts beating: the lease is renewed every `HEARTBEAT` until the heartbeat is
    /// dropped. A renewal the database cannot take is tried again at the next beat, until
    /// the lease could look stale to another node: then the writer is told it lost it.
    pub(crate) fn heartbeat(&self, state: &AppState) -> Heartbeat {
        let (tx, beat) = watch::channel(Beat::Held);
        let (state, id, owner) = (state.clone(), self.id, self.owner.clone());
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval_at(Instant::now() + HEARTBEAT, HEARTBEAT);
            tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
            let mut renewed = Instant::now();
            loop {
                tick.tick().await;
                let until = state.clock.now() + LEASE;
                match db::uploads::renew_lease(state.db.pool(), id, &owner, until).await {
                    Ok(Some(false)) => renewed = Instant::now(),
                    Ok(Some(true)) => {
                        renewed = Instant::now();
                        tx.send_replace(Beat::ReleaseAsked);
                    }
                    Ok(None) => {
                        tx.send_replace(Beat::Lost);
                        return;
                    }
                    // Past the point where another node may see the lease as stale, this
                    // writer stops on its own rather than write beside a new one.
                    Err(e) if renewed.elapsed() + HEARTBEAT >= LEASE => {
                        tracing::warn!(upload = %id, error = %e, "upload lease not renewed in time; the writer stops");
                        tx.send_replace(Beat::Lost);
                        return;
                    }
                    Err(e) => tracing::warn!(upload = %id, error = %e, "cannot renew an upload lease; trying again"),
                }
            }
        });
        Heartbeat { beat, task }
    }

    /// `upload`, read before the lease was taken, as it stands under the lease: the
    /// previous holder may have recorded more in between.
    pub(crate) fn current(&self, upload: UploadRow) -> UploadRow {
        upload.taken(&self.taken)
    }

    /// Whether the upload's file went to the trash before the lease was taken.
    pub(crate) fn file_trashed(&self) -> bool {
        !self.taken.file_live
    }

    /// A commit let the lease go: there is nothing left to release.
    pub(crate) fn mark_released(&self) {
        self.released.store(true, Ordering::Release);
    }

    pub async fn release(&self, state: &AppState) {
        if self.released.load(Ordering::Acquire) {
            return;
        }
        if let Err(e) = db::uploads::release_lease(state.db.pool(), self.id, &self.owner).await {
            // Not fatal: the lease expires on its own.
            tracing::warn!(upload = %self.id, error = %e, "cannot release upload lease");
        }
    }
}
