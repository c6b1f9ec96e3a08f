//! SQL of the job queue. The queue's rules (backoff, attempt cap) live in `crate::jobs`.

use sqlx::{Any, Executor, FromRow};

use super::{Backend, Db, DbError};
use crate::domain::Timestamp;

pub struct NewJob<'a> {
    pub kind: &'a str,
    pub payload: String,
    pub max_attempts: i64,
    pub run_at: Timestamp,
}

/// A job this worker holds a lease on.
#[derive(Debug, Clone, FromRow)]
pub struct ClaimedJob {
    pub id: String,
    pub kind: String,
    pub payload: String,
    /// Including the current one.
    pub attempts: i64,
    pub max_attempts: i64,
}

#[derive(Debug, Clone, FromRow, PartialEq, Eq)]
pub struct JobRecord {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub attempts: i64,
    pub run_at: Timestamp,
    pub last_error: Option<String>,
}

pub async fn enqueue<'e>(
    ex: impl Executor<'e, Database = Any>,
    job: NewJob<'_>,
    now: Timestamp,
) -> Result<String, DbError> {
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query(
        "INSERT INTO jobs (id, kind, payload, status, attempts, max_attempts, run_at, created_at, updated_at) \
         VALUES ($1, $2, $3, 'queued', 0, $4, $5, $6, $6)",
    )
    .bind(&id)
    .bind(job.kind)
    .bind(job.payload)
    .bind(job.max_attempts)
    .bind(job.run_at)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(id)
}

// A job is claimable when it is queued and due, or when it is running under a lease that
// has expired (its worker died or hung). The claim is one statement: on SQLite the single
// writer makes it atomic; on PostgreSQL `FOR UPDATE SKIP LOCKED` lets concurrent nodes
// each take a different job without waiting on one another.
const CLAIM_SQLITE: &str = "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = $1, \
     lease_expires_at = $2, updated_at = $3 \
     WHERE id = (SELECT id FROM jobs WHERE (status = 'queued' AND run_at <= $3) \
                 OR (status = 'running' AND lease_expires_at < $3) ORDER BY run_at, id LIMIT 1) \
     RETURNING id, kind, payload, attempts, max_attempts";
const CLAIM_POSTGRES: &str = "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_owner = $1, \
     lease_expires_at = $2, updated_at = $3 \
     WHERE id = (SELECT id FROM jobs WHERE (status = 'queued' AND run_at <= $3) \
                 OR (status = 'running' AND lease_expires_at < $3) ORDER BY run_at, id LIMIT 1 \
                 FOR UPDATE SKIP LOCKED) \
     RETURNING id, kind, payload, attempts, max_attempts";

pub async fn claim(
    db: &Db,
    owner: &str,
    lease_until: Timestamp,
    now: Timestamp,
) -> Result<Option<ClaimedJob>, DbError> {
    let sql = match db.backend() {
        Backend::Sqlite => CLAIM_SQLITE,
        Backend::Postgres => CLAIM_POSTGRES,
    };
    Ok(sqlx::query_as(sql)
        .bind(owner)
        .bind(lease_until)
        .bind(now)
        .fetch_optional(db.pool())
        .await?)
}

/// Extends a lease; false if the lease was lost (another worker took the job over).
pub async fn heartbeat<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    owner: &str,
    lease_until: Timestamp,
) -> Result<bool, DbError> {
    let done =
        sqlx::query("UPDATE jobs SET lease_expires_at = $1 WHERE id = $2 AND lease_owner = $3 AND status = 'running'")
            .bind(lease_until)
            .bind(id)
            .bind(owner)
            .execute(ex)
            .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn complete<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    owner: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'done', lease_owner = NULL, lease_expires_at = NULL, finished_at = $1, updated_at = $1 \
         WHERE id = $2 AND lease_owner = $3 AND status = 'running'",
    )
    .bind(now)
    .bind(id)
    .bind(owner)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Puts the job back in the queue to run again at `run_at`.
