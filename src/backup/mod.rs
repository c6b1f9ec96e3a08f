//! Backups that prove themselves: a consistent, backend-neutral snapshot of the metadata
//! database, a manifest of every object with its SHA-256, and the objects themselves,
//! copied once by content to a target (a directory or an S3 bucket/prefix).
//!
//! A target holds:
//! - `objects/<aa>/<sha256>`: each distinct content once, whatever its keys;
//! - `snapshots/<id>/database.jsonl.gz`: every table, rows as JSON arrays (see `dump`);
//! - `snapshots/<id>/manifest.jsonl`: one line per object: live key, size, SHA-256;
//! - `snapshots/<id>/snapshot.json`: written last, so a snapshot without it is
//!   incomplete (an interrupted run) and is never restored.

pub mod dump;
pub mod restore;
pub mod retention;
pub mod run;
pub mod schedule;
pub mod target;
pub mod verify;

use serde::{Deserialize, Serialize};

pub use target::Target;

use crate::domain::Timestamp;

/// The layout version of a target; a newer Relais reads older ones.
pub const FORMAT: u32 = 1;

/// `snapshot.json`: what a complete snapshot holds, and how to check it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Snapshot {
    pub format: u32,
    pub id: String,
    /// When the database was read (milliseconds since the Unix epoch in the file).
    pub created_at: Timestamp,
    /// The last migration applied to the database it was taken from.
    pub schema_version: i64,
    /// `sqlite` or `postgres`: informative only, the snapshot restores into either.
    pub database: String,
    pub relais_version: String,
    pub objects: u64,
    pub bytes: u64,
    /// Rows per table.
    pub rows: Vec<(String, u64)>,
    /// SHA-256 of `database.jsonl.gz` and `manifest.jsonl` as written.
    pub database_sha256: String,
    pub manifest_sha256: String,
    /// Objects that could not be copied (named with the reason): the snapshot holds the
    /// database and everything else, and its run counted as failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

/// One line of `manifest.jsonl`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManifestEntry {
    pub key: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Refused(String),
    #[error("database: {0}")]
    Db(#[from] crate::db::DbError),
    #[error("backup target {target}: {source}")]
    Target {
        target: String,
        source: relais_storage::BlobError,
    },
    #[error("live storage: {0}")]
    Storage(#[from] relais_storage::BlobError),
    #[error("local file {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("the snapshot is damaged: {0}")]
    Damaged(String),
}

impl BackupError {
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

impl From<sqlx::Error> for BackupError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(e.into())
    }
}

/// A snapshot id as `retention::id_for` makes them, possibly with a `-n` suffix.
pub(crate) fn is_snapshot_id(id: &str) -> bool {
    let (base, suffix) = id.split_once('-').unwrap_or((id, "1"));
    base.len() == 16
        && base.as_bytes()[8] == b'T'
        && base.ends_with('Z')
        && base.bytes().filter(u8::is_ascii_digit).count() == 14
        && !suffix.is_empty()
        && suffix.bytes().all(|b| b.is_ascii_digit())
}

fn object_path(sha256: &str) -> String {
    format!("objects/{}/{sha256}", &sha256[..2])
}

fn snapshot_path(id: &str, name: &str) -> String {
    format!("snapshots/{id}/{name}")
}

/// A hex SHA-256 as the database and manifests write it.
fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A progress line on the operator's terminal (stderr), rewritten in place; nothing when
/// stderr is not a terminal (logs, cron, tests).
pub(crate) struct Progress {
    shown: bool,
    what: &'static str,
    total_items: u64,
    total_bytes: u64,
    last: std::time::Instant,
}

impl Progress {
    pub(crate) fn new(what: &'static str, total_items: u64, total_bytes: u64) -> Self {
        use std::io::IsTerminal;
        Self {
            shown: std::io::stderr().is_terminal(),
            what,
            total_items,
            total_bytes,
            last: std::time::Instant::now(),
        }
    }

    pub(crate) fn update(&mut self, items: u64, bytes: u64) {
        if !self.shown || (self.last.elapsed().as_millis() < 200 && items < self.total_items) {
            return;
        }
        self.last = std::time::Instant::now();
        let percent = (bytes * 100).checked_div(self.total_bytes).unwrap_or(100);
        eprint!(
            "\r{}: {items}/{} objects, {} / {} ({percent} %)   ",
            self.what,
            self.total_items,
            human(bytes),
            human(self.total_bytes)
        );
    }

    pub(crate) fn done(&self) {
        if self.shown {
            eprintln!();
        }
    }
}

/// `1.5 GiB`, `300.0 KiB`: sizes for people.
pub(crate) fn human(bytes: u64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < units.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", units[unit])
    }
}
