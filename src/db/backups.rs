//! SQL of `backup_runs`: scheduled and manual backups and restore drills.

use sqlx::{Any, Executor, FromRow};

use super::DbError;
use crate::domain::Timestamp;

#[derive(Debug, Clone, FromRow)]
pub struct Run {
    pub id: String,
    pub kind: String,
    pub slot: Option<String>,
    pub target: String,
    pub started_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub ok: Option<i64>,
    pub snapshot_id: Option<String>,
    pub detail: Option<String>,
    pub alerted: i64,
}

impl Run {
    pub fn succeeded(&self) -> bool {
        self.ok == Some(1)
    }

    pub fn failed(&self) -> bool {
        self.ok == Some(0)
    }
}

const COLUMNS: &str = "id, kind, slot, target, started_at, finished_at, ok, snapshot_id, detail, alerted";

/// Claims the scheduled run of `kind` for `slot`: `Some(id)` for the one caller that
/// claims it, `None` when another node (or an earlier tick) already did.
pub async fn claim_slot<'e>(
    ex: impl Executor<'e, Database = Any>,
    kind: &str,
    slot: &str,
    target: &str,
    now: Timestamp,
) -> Result<Option<String>, DbError> {
    let id = uuid::Uuid::now_v7().to_string();
    let claimed = sqlx::query(
        "INSERT INTO backup_runs (id, kind, slot, target, started_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (kind, slot) DO NOTHING",
    )
    .bind(&id)
    .bind(kind)
    .bind(slot)
    .bind(target)
    .bind(now)
    .execute(ex)
    .await?
    .rows_affected();
    Ok((claimed == 1).then_some(id))
}

/// Records a run started by hand (`relais backup`).
pub async fn start_manual<'e>(
    ex: impl Executor<'e, Database = Any>,
    kind: &str,
    target: &str,
    now: Timestamp,
) -> Result<String, DbError> {
    let id = uuid::Uuid::now_v7().to_string();
    sqlx::query("INSERT INTO backup_runs (id, kind, target, started_at) VALUES ($1, $2, $3, $4)")
        .bind(&id)
        .bind(kind)
        .bind(target)
        .bind(now)
        .execute(ex)
        .await?;
    Ok(id)
}

pub async fn finish<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    ok: bool,
    snapshot_id: Option<&str>,
    detail: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE backup_runs SET finished_at = $1, ok = $2, snapshot_id = $3, detail = $4 WHERE id = $5")
        .bind(now)
        .bind(i64::from(ok))
        .bind(snapshot_id)
        .bind(detail)
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn find<'e>(ex: impl Executor<'e, Database = Any>, id: &str) -> Result<Option<Run>, DbError> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM backup_runs WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(ex)
    .await?)
}

/// The newest finished run of `kind`, and the newest that succeeded.
pub async fn latest<'e>(
    ex: impl Executor<'e, Database = Any> + Copy,
    kind: &str,
) -> Result<(Option<Run>, Option<Run>), DbError> {
    let last = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM backup_runs WHERE kind = $1 AND ok IS NOT NULL ORDER BY finished_at DESC, id DESC LIMIT 1"
    )))
    .bind(kind)
    .fetch_optional(ex)
    .await?;
    let good = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM backup_runs WHERE kind = $1 AND ok = 1 ORDER BY finished_at DESC, id DESC LIMIT 1"
    )))
    .bind(kind)
    .fetch_optional(ex)
    .await?;
    Ok((last, good))
}

/// Marks the failure as told to the studio; false when it already was.
pub async fn mark_alerted<'e>(ex: impl Executor<'e, Database = Any>, id: &str) -> Result<bool, DbError> {
    let done = sqlx::query("UPDATE backup_runs SET alerted = 1 WHERE id = $1 AND alerted = 0")
        .bind(id)
        .execute(ex)
        .await?
        .rows_affected();
    Ok(done == 1)
}

/// Whether a failure of `kind` was already told since the last success (one email per
/// run of bad days, not one a day).
pub async fn alerted_since_last_success<'e>(
    ex: impl Executor<'e, Database = Any> + Copy,
    kind: &str,
) -> Result<bool, DbError> {
    let (_, good) = latest(ex, kind).await?;
    let since = good.and_then(|g| g.finished_at).unwrap_or(Timestamp::MIN);
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM backup_runs WHERE kind = $1 AND alerted = 1 AND finished_at > $2")
            .bind(kind)
            .bind(since)
            .fetch_one(ex)
            .await?;
    Ok(n > 0)
}
