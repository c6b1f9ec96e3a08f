//! `relais backup`: read the database in one consistent view, copy the objects the
//! target does not hold yet (checking each against its SHA-256 on the way), then write
//! the snapshot's files, `snapshot.json` last, and apply the retention rules.

use std::collections::HashMap;
use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};

use futures_util::{StreamExt, TryStreamExt};
use relais_storage::{BlobError, BlobKey, BlobStore, ByteStream, FileCheck, keys};
use sha2::{Digest, Sha256};

use super::dump;
use super::{BackupError, ManifestEntry, Progress, Snapshot, Target, object_path, snapshot_path};
use crate::clock::Clock;
use crate::config::Config;
use crate::db::{Backend, Db};

/// What a backup did.
#[derive(Debug)]
pub struct Report {
    pub snapshot: Snapshot,
    /// Objects copied by this run, and their bytes.
    pub copied: u64,
    pub copied_bytes: u64,
    /// Objects the target already held.
    pub reused: u64,
    pub pruned_snapshots: Vec<String>,
    pub pruned_objects: u64,
}

/// A scratch folder under `data_dir`, removed when dropped.
pub(crate) struct Scratch(pub PathBuf);

impl Scratch {
    /// Under `data_dir/backup-tmp`, which `relais serve` leaves alone at start (it empties
    /// `tmp/`); what a killed run left there a day ago is removed first.
    pub(crate) fn new(cfg: &Config, what: &str) -> Result<Self, BackupError> {
        let base = cfg.data_dir.join("backup-tmp");
        if let Ok(entries) = std::fs::read_dir(&base) {
            let day_old = std::time::SystemTime::now() - std::time::Duration::from_secs(24 * 3600);
            for entry in entries.flatten() {
                let old = entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t < day_old);
                if old {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
        let dir = base.join(format!("{what}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).map_err(BackupError::io(&dir))?;
        Ok(Self(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An object the database names: its key, size and, when known, its SHA-256.
#[derive(serde::Serialize, serde::Deserialize)]
struct Wanted {
    key: String,
    size: u64,
    sha256: Option<String>,
}

pub async fn backup(
    cfg: &Config,
    db: &Db,
    blobs: &dyn BlobStore,
    target: &Target,
    clock: &Clock,
) -> Result<Report, BackupError> {
    let scratch = Scratch::new(cfg, "backup")?;
    let id = fresh_id(target, clock).await?;
    let dump_path = scratch.0.join("database.jsonl.gz");
    let wanted_path = scratch.0.join("wanted.jsonl");
    let created_at = clock.now();
    let (schema_version, rows) = read_database(db, &dump_path, &wanted_path).await?;

    // The contents the target already holds, listed once.
    let mut held: HashMap<String, u64> = HashMap::new();
    for (path, size) in target.list("objects").await? {
        if let Some(sha) = path.rsplit('/').next().filter(|s| super::is_sha256(s)) {
            held.insert(sha.to_owned(), size);
        }
    }

    let manifest_path = scratch.0.join("manifest.jsonl");
    let mut manifest = BufWriter::new(std::fs::File::create(&manifest_path).map_err(BackupError::io(&manifest_path))?);
    let (total, total_bytes) = count_wanted(&wanted_path)?;
    let mut progress = Progress::new("backup", total, total_bytes);
    let (mut done, mut done_bytes, mut copied, mut copied_bytes, mut reused) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut problems = Vec::new();
    let wanted = std::io::BufReader::new(std::fs::File::open(&wanted_path).map_err(BackupError::io(&wanted_path))?);
    // Several objects travel at once: reading, hashing and writing one object is serial,
    // and a second core (or a second disk queue) is otherwise idle.
    let held = &held;
    let copying: std::sync::Mutex<std::collections::HashSet<String>> = Default::default();
    let copying = &copying;
    let wanted_at = wanted_path.as_path();
    let mut settled = futures_util::stream::iter(wanted.lines())
        .map(|line| async move {
            let line = line.map_err(|e| Step::Fatal(BackupError::io(wanted_at)(e)))?;
            let w: Wanted =
                serde_json::from_str(&line).map_err(|e| Step::Fatal(BackupError::Damaged(e.to_string())))?;
            settle(db, blobs, target, held, copying, w).await
        })
        .buffer_unordered(PARALLEL_COPIES);
    while let Some(step) = settled.next().await {
        match step {
            Ok(Settled { entry, copied: fresh }) => {
                done += 1;
                done_bytes += entry.size;
                match fresh {
                    true => {
                        copied += 1;
                        copied_bytes += entry.size;
                    }
                    false => reused += 1,
                }
                serde_json::to_writer(&mut manifest, &entry).map_err(|e| BackupError::Damaged(e.to_string()))?;
                manifest.write_all(b"\n").map_err(BackupError::io(&manifest_path))?;
            }
            Err(Step::Problem(problem)) => {
                done += 1;
                problems.push(problem);
            }
            Err(Step::Fatal(e)) => return Err(e),
        }
        progress.update(done, done_bytes);
    }
    drop(settled);
    progress.done();
    manifest.flush().map_err(BackupError::io(&manifest_path))?;
    drop(manifest);
    // Another run's retention may have removed an object this run counted as held (it
    // only removes day-old ones, but clocks and runs vary): every object the manifest
    // names is checked to be there before the snapshot is declared complete.
    let present: std::collections::HashSet<String> = target
        .list("objects")
        .await?
        .into_iter()
        .filter_map(|(path, _)| path.rsplit('/').next().map(str::to_owned))
        .collect();
    let (mut listed, mut listed_bytes) = (0u64, 0u64);
    let written =
        std::io::BufReader::new(std::fs::File::open(&manifest_path).map_err(BackupError::io(&manifest_path))?);
    for line in written.lines() {
        let line = line.map_err(BackupError::io(&manifest_path))?;
        let entry: ManifestEntry = serde_json::from_str(&line).map_err(|e| BackupError::Damaged(e.to_string()))?;
        listed += 1;
        listed_bytes += entry.size;
        if !present.contains(&entry.sha256) {
            let key = BlobKey::parse(&entry.key).map_err(|e| BackupError::Damaged(e.to_string()))?;
            if let Err(problem) = copy_verified(blobs, &key, entry.size, &entry.sha256, target).await {
                problems.push(format!("{}: {problem}", entry.key));
            }
        }
    }
    target
        .put_file(&snapshot_path(&id, "database.jsonl.gz"), &dump_path)
        .await?;
    target
        .put_file(&snapshot_path(&id, "manifest.jsonl"), &manifest_path)
        .await?;
    let snapshot = Snapshot {
        format: super::FORMAT,
        id: id.clone(),
        created_at,
        schema_version,
        database: match db.backend() {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
        .into(),
        relais_version: env!("CARGO_PKG_VERSION").into(),
        objects: listed,
        bytes: listed_bytes,
        rows,
        database_sha256: hash_file(&dump_path)?,
        manifest_sha256: hash_file(&manifest_path)?,
        problems: problems.clone(),
    };
    let json = serde_json::to_vec_pretty(&snapshot).map_err(|e| BackupError::Damaged(e.to_string()))?;
    target.put(&snapshot_path(&id, "snapshot.json"), json.into()).await?;
    if !problems.is_empty() {
        // The database and every other object are safe in this snapshot; what could not
        // be copied is named in it, and the run counts as failed until it is fixed.
        // Nothing is pruned meanwhile: older snapshots may hold what this one lacks.
        return Err(BackupError::Refused(format!(
            "snapshot {id} was saved without {} object(s) that could not be backed up:\n  {}",
            problems.len(),
            problems.join("\n  ")
        )));
    }

    let pruned = super::retention::prune(target, &cfg.backup, clock.now(), &id).await?;
    Ok(Report {
        snapshot,
        copied,
        copied_bytes,
        reused,
        pruned_snapshots: pruned.snapshots,
        pruned_objects: pruned.objects,
    })
}

/// Objects copied at once.
const PARALLEL_COPIES: usize = 4;

/// How one object of the database ended up in this snapshot.
struct Settled {
    entry: ManifestEntry,
    /// Copied by this run (rather than already on the target).
    copied: bool,
}

enum Step {
    /// This object could not be backed up (named, with the reason); the rest goes on.
    Problem(String),
    /// The run cannot go on.
    Fatal(BackupError),
}

/// Makes sure the target holds one object of the database: hashed first if its digest
/// was never recorded, copied unless the target has its content already (or another
/// object of this run with the same content is being copied).
async fn settle(
    db: &Db,
    blobs: &dyn BlobStore,
    target: &Target,
    held: &HashMap<String, u64>,
    copying: &std::sync::Mutex<std::collections::HashSet<String>>,
    w: Wanted,
) -> Result<Settled, Step> {
    let key = BlobKey::parse(&w.key).map_err(|e| Step::Fatal(BackupError::Damaged(e.to_string())))?;
    let sha = match w.sha256 {
        Some(sha) => sha,
        // Made before digests were kept: hashed once, and remembered.
        None => match hash_object(blobs, &key).await {
            Ok((sha, size)) if size == w.size => {
                crate::db::variants::fill_digest(db.pool(), &w.key, &sha)
                    .await
                    .map_err(|e| Step::Fatal(e.into()))?;
                sha
            }
            Ok((_, size)) => {
                return Err(Step::Problem(format!(
                    "{}: {size} bytes in storage, {} in the database",
                    w.key, w.size
                )));
            }
            Err(e) => return Err(Step::Problem(format!("{}: {e}", w.key))),
        },
    };
    let first = copying.lock().map(|mut set| set.insert(sha.clone())).unwrap_or(true);
    let fresh = if held.get(&sha) == Some(&w.size) || !first {
        false
    } else {
        copy_verified(blobs, &key, w.size, &sha, target)
            .await
            .map_err(|problem| Step::Problem(format!("{}: {problem}", w.key)))?;
        true
    };
    Ok(Settled {
        entry: ManifestEntry {
            key: w.key,
            size: w.size,
            sha256: sha,
        },
        copied: fresh,
    })
}

/// `20261205T234900Z`, or with a suffix when a snapshot of that second exists.
async fn fresh_id(target: &Target, clock: &Clock) -> Result<String, BackupError> {
    let base = super::retention::id_for(clock.now());
    for n in 0..100 {
        let id = if n == 0 { base.clone() } else { format!("{base}-{n}") };
        if target.list(&format!("snapshots/{id}")).await?.is_empty() {
            return Ok(id);
        }
    }
    Err(BackupError::Refused(format!("too many snapshots named {base}")))
}

/// Dumps the database and lists the objects it names, in one consistent view.
async fn read_database(
    db: &Db,
    dump_path: &Path,
    wanted_path: &Path,
) -> Result<(i64, Vec<(String, u64)>), BackupError> {
    let mut tx = db.pool().begin().await?;
    if db.backend() == Backend::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await?;
    }
    let schema_version = dump::schema_version(&mut tx, db.backend()).await?;
    let file = std::fs::File::create(dump_path).map_err(BackupError::io(dump_path))?;
    let mut gz = flate2::write::GzEncoder::new(BufWriter::new(file), flate2::Compression::fast());
    let rows = dump::write_all(&mut tx, db.backend(), schema_version, &mut gz).await?;
    gz.finish()
        .and_then(|mut w| w.flush())
        .map_err(BackupError::io(dump_path))?;

    let mut wanted = BufWriter::new(std::fs::File::create(wanted_path).map_err(BackupError::io(wanted_path))?);
    let mut emit = |w: Wanted| -> Result<(), BackupError> {
        serde_json::to_writer(&mut wanted, &w).map_err(|e| BackupError::Damaged(e.to_string()))?;
        wanted.write_all(b"\n").map_err(BackupError::io(wanted_path))
    };
    let mut files = sqlx::query_as::<_, (String, Option<i64>, Option<String>)>(
        "SELECT id, size, sha256 FROM files WHERE status <> 'uploading' AND sha256 IS NOT NULL ORDER BY id",
    )
    .fetch(&mut *tx);
    while let Some((id, size, sha)) = files.try_next().await? {
        let uuid = uuid::Uuid::parse_str(&id).map_err(|e| BackupError::Damaged(format!("file id {id}: {e}")))?;
        emit(Wanted {
            key: keys::file(uuid).as_str().to_owned(),
            size: size.unwrap_or(0).max(0) as u64,
            sha256: sha,
        })?;
    }
    drop(files);
    let mut others = sqlx::query_as::<_, (String, i64, Option<String>)>(
        "SELECT object_key, size, sha256 FROM variants WHERE file_id IN \
         (SELECT id FROM files WHERE status <> 'uploading') \
         UNION ALL SELECT blob_key, size, sha256 FROM documents ORDER BY 1",
    )
    .fetch(&mut *tx);
    while let Some((key, size, sha)) = others.try_next().await? {
        emit(Wanted {
            key,
            size: size.max(0) as u64,
            sha256: sha.filter(|s| super::is_sha256(s)),
        })?;
    }
    drop(others);
    wanted.flush().map_err(BackupError::io(wanted_path))?;
    tx.rollback().await?;
    Ok((schema_version, rows))
}

fn count_wanted(path: &Path) -> Result<(u64, u64), BackupError> {
    let reader = std::io::BufReader::new(std::fs::File::open(path).map_err(BackupError::io(path))?);
    let (mut n, mut bytes) = (0, 0);
    for line in reader.lines() {
        let w: Wanted = serde_json::from_str(&line.map_err(BackupError::io(path))?)
            .map_err(|e| BackupError::Damaged(e.to_string()))?;
        n += 1;
        bytes += w.size;
    }
    Ok((n, bytes))
}

/// Copies a live object to the target under its digest. The bytes are hashed as they
/// pass: a live object that no longer matches its SHA-256 is not stored.
async fn copy_verified(
    blobs: &dyn BlobStore,
    key: &BlobKey,
    size: u64,
    sha: &str,
    target: &Target,
) -> Result<(), String> {
    // A file on this machine is hashed on one core while it is copied on the other (in
    // the kernel, for a directory target) instead of reading, hashing and writing each
    // chunk in turn.
    if let Some(src) = blobs.local_path(key) {
        let expected = sha.to_owned();
        let check: FileCheck = Box::new(move |path| {
            let (got, len) = hash_file_sized(path).map_err(BlobError::Io)?;
            if len != size {
                return Err(BlobError::Body(format!(
                    "{len} bytes in storage, {size} in the database"
                )));
            }
            if got != expected {
                return Err(BlobError::Body(format!("SHA-256 is {got}, expected {expected}")));
            }
            Ok(())
        });
        return target
            .put_file_checked(&object_path(sha), &src, check)
            .await
            .map_err(|e| e.to_string());
    }
    let read = blobs.get(key, None).await.map_err(|e| e.to_string())?;
    if read.meta.size != size {
        return Err(format!("{} bytes in storage, {size} in the database", read.meta.size));
    }
    let body = checked(read.body, sha.to_owned());
    target
        .put_stream(&object_path(sha), size, body)
        .await
        .map_err(|e| e.to_string())
}

/// Passes `body` through, and fails at its end when its SHA-256 is not `expected`, so
/// that whatever stores it throws it away.
pub(crate) fn checked(body: ByteStream, expected: String) -> ByteStream {
    let state = (body, Some(Sha256::new()), expected);
    Box::pin(futures_util::stream::unfold(
        state,
        |(mut body, hasher, expected)| async move {
            let mut hasher = hasher?;
            match body.next().await {
                Some(Ok(chunk)) => {
                    hasher.update(&chunk);
                    Some((Ok(chunk), (body, Some(hasher), expected)))
                }
                Some(Err(e)) => Some((Err(e), (body, None, expected))),
                None => {
                    let got = crate::auth::secrets::hex(&hasher.finalize());
                    if got == expected {
                        None
                    } else {
                        let e = BlobError::Body(format!("SHA-256 is {got}, expected {expected}"));
                        Some((Err(e), (body, None, expected)))
                    }
                }
            }
        },
    ))
}

/// The SHA-256 and size of a stored object, read whole.
pub(crate) async fn hash_object(blobs: &dyn BlobStore, key: &BlobKey) -> Result<(String, u64), BlobError> {
    let read = blobs.get(key, None).await?;
    hash_stream(read.body).await
}

pub(crate) async fn hash_stream(mut body: ByteStream) -> Result<(String, u64), BlobError> {
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    while let Some(chunk) = body.try_next().await? {
        size += chunk.len() as u64;
        hasher.update(&chunk);
    }
    Ok((crate::auth::secrets::hex(&hasher.finalize()), size))
}

pub(crate) fn hash_file(path: &Path) -> Result<String, BackupError> {
    Ok(hash_file_sized(path).map_err(BackupError::io(path))?.0)
}

/// The SHA-256 and length of a file, read in large blocks.
fn hash_file_sized(path: &Path) -> std::io::Result<(String, u64)> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut len = 0u64;
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        len += n as u64;
    }
    Ok((crate::auth::secrets::hex(&hasher.finalize()), len))
}

/// The SHA-256 of a (small) file of the target.
pub(crate) async fn hash_bytes_of(target: &Target, rel: &str) -> Result<String, BackupError> {
    let bytes = target
        .get_small(rel)
        .await?
        .ok_or_else(|| BackupError::Damaged(format!("{rel} is missing")))?;
    Ok(crate::auth::secrets::hex(&Sha256::digest(&bytes)))
}
