//! `relais restore`: a snapshot into an empty database and empty storage of any backend
//! pair. Everything that can be checked before writing is checked first: the snapshot's
//! files against `snapshot.json`, the manifest's count. Then the objects, each checked
//! against its SHA-256 as it is written; then every table in one transaction, on a schema
//! at the snapshot's version; then the migrations this binary has beyond it, so that
//! their data changes apply to the restored rows too.

use std::io::BufReader;

use relais_storage::{BlobKey, BlobStore};

use super::retention;
use super::{BackupError, Progress, Snapshot, Target, dump, object_path, snapshot_path};
use crate::db::Db;

#[derive(Debug)]
pub struct Report {
    pub snapshot: Snapshot,
    pub objects: u64,
    pub bytes: u64,
    pub rows: u64,
}

/// The objects' top-level folders in live storage: restore goes only into empty storage.
const LIVE_PREFIXES: &[&str] = &["files", "derived", "documents"];

/// Reads `snapshot.json` of `id`, or of the newest complete snapshot.
pub async fn find(target: &Target, id: Option<&str>) -> Result<Snapshot, BackupError> {
    let id = match id {
        Some(id) if !super::is_snapshot_id(id) => {
            return Err(BackupError::Refused(format!(
                "{id:?} is not a snapshot id (they look like 20261205T234900Z)"
            )));
        }
        Some(id) => id.to_owned(),
        None => retention::latest(target)
            .await?
            .ok_or_else(|| BackupError::Refused(format!("{} holds no complete snapshot", target.shown())))?,
    };
    let bytes = target
        .get_small(&snapshot_path(&id, "snapshot.json"))
        .await?
        .ok_or_else(|| BackupError::Refused(format!("{} has no complete snapshot {id}", target.shown())))?;
    let snapshot: Snapshot =
        serde_json::from_slice(&bytes).map_err(|e| BackupError::Damaged(format!("snapshot.json of {id}: {e}")))?;
    if snapshot.id != id {
        return Err(BackupError::Damaged(format!(
            "snapshot.json in {id} names another snapshot ({})",
            snapshot.id
        )));
    }
    if snapshot.format > super::FORMAT {
        return Err(BackupError::Refused(format!(
            "snapshot {id} was written by a newer Relais ({}, format {}); restore it with that version or newer",
            snapshot.relais_version, snapshot.format
        )));
    }
    Ok(snapshot)
}

