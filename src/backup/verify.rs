//! `relais verify`: live storage against the database, or a backup target against its
//! manifest. Sizes are checked for every object; SHA-256 for all with `--full`, else for
//! a random sample. Each problem is one line naming the object.

use rand::seq::IndexedRandom;
use relais_storage::{BlobKey, BlobStore, keys};

use super::{BackupError, Target, object_path, retention, snapshot_path};
use crate::db::Db;

/// Objects whose SHA-256 is checked without `--full`.
pub const SAMPLE: usize = 32;

#[derive(Debug, Default)]
pub struct Findings {
    pub checked: u64,
    pub hashed: u64,
    pub problems: Vec<String>,
}

/// Every object the database names, with its size and (when recorded) SHA-256.
async fn live_objects(db: &Db) -> Result<Vec<(String, u64, Option<String>)>, BackupError> {
    let files: Vec<(String, Option<i64>, Option<String>)> = sqlx::query_as(
        "SELECT id, size, sha256 FROM files WHERE status <> 'uploading' AND sha256 IS NOT NULL ORDER BY id",
    )
    .fetch_all(db.pool())
    .await?;
    let mut all = Vec::with_capacity(files.len());
    for (id, size, sha) in files {
        let uuid = uuid::Uuid::parse_str(&id).map_err(|e| BackupError::Damaged(format!("file id {id}: {e}")))?;
        all.push((
            keys::file(uuid).as_str().to_owned(),
            size.unwrap_or(0).max(0) as u64,
            sha,
        ));
    }
    let others: Vec<(String, i64, Option<String>)> = sqlx::query_as(
        "SELECT object_key, size, sha256 FROM variants UNION ALL SELECT blob_key, size, sha256 FROM documents",
    )
    .fetch_all(db.pool())
    .await?;
    all.extend(others.into_iter().map(|(k, s, sha)| (k, s.max(0) as u64, sha)));
    Ok(all)
}

pub async fn live(db: &Db, blobs: &dyn BlobStore, full: bool) -> Result<Findings, BackupError> {
    let objects = live_objects(db).await?;
    let hashable: Vec<usize> = (0..objects.len()).filter(|i| objects[*i].2.is_some()).collect();
    let sampled: std::collections::HashSet<usize> = if full {
        hashable.into_iter().collect()
    } else {
        hashable.choose_multiple(&mut rand::rng(), SAMPLE).copied().collect()
    };
    let mut findings = Findings::default();
    for (index, (key, size, sha)) in objects.iter().enumerate() {
        findings.checked += 1;
        let blob_key = BlobKey::parse(key).map_err(|e| BackupError::Damaged(e.to_string()))?;
        match blobs.head(&blob_key).await {
            Err(e) if e.is_not_found() => {
                findings.problems.push(format!("missing: {key}"));
                continue;
            }
            Err(e) => return Err(e.into()),
            Ok(meta) if meta.size != *size => {
                findings.problems.push(format!(
                    "wrong size: {key} is {} bytes, the database says {size}",
                    meta.size
                ));
                continue;
            }
            Ok(_) => {}
        }
        if let Some(expected) = sha
            && sampled.contains(&index)
        {
            findings.hashed += 1;
            let (got, _) = super::run::hash_object(blobs, &blob_key).await?;
            if &got != expected {
                findings
                    .problems
                    .push(format!("wrong SHA-256: {key} is {got}, the database says {expected}"));
            }
        }
    }
    Ok(findings)
}

/// Checks a snapshot (the newest complete one by default) on `target`: its files against
/// `snapshot.json`, and every object of its manifest.
pub async fn target(target: &Target, id: Option<&str>, full: bool) -> Result<Findings, BackupError> {
    let snapshot = super::restore::find(target, id).await?;
    let mut findings = Findings::default();
    for (name, expected) in [
        ("database.jsonl.gz", &snapshot.database_sha256),
        ("manifest.jsonl", &snapshot.manifest_sha256),
    ] {
        let path = snapshot_path(&snapshot.id, name);
        match target.get(&path).await {
            Ok((_, body)) => {
                let (got, _) = super::run::hash_stream(body).await.map_err(|e| BackupError::Target {
                    target: target.shown().to_owned(),
                    source: e,
                })?;
                if &got != expected {
                    findings
                        .problems
                        .push(format!("wrong SHA-256: {path} is {got}, snapshot.json says {expected}"));
                }
            }
            Err(_) => findings.problems.push(format!("missing: {path}")),
        }
    }
    let manifest = match retention::manifest(target, &snapshot.id).await {
        Ok(m) => m,
        Err(e) => {
            findings.problems.push(e.to_string());
            return Ok(findings);
        }
    };
    if manifest.len() as u64 != snapshot.objects {
        findings.problems.push(format!(
            "the manifest of {} lists {} objects, snapshot.json says {}",
            snapshot.id,
            manifest.len(),
            snapshot.objects
        ));
    }
    let sampled: std::collections::HashSet<usize> = if full {
        (0..manifest.len()).collect()
    } else {
        let all: Vec<usize> = (0..manifest.len()).collect();
        all.choose_multiple(&mut rand::rng(), SAMPLE).copied().collect()
    };
    for (index, entry) in manifest.iter().enumerate() {
        findings.checked += 1;
        let path = object_path(&entry.sha256);
        match target.size(&path).await? {
            None => {
                findings.problems.push(format!("missing: {path} ({})", entry.key));
                continue;
            }
            Some(size) if size != entry.size => {
                findings.problems.push(format!(
                    "wrong size: {path} ({}) is {size} bytes, the manifest says {}",
                    entry.key, entry.size
                ));
                continue;
            }
            Some(_) => {}
        }
        if sampled.contains(&index) {
            findings.hashed += 1;
            let (_, body) = target.get(&path).await?;
            let (got, _) = super::run::hash_stream(body).await.map_err(|e| BackupError::Target {
                target: target.shown().to_owned(),
                source: e,
            })?;
            if got != entry.sha256 {
                findings
                    .problems
                    .push(format!("wrong SHA-256: {path} ({}) is {got}", entry.key));
            }
        }
    }
    Ok(findings)
}