pub async fn retry_later<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    owner: &str,
    run_at: Timestamp,
    error: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, run_at = $1, last_error = $2, \
         updated_at = $3 WHERE id = $4 AND lease_owner = $5 AND status = 'running'",
    )
    .bind(run_at)
    .bind(error)
    .bind(now)
    .bind(id)
    .bind(owner)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Puts the job back in the queue for `run_at`, giving back the attempt its claim took.
pub async fn defer<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    owner: &str,
    run_at: Timestamp,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, run_at = $1, \
         attempts = attempts - 1, updated_at = $2 WHERE id = $3 AND lease_owner = $4 AND status = 'running'",
    )
    .bind(run_at)
    .bind(now)
    .bind(id)
    .bind(owner)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn fail<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    owner: &str,
    error: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'failed', lease_owner = NULL, lease_expires_at = NULL, last_error = $1, \
         finished_at = $2, updated_at = $2 WHERE id = $3 AND lease_owner = $4 AND status = 'running'",
    )
    .bind(error)
    .bind(now)
    .bind(id)
    .bind(owner)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find<'e>(ex: impl Executor<'e, Database = Any>, id: &str) -> Result<Option<JobRecord>, DbError> {
    Ok(
        sqlx::query_as("SELECT id, kind, status, attempts, run_at, last_error FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(ex)
            .await?,
    )
}

/// The earliest time a queued job becomes due, so an idle runner knows how long to sleep.
pub async fn next_due<'e>(ex: impl Executor<'e, Database = Any>) -> Result<Option<Timestamp>, DbError> {
    let (next,): (Option<Timestamp>,) = sqlx::query_as(
        "SELECT MIN(CASE WHEN status = 'queued' THEN run_at ELSE lease_expires_at END) FROM jobs \
         WHERE status IN ('queued', 'running')",
    )
    .fetch_one(ex)
    .await?;
    Ok(next)
}

/// Forgets jobs that finished (done or failed) before `before`.
pub async fn purge_finished<'e>(ex: impl Executor<'e, Database = Any>, before: Timestamp) -> Result<u64, DbError> {
    let done = sqlx::query("DELETE FROM jobs WHERE status IN ('done', 'failed') AND finished_at < $1")
        .bind(before)
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}

/// Puts back in the queue the jobs a previous run of this node was running.
pub async fn release_node_leases<'e>(
    ex: impl Executor<'e, Database = Any>,
    node: &str,
    now: Timestamp,
) -> Result<u64, DbError> {
    let done = sqlx::query(
        "UPDATE jobs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, updated_at = $1 \
         WHERE status = 'running' AND lease_owner LIKE $2",
    )
    .bind(now)
    .bind(format!("{node}/%"))
    .execute(ex)
    .await?;
    Ok(done.rows_affected())
}

/// The unfinished jobs of one kind, for the metrics.
#[derive(Debug, Clone, FromRow)]
pub struct QueueRow {
    pub kind: String,
    pub waiting: i64,
    pub scheduled: i64,
    pub running: i64,
    /// When the oldest due job became due.
    pub oldest_waiting: Option<Timestamp>,
}

/// Unfinished jobs by kind: due and waiting, due later, running.
pub async fn queue_by_kind<'e>(
    ex: impl Executor<'e, Database = Any>,
    now: Timestamp,
) -> Result<Vec<QueueRow>, DbError> {
    Ok(sqlx::query_as(
        "SELECT kind, \
         COALESCE(SUM(CASE WHEN status = 'queued' AND run_at <= $1 THEN 1 ELSE 0 END), 0) AS waiting, \
         COALESCE(SUM(CASE WHEN status = 'queued' AND run_at > $1 THEN 1 ELSE 0 END), 0) AS scheduled, \
         COALESCE(SUM(CASE WHEN status = 'running' THEN 1 ELSE 0 END), 0) AS running, \
         MIN(CASE WHEN status = 'queued' AND run_at <= $1 THEN run_at END) AS oldest_waiting \
         FROM jobs WHERE status IN ('queued', 'running') GROUP BY kind ORDER BY kind",
    )
    .bind(now)
    .fetch_all(ex)
    .await?)
}