pub async fn restore(
    db: &Db,
    blobs: &dyn BlobStore,
    scratch_dir: &std::path::Path,
    target: &Target,
    id: Option<&str>,
    force: bool,
) -> Result<Report, BackupError> {
    let snapshot = find(target, id).await?;
    let newest_known = db.newest_migration();
    if snapshot.schema_version > newest_known {
        return Err(BackupError::Refused(format!(
            "snapshot {} has database schema {}, this Relais knows schemas up to {newest_known}: restore it with \
             the Relais that made it ({}) or a newer one",
            snapshot.id, snapshot.schema_version, snapshot.relais_version
        )));
    }

    // Both the database and the storage must be empty, unless told otherwise.
    let mut conn = db.pool().acquire().await?;
    let rows_here = dump::non_empty(&mut conn).await?;
    let schema_here = dump::schema_version(&mut conn, db.backend()).await?;
    drop(conn);
    let mut objects_here = 0usize;
    for prefix in LIVE_PREFIXES {
        objects_here += match blobs.list(prefix).await {
            Ok(listed) => listed.len(),
            Err(e) if e.is_not_found() => 0,
            Err(e) => return Err(e.into()),
        };
    }
    if !force && (!rows_here.is_empty() || objects_here > 0) {
        let tables: Vec<String> = rows_here.iter().map(|(t, n)| format!("{t} ({n})")).collect();
        return Err(BackupError::Refused(format!(
            "the database or the storage is not empty (rows in: {}; {objects_here} objects): restore goes into an \
             empty database and empty storage, or use --force to replace what is there",
            if tables.is_empty() {
                "none".into()
            } else {
                tables.join(", ")
            }
        )));
    }

    // Everything the snapshot says of itself holds before anything is written.
    let manifest = retention::manifest(target, &snapshot.id).await?;
    let manifest_sha = super::run::hash_bytes_of(target, &snapshot_path(&snapshot.id, "manifest.jsonl")).await?;
    if manifest_sha != snapshot.manifest_sha256 || manifest.len() as u64 != snapshot.objects {
        return Err(BackupError::Damaged(format!(
            "the manifest of {} does not match snapshot.json ({} objects listed, {} recorded)",
            snapshot.id,
            manifest.len(),
            snapshot.objects
        )));
    }
    let dump_path = scratch_dir.join("database.jsonl.gz");
    download(target, &snapshot_path(&snapshot.id, "database.jsonl.gz"), &dump_path).await?;
    let got = super::run::hash_file(&dump_path)?;
    if got != snapshot.database_sha256 {
        return Err(BackupError::Damaged(format!(
            "database.jsonl.gz of {} has SHA-256 {got}, snapshot.json says {}",
            snapshot.id, snapshot.database_sha256
        )));
    }

    // The objects, each checked on its way in.
    let mut progress = Progress::new("restore", snapshot.objects, snapshot.bytes);
    let (mut objects, mut bytes) = (0u64, 0u64);
    for entry in &manifest {
        let key = BlobKey::parse(&entry.key).map_err(|e| BackupError::Damaged(e.to_string()))?;
        let (size, body) = target.get(&object_path(&entry.sha256)).await?;
        if size != entry.size {
            return Err(BackupError::Damaged(format!(
                "object {} ({}) is {size} bytes in the backup, the manifest says {}",
                entry.sha256, entry.key, entry.size
            )));
        }
        let body = super::run::checked(body, entry.sha256.clone());
        let stored = if size > relais_storage::MAX_SINGLE_PUT {
            blobs.put_stream(&key, body).await
        } else {
            blobs.put_sized(&key, size, body).await
        };
        stored.map_err(|e| BackupError::Damaged(format!("object {} ({}): {e}", entry.sha256, entry.key)))?;
        objects += 1;
        bytes += size;
        progress.update(objects, bytes);
    }
    progress.done();

    // The rows go into the schema they were read from. A database already migrated
    // further (an empty one `relais serve` prepared, or one replaced with --force) is
    // rebuilt at that version first, so that later migrations' data changes apply.
    if schema_here != 0 && schema_here != snapshot.schema_version {
        let mut tx = db.begin().await?;
        dump::drop_schema(&mut tx, db.backend()).await?;
        tx.commit().await?;
    }
    db.migrate_to(snapshot.schema_version).await?;
    let mut tx = db.begin().await?;
    if force {
        dump::clear(&mut tx).await?;
    }
    let file = std::fs::File::open(&dump_path).map_err(BackupError::io(&dump_path))?;
    let reader = BufReader::new(flate2::read::GzDecoder::new(BufReader::new(file)));
    let counts = dump::read_all(&mut tx, db.backend(), reader).await?;
    tx.commit().await?;
    db.migrate().await?;
    Ok(Report {
        rows: counts.iter().map(|(_, n)| n).sum(),
        snapshot,
        objects,
        bytes,
    })
}

/// Copies a file of the target to a local path.
pub(crate) async fn download(target: &Target, rel: &str, to: &std::path::Path) -> Result<(), BackupError> {
    use futures_util::TryStreamExt;
    use tokio::io::AsyncWriteExt;
    let (_, mut body) = target.get(rel).await?;
    let mut file = tokio::fs::File::create(to).await.map_err(BackupError::io(to))?;
    while let Some(chunk) = body.try_next().await.map_err(|e| BackupError::Target {
        target: target.shown().to_owned(),
        source: e,
    })? {
        file.write_all(&chunk).await.map_err(BackupError::io(to))?;
    }
    file.flush().await.map_err(BackupError::io(to))?;
    Ok(())
}
