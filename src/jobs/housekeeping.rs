//! Periodic work on what expires: sessions, single-use links, finished jobs, abandoned
//! uploads, and reminders of deliveries about to expire. Every node runs it; deletes are
//! idempotent and each reminder is claimed once, so running it twice costs nothing.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::db::{self, DbError};
use crate::domain::DAY;
use crate::state::AppState;
use crate::transfers::{TransferError, lifecycle};
use crate::uploads::UploadError;

const EVERY: Duration = Duration::from_secs(600);
/// Appointment reminders are looked for more often: "24 h before" should not be ten
/// minutes late.
const REMINDERS_EVERY: Duration = Duration::from_secs(60);
/// Finished jobs stay visible this long, for the studio and for diagnosis.
const KEEP_FINISHED_JOBS: Duration = Duration::from_secs(7 * 24 * 3600);
/// Expired or used links are kept a while so "this link was already used" stays true.
const KEEP_SPENT_LINKS: Duration = Duration::from_secs(30 * 24 * 3600);
/// Sent emails keep their bodies (links already blanked) this long, for the studio's
/// questions ("did they get it?"); then only who was sent what, and when, stays.
const KEEP_SENT_BODIES: Duration = Duration::from_secs(90 * 24 * 3600);
/// The quote site's `webhook-id`s are remembered at least this long (its retries stop
/// well before).
const KEEP_REQUEST_IDS: Duration = Duration::from_secs(8 * 24 * 3600);
/// The integration call log the studio reads.
const KEEP_CALLS: Duration = Duration::from_secs(90 * 24 * 3600);

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub links: u64,
    pub jobs: u64,
    /// Abandoned uploads, with what storage held for them.
    pub uploads: u64,
    /// Clients reminded of a delivery about to expire.
    pub reminders: usize,
    /// Forgotten `webhook-id`s and integration calls.
    pub integration: u64,
    /// Sent emails whose bodies were emptied.
    pub email_bodies: u64,
    /// Videos' web copies left waiting with no job to make them, marked failed.
    pub web_copies: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Uploads(#[from] UploadError),
    #[error(transparent)]
    Transfers(#[from] TransferError),
}

pub async fn sweep(state: &AppState) -> Result<Swept, SweepError> {
    let (db, now) = (&state.db, state.clock.now());
    Ok(Swept {
        sessions: db::sessions::purge_expired(db.pool(), now).await?
            + db::guest_links::forget_expired(db.pool(), now, now - DAY).await?,
        links: db::links::purge(db.pool(), now - KEEP_SPENT_LINKS).await?,
        email_bodies: db::emails::purge_sent_bodies(db.pool(), now - KEEP_SENT_BODIES).await?,
        jobs: db::jobs::purge_finished(db.pool(), now - KEEP_FINISHED_JOBS).await?,
        uploads: crate::uploads::reap_expired(state).await?,
        web_copies: db::files::fail_orphan_web_copies(db.pool(), now).await?,
        reminders: lifecycle::send_expiry_reminders(state).await?,
        integration: db::integrations::purge_requests(db.pool(), now - KEEP_REQUEST_IDS).await?
            + db::integrations::purge_calls(db.pool(), now - KEEP_CALLS).await?,
    })
}

pub async fn run(state: AppState, shutdown: CancellationToken) {
    let reminders = {
        let (state, shutdown) = (state.clone(), shutdown.clone());
        tokio::spawn(async move {
            loop {
                match crate::appointments::reminders::send_due(&state).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(reminders = n, "appointment reminders queued"),
                    Err(e) => tracing::warn!(error = %e, "appointment reminders failed; will try again"),
                }
                match crate::guests::announce_quiet_batches(&state).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(files = n, "guests' finished batches announced"),
                    Err(e) => tracing::warn!(error = %e, "announcing guests' batches failed; will try again"),
                }
                if let Err(e) = crate::digest::send_if_due(&state).await {
                    tracing::warn!(error = %e, "the daily digest failed; will try again");
                }
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    _ = tokio::time::sleep(REMINDERS_EVERY) => {}
                }
            }
        })
    };
    run_sweeps(state, shutdown).await;
    let _ = reminders.await;
}

async fn run_sweeps(state: AppState, shutdown: CancellationToken) {
    loop {
        match sweep(&state).await {
            Ok(swept) if swept != Swept::default() => tracing::info!(?swept, "housekeeping"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "housekeeping failed; will try again"),
        }
        match crate::trash::apply_retention(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(moved = n, "retention rules moved old things to the trash"),
            Err(e) => tracing::warn!(error = %e, "applying the retention rules failed; will try again"),
        }
        match crate::trash::purge_due(&state).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(purged = n, "trash emptied of what was past its time"),
            Err(e) => tracing::warn!(error = %e, "emptying the trash failed; will try again"),
        }
        if let Err(e) = crate::backup::schedule::tick(&state).await {
            tracing::warn!(error = %e, "scheduling backups failed; will try again");
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}
