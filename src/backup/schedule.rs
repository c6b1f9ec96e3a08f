//! The daily backup and the weekly restore drill. Every node's housekeeping calls `tick`;
//! the first to claim a day's slot in `backup_runs` queues the job, so exactly one node
//! runs it (the job queue's lease keeps it going or hands it over). A failure emails the
//! studio once, until a run succeeds again.

use std::io::BufReader;

use async_trait::async_trait;

use super::{BackupError, Target, dump, snapshot_path};
use crate::db::{self, Db};
use crate::domain::Timestamp;
use crate::jobs::{JobError, JobHandler};
use crate::mail::{self, notices};
use crate::state::AppState;

pub const BACKUP_KIND: &str = "backup";
pub const DRILL_KIND: &str = "backup_drill";

#[derive(serde::Serialize, serde::Deserialize)]
struct Payload {
    run: String,
}

/// The day a scheduled backup is for, once its time has come: `2026-12-06`.
pub fn daily_slot(now: Timestamp, at: (u8, u8)) -> Option<String> {
    let t = now.to_offset_date_time()?;
    let due = (t.hour(), t.minute()) >= at;
    due.then(|| format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day()))
}

/// The ISO week a time falls in: `2026-W49`.
pub fn weekly_slot(at: Timestamp) -> Option<String> {
    let t = at.to_offset_date_time()?;
    let (year, week, _) = t.date().to_iso_week_date();
    Some(format!("{year:04}-W{week:02}"))
}

/// Queues what is due: today's backup once its time has come, and this week's drill
/// once this week has a good backup.
pub async fn tick(state: &AppState) -> Result<(), BackupError> {
    let Some(target) = &state.cfg.backup.target else {
        return Ok(());
    };
    let (db, now) = (&state.db, state.clock.now());
    let shown = target.to_string();
    if let Some(day) = daily_slot(now, state.cfg.backup.at) {
        claim_and_queue(state, "backup", BACKUP_KIND, &day, &shown, now).await?;
    }
    let (_, good) = db::backups::latest(db.pool(), "backup").await?;
    let week = weekly_slot(now);
    if let (Some(good), Some(week)) = (good, week)
        && good.finished_at.and_then(weekly_slot).as_ref() == Some(&week)
    {
        claim_and_queue(state, "drill", DRILL_KIND, &week, &shown, now).await?;
    }
    Ok(())
}

async fn claim_and_queue(
    state: &AppState,
    kind: &str,
    job: &str,
    slot: &str,
    target: &str,
    now: Timestamp,
) -> Result<(), BackupError> {
    let mut tx = state.db.begin().await?;
    if let Some(run) = db::backups::claim_slot(&mut *tx, kind, slot, target, now).await? {
        crate::jobs::enqueue(&mut *tx, job, &Payload { run }, 1, now).await?;
        tx.commit().await?;
        state.jobs_queued();
        tracing::info!(kind, slot, target, "scheduled");
    }
    Ok(())
}

/// Runs the backup of a claimed slot, and records how it went.
pub struct BackupJob {
    pub state: AppState,
}

#[async_trait]
impl JobHandler for BackupJob {
    fn kind(&self) -> &'static str {
        BACKUP_KIND
    }

    fn max_attempts(&self) -> i64 {
        // Tomorrow's run is the retry; a failure is told to the studio instead.
        1
    }

    async fn run(&self, payload: &str) -> Result<(), JobError> {
        let Payload { run } =
            serde_json::from_str(payload).map_err(|e| JobError::Fatal(format!("bad payload: {e}")))?;
        let state = &self.state;
        let outcome = match open(state) {
            Ok(target) => super::run::backup(&state.cfg, &state.db, state.blobs.as_ref(), &target, &state.clock)
                .await
                .map(|r| (r.snapshot.id.clone(), summary(&r))),
            Err(e) => Err(e),
        };
        record(state, &run, false, outcome).await
    }
}

/// Restores the newest snapshot into a scratch SQLite database and checks a sample of its
/// objects on the target.
pub struct DrillJob {
    pub state: AppState,
}

#[async_trait]
impl JobHandler for DrillJob {
    fn kind(&self) -> &'static str {
        DRILL_KIND
    }

    fn max_attempts(&self) -> i64 {
        1
    }

    async fn run(&self, payload: &str) -> Result<(), JobError> {
        let Payload { run } =
            serde_json::from_str(payload).map_err(|e| JobError::Fatal(format!("bad payload: {e}")))?;
        let state = &self.state;
        let outcome = match open(state) {
            Ok(target) => drill(state, &target).await,
            Err(e) => Err(e),
        };
        record(state, &run, true, outcome).await
    }
}

fn open(state: &AppState) -> Result<Target, BackupError> {
    let spec = state
        .cfg
        .backup
        .target
        .as_ref()
        .ok_or_else(|| BackupError::Refused("backup.target is no longer set".into()))?;
    Target::open(spec, &state.cfg)
}

