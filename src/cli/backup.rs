//! `relais backup`, `relais restore` and `relais verify`.

use clap::Args;

use super::Failure;
use crate::backup::{self, BackupError, Target, human};
use crate::clock::Clock;
use crate::config::{BackupTarget, Config};
use crate::db::Db;

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// A directory or s3://bucket/prefix (default: backup.target).
    #[arg(long, value_name = "TARGET")]
    to: Option<String>,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// The directory or s3://bucket/prefix holding the backups.
    #[arg(long, value_name = "TARGET")]
    from: String,
    /// The snapshot to restore (default: the newest complete one).
    #[arg(long, value_name = "ID")]
    snapshot: Option<String>,
    /// Restore even into a database or storage that is not empty, replacing its rows.
    #[arg(long)]
    force: bool,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Check a backup target against its manifest instead of live storage.
    #[arg(long, value_name = "TARGET")]
    from: Option<String>,
    /// With --from: the snapshot to check (default: the newest complete one).
    #[arg(long, value_name = "ID", requires = "from")]
    snapshot: Option<String>,
    /// Check the SHA-256 of every object, not of a sample.
    #[arg(long)]
    full: bool,
}

fn fail(e: BackupError) -> Failure {
    Failure::Other(e.to_string())
}

fn open_target(cfg: &Config, given: Option<&str>) -> Result<Target, Failure> {
    open_target_for(cfg, given, false)
}

fn open_source(cfg: &Config, given: &str) -> Result<Target, Failure> {
    open_target_for(cfg, Some(given), true)
}

fn open_target_for(cfg: &Config, given: Option<&str>, existing: bool) -> Result<Target, Failure> {
    let spec = match given {
        Some(text) => BackupTarget::parse(text).map_err(|e| Failure::Other(format!("target {text:?}: {e}")))?,
        None => cfg.backup.target.clone().ok_or_else(|| {
            Failure::Other("no backup target: pass --to DIR (or s3://bucket/prefix), or set backup.target".into())
        })?,
    };
    if existing {
        Target::open_existing(&spec, cfg).map_err(fail)
    } else {
        Target::open(&spec, cfg).map_err(fail)
    }
}

pub async fn backup(cfg: Config, args: BackupArgs) -> Result<(), Failure> {
    let target = open_target(&cfg, args.to.as_deref())?;
    let state = super::command_state(cfg).await?;
    let clock = Clock::system();
    // Recorded like a scheduled run, so the studio's dashboard shows it.
    let run = crate::db::backups::start_manual(state.db.pool(), "backup", target.shown(), clock.now())
        .await
        .map_err(|e| Failure::Other(e.to_string()))?;
    let outcome = backup::run::backup(&state.cfg, &state.db, state.blobs.as_ref(), &target, &clock).await;
    let (ok, snapshot, detail) = match &outcome {
        Ok(r) => (true, Some(r.snapshot.id.as_str()), backup::schedule::summary(r)),
        Err(e) => (false, None, e.to_string()),
    };
    crate::db::backups::finish(state.db.pool(), &run, ok, snapshot, &detail, clock.now())
        .await
        .map_err(|e| Failure::Other(e.to_string()))?;
    let report = outcome.map_err(fail)?;
    let s = &report.snapshot;
    println!(
        "backup to {}: {} objects ({}), {} rows; copied {} ({}), {} already there",
        target.shown(),
        s.objects,
        human(s.bytes),
        s.rows.iter().map(|(_, n)| n).sum::<u64>(),
        report.copied,
        human(report.copied_bytes),
        report.reused
    );
    if !report.pruned_snapshots.is_empty() || report.pruned_objects > 0 {
        println!(
            "retention removed {} snapshot(s) ({}) and {} object(s) no kept snapshot needs",
            report.pruned_snapshots.len(),
            report.pruned_snapshots.join(", "),
            report.pruned_objects
        );
    }
    println!("{}", s.id);
    Ok(())
}

pub async fn restore(cfg: Config, args: RestoreArgs) -> Result<(), Failure> {
    let target = open_source(&cfg, &args.from)?;
    std::fs::create_dir_all(&cfg.data_dir)
        .map_err(|e| Failure::Other(format!("cannot create data_dir {}: {e}", cfg.data_dir.display())))?;
    // Not migrated here: the rows go into the schema they were read from.
    let db = Db::connect(&cfg.database)
        .await
        .map_err(|e| Failure::Other(e.to_string()))?;
    let blobs = relais_storage::open(&cfg.storage).map_err(|e| Failure::Other(format!("storage: {e}")))?;
    let scratch = backup::run::Scratch::new(&cfg, "restore").map_err(fail)?;
    let report = backup::restore::restore(
        &db,
        blobs.as_ref(),
        &scratch.0,
        &target,
        args.snapshot.as_deref(),
        args.force,
    )
    .await
    .map_err(fail)?;
    db.close().await;
    println!(
        "restored snapshot {} from {}: {} objects ({}) checked against their SHA-256, {} rows",
        report.snapshot.id,
        target.shown(),
        report.objects,
        human(report.bytes),
        report.rows
    );
    Ok(())
}

pub async fn verify(cfg: Config, args: VerifyArgs) -> Result<(), Failure> {
    let findings = match &args.from {
        Some(from) => {
            let target = open_source(&cfg, from)?;
            backup::verify::target(&target, args.snapshot.as_deref(), args.full)
                .await
                .map_err(fail)?
        }
        None => {
            let state = super::command_state(cfg).await?;
            backup::verify::live(&state.db, state.blobs.as_ref(), args.full)
                .await
                .map_err(fail)?
        }
    };
    for problem in &findings.problems {
        println!("{problem}");
    }
    if findings.problems.is_empty() {
        println!(
            "{} objects checked ({} against their SHA-256): everything matches",
            findings.checked, findings.hashed
        );
        Ok(())
    } else {
        Err(Failure::Other(format!(
            "{} problem(s) among {} objects",
            findings.problems.len(),
            findings.checked
        )))
    }
}
