//! The persistent job queue: work that must happen even if this process dies now
//! (emails, and later thumbnails, expiry, backups). Jobs live in the database; a worker
//! leases a job, heartbeats while it works, and a job whose lease expires is taken again.

pub mod housekeeping;
pub mod password_reset;
pub mod runner;

use std::time::Duration;

use async_trait::async_trait;
use sqlx::{Any, Executor};

use crate::db::{self, DbError};
use crate::domain::Timestamp;

pub use runner::{JobRunner, RunOutcome};

/// How a job failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth retrying later: a server down, a timeout.
    #[error("{0}")]
    Retry(String),
    /// Will never succeed: bad payload, record gone.
    #[error("{0}")]
    Fatal(String),
    /// Not failed, not yet time: run again at this time, without counting an attempt
    /// (a paced email waiting for its slot).
    #[error("waits until {}", .0.as_millis())]
    Later(Timestamp),
}

impl From<DbError> for JobError {
    fn from(e: DbError) -> Self {
        JobError::Retry(e.to_string())
    }
}

/// Code that runs one kind of job.
#[async_trait]
pub trait JobHandler: Send + Sync + 'static {
    fn kind(&self) -> &'static str;

    /// Attempts before the job is marked failed.
    fn max_attempts(&self) -> i64 {
        10
    }

    async fn run(&self, payload: &str) -> Result<(), JobError>;
}

/// Delay before attempt `n + 1` after `n` failures: 5 s doubling to one hour, with
/// jitter so jobs that failed together do not retry together.
pub fn backoff(attempts: i64) -> Duration {
    let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    let base = Duration::from_secs(5)
        .saturating_mul(2u32.saturating_pow(exp))
        .min(Duration::from_secs(3600));
    let jitter = rand::random_range(0.8..1.2);
    base.mul_f64(jitter)
}

/// Queues a job. Pass the caller's transaction so that the job exists exactly when the
/// event that caused it does.
pub async fn enqueue<'e>(
    ex: impl Executor<'e, Database = Any>,
    kind: &str,
    payload: &impl serde::Serialize,
    max_attempts: i64,
    now: Timestamp,
) -> Result<String, DbError> {
    let payload = serde_json::to_string(payload).map_err(|e| DbError::Corrupt(format!("job payload: {e}")))?;
    db::jobs::enqueue(
        ex,
        db::jobs::NewJob {
            kind,
            payload,
            max_attempts,
            run_at: now,
        },
        now,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_then_caps_at_an_hour() {
        assert!(backoff(1) >= Duration::from_secs(4) && backoff(1) <= Duration::from_secs(6));
        assert!(backoff(4) >= Duration::from_secs(32));
        assert!(backoff(50) <= Duration::from_secs(4320));
    }
}