pub fn summary(r: &super::run::Report) -> String {
    format!(
        "{} objects ({}), copied {} ({}), {} already there",
        r.snapshot.objects,
        super::human(r.snapshot.bytes),
        r.copied,
        super::human(r.copied_bytes),
        r.reused
    )
}

/// Restores the newest snapshot's database into a scratch SQLite file (every row must
/// load, in the counts `snapshot.json` gives), and checks a sample of objects.
pub async fn drill(state: &AppState, target: &Target) -> Result<(String, String), BackupError> {
    let snapshot = super::restore::find(target, None).await?;
    let scratch = super::run::Scratch::new(&state.cfg, "drill")?;
    let dump_path = scratch.0.join("database.jsonl.gz");
    super::restore::download(target, &snapshot_path(&snapshot.id, "database.jsonl.gz"), &dump_path).await?;
    let got = super::run::hash_file(&dump_path)?;
    if got != snapshot.database_sha256 {
        return Err(BackupError::Damaged(format!(
            "database.jsonl.gz of {} has SHA-256 {got}, snapshot.json says {}",
            snapshot.id, snapshot.database_sha256
        )));
    }
    let scratch_db = crate::config::DatabaseConfig {
        url: crate::config::sqlite_url(&scratch.0.join("drill.db")).into(),
        kind: crate::config::DatabaseKind::Sqlite,
        max_connections: 1,
    };
    let db = Db::connect(&scratch_db).await?;
    let counts = {
        db.migrate_to(snapshot.schema_version).await?;
        let mut tx = db.begin().await?;
        let file = std::fs::File::open(&dump_path).map_err(BackupError::io(&dump_path))?;
        let reader = BufReader::new(flate2::read::GzDecoder::new(BufReader::new(file)));
        let counts = dump::read_all(&mut tx, db.backend(), reader).await?;
        tx.commit().await?;
        counts
    };
    db.close().await;
    if counts != snapshot.rows {
        return Err(BackupError::Damaged(format!(
            "snapshot {} restored other row counts than it recorded",
            snapshot.id
        )));
    }
    let findings = super::verify::target(target, Some(&snapshot.id), false).await?;
    if !findings.problems.is_empty() {
        return Err(BackupError::Damaged(findings.problems.join("\n")));
    }
    Ok((
        snapshot.id.clone(),
        format!(
            "{} rows restored into a scratch database, {} of {} objects checked against their SHA-256",
            counts.iter().map(|(_, n)| n).sum::<u64>(),
            findings.hashed,
            findings.checked
        ),
    ))
}

/// Writes how a run went, and tells the studio about a failure (once).
async fn record(
    state: &AppState,
    run: &str,
    drill: bool,
    outcome: Result<(String, String), BackupError>,
) -> Result<(), JobError> {
    let now = state.clock.now();
    let retry = |e: db::DbError| JobError::Retry(e.to_string());
    match outcome {
        Ok((snapshot, detail)) => {
            db::backups::finish(state.db.pool(), run, true, Some(&snapshot), &detail, now)
                .await
                .map_err(retry)?;
            tracing::info!(run, %snapshot, %detail, drill, "backup run succeeded");
            Ok(())
        }
        Err(e) => {
            let detail = e.to_string();
            tracing::error!(run, %detail, drill, "backup run failed");
            db::backups::finish(state.db.pool(), run, false, None, &detail, now)
                .await
                .map_err(retry)?;
            alert(state, run, drill, &detail).await.map_err(retry)
        }
    }
}

async fn alert(state: &AppState, run: &str, drill: bool, detail: &str) -> Result<(), db::DbError> {
    let kind = if drill { "drill" } else { "backup" };
    if db::backups::alerted_since_last_success(state.db.pool(), kind).await? {
        return Ok(());
    }
    let Some(row) = db::backups::find(state.db.pool(), run).await? else {
        return Ok(());
    };
    let now = state.clock.now();
    let studio = state.studio.name().await?;
    let link = state
        .cfg
        .public_url
        .join("studio")
        .map(String::from)
        .unwrap_or_default();
    let mut tx = state.db.begin().await?;
    if !db::backups::mark_alerted(&mut *tx, run).await? {
        return Ok(());
    }
    for member in db::users::active_with_role(&mut *tx, crate::domain::Role::Studio).await? {
        let to = notices::Recipient::of(&member);
        let email = notices::backup_failed(&to, &studio, drill, &row.target, detail, &link)
            .map_err(|e| db::DbError::Corrupt(format!("backup email: {e}")))?;
        mail::queue(&mut tx, &state.mailer, &email, Some(member.id), now).await?;
    }
    tx.commit().await?;
    state.jobs_queued();
    Ok(())
}
