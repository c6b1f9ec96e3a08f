//! Claims jobs and runs them with bounded concurrency; stops cleanly on shutdown.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tracing::Instrument;

use tokio::sync::{Notify, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::{JobError, JobHandler, backoff};
use crate::clock::Clock;
use crate::db::jobs::ClaimedJob;
use crate::db::{self, Db, DbError};
use crate::domain::Timestamp;

/// A lease lasts this long unless renewed; a dead worker's jobs are taken over after it.
const LEASE: Duration = Duration::from_secs(60);
/// Renewal period: several renewals fit in one lease, so one slow database round trip
/// does not lose it.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// Longest sleep when the queue is empty; other nodes may queue jobs we are not told of.
const IDLE_POLL: Duration = Duration::from_secs(2);
/// On shutdown, running jobs get this long to finish; after that their leases expire
/// and they run again elsewhere.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(25);

/// What happened to one claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOutcome {
    Done {
        id: String,
        kind: String,
    },
    Retrying {
        id: String,
        kind: String,
        error: String,
    },
    Failed {
        id: String,
        kind: String,
        error: String,
    },
    Deferred {
        id: String,
        kind: String,
        run_at: Timestamp,
    },
}

pub struct JobRunner {
    db: Db,
    clock: Clock,
    handlers: HashMap<&'static str, Arc<dyn JobHandler>>,
    /// Unique per process, so a lease names its holder.
    owner: String,
    concurrency: usize,
    wake: Arc<Notify>,
}

impl JobRunner {
    pub fn new(db: Db, clock: Clock, node: &str, concurrency: usize, wake: Arc<Notify>) -> Self {
        Self {
            db,
            clock,
            handlers: HashMap::new(),
            owner: format!("{node}/{}", uuid::Uuid::new_v4().simple()),
            concurrency: concurrency.max(1),
            wake,
        }
    }

    pub fn register(&mut self, handler: Arc<dyn JobHandler>) {
        self.handlers.insert(handler.kind(), handler);
    }

    /// Claims and runs one due job, if there is one. Tests call this (or
    /// [`Self::run_until_idle`]) instead of sleeping.
    pub async fn run_one(&self) -> Result<Option<RunOutcome>, DbError> {
        let now = self.clock.now();
        let Some(job) = db::jobs::claim(&self.db, &self.owner, now + LEASE, now).await? else {
            return Ok(None);
        };
        Ok(Some(self.execute(job).await?))
    }

    /// Runs due jobs one after the other until none is left.
    pub async fn run_until_idle(&self) -> Result<Vec<RunOutcome>, DbError> {
        let mut outcomes = Vec::new();
        while let Some(outcome) = self.run_one().await? {
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }

    async fn execute(&self, job: ClaimedJob) -> Result<RunOutcome, DbError> {
        let (id, kind) = (job.id.clone(), job.kind.clone());
        let result = if job.attempts > job.max_attempts {
            // The job was claimed again after its worker's lease expired, more times than
            // allowed: it probably kills whatever runs it.
            Err(JobError::Fatal(format!(
                "gave up after {} attempts whose workers stopped responding",
                job.max_attempts
            )))
        } else {
            match self.handlers.get(job.kind.as_str()) {
                None => Err(JobError::Fatal(format!("no handler for job kind {:?}", job.kind))),
                Some(handler) => self.run_with_heartbeat(handler.as_ref(), &job).await,
            }
        };
        let now = self.clock.now();
        let outcome = match result {
            Ok(()) => {
                db::jobs::complete(self.db.pool(), &id, &self.owner, now).await?;
                RunOutcome::Done { id, kind }
            }
            Err(JobError::Later(run_at)) => {
                db::jobs::defer(self.db.pool(), &id, &self.owner, run_at, now).await?;
                RunOutcome::Deferred { id, kind, run_at }
            }
            Err(JobError::Retry(error)) if job.attempts < job.max_attempts => {
                let run_at = now + backoff(job.attempts);
                tracing::warn!(job = %id, %kind, attempt = job.attempts, %error, "job failed; will retry");
                db::jobs::retry_later(self.db.pool(), &id, &self.owner, run_at, &error, now).await?;
                RunOutcome::Retrying { id, kind, error }
            }
            Err(JobError::Retry(error) | JobError::Fatal(error)) => {
                tracing::error!(job = %id, %kind, attempt = job.attempts, %error, "job failed for good");
                db::jobs::fail(self.db.pool(), &id, &self.owner, &error, now).await?;
                RunOutcome::Failed { id, kind, error }
            }
        };
        Ok(outcome)
    }

    async fn run_with_heartbeat(&self, handler: &dyn JobHandler, job: &ClaimedJob) -> Result<(), JobError> {
        // Storage and mail work done for this job logs inside its span.
        let span = tracing::info_span!("job", kind = %job.kind, id = %job.id, attempt = job.attempts);
        let work = handler.run(&job.payload).instrument(span);
        tokio::pin!(work);
        let mut beat = tokio::time::interval(HEARTBEAT);
        beat.tick().await;
        loop {
            tokio::select! {
                result = &mut work => return result,
                _ = beat.tick() => {
                    let until = self.clock.now() + LEASE;
                    match db::jobs::heartbeat(self.db.pool(), &job.id, &self.owner, until).await {
                        Ok(true) => {}
                        Ok(false) => tracing::warn!(job = %job.id, "lease lost; another worker may run this job too"),
                        Err(e) => tracing::warn!(job = %job.id, error = %e, "cannot renew lease"),
                    }
                }
            }
        }
    }

    /// Runs jobs until `shutdown` fires, at most `concurrency` at a time.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let slots = Arc::new(Semaphore::new(self.concurrency));
        let tracker = TaskTracker::new();
        tracing::info!(owner = %self.owner, concurrency = self.concurrency, "job runner started");
        loop {
            let permit = tokio::select! {
                _ = shutdown.cancelled() => break,
                permit = slots.clone().acquire_owned() => match permit {
                    Ok(p) => p,
                    Err(_) => break,
                },
            };
            let now = self.clock.now();
            match db::jobs::claim(&self.db, &self.owner, now + LEASE, now).await {
                Ok(Some(job)) => {
                    let runner = self.clone();
                    tracker.spawn(async move {
                        if let Err(e) = runner.execute(job).await {
                            tracing::error!(error = %e, "cannot record a job's outcome; its lease will expire and it will run again");
                        }
                        drop(permit);
                    });
                }
                Ok(None) => {
                    drop(permit);
                    // Until the next job falls due (a paced email's slot is milliseconds
                    // away), at most IDLE_POLL: jobs queued by other nodes are seen then.
                    let nap = match db::jobs::next_due(self.db.pool()).await {
                        Ok(Some(at)) => (at - now).min(IDLE_POLL),
                        _ => IDLE_POLL,
                    };
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = self.wake.notified() => {}
                        _ = tokio::time::sleep(nap.max(Duration::from_millis(1))) => {}
                    }
                }
                Err(e) => {
                    drop(permit);
                    tracing::warn!(error = %e, "cannot claim jobs; retrying shortly");
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tokio::time::sleep(IDLE_POLL * 2) => {}
                    }
                }
            }
        }
        tracker.close();
        if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait()).await.is_err() {
            tracing::warn!("jobs still running at shutdown; they will be taken over when their leases expire");
        }
        tracing::info!("job runner stopped");
    }
}
