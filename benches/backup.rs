//! Backups against a plain copy of the same bytes (PRODUCT §5: new objects at ≥ 80 % of a
//! plain file copy; a backup with nothing new over 10 000 objects in seconds).
//!
//! A data directory is filled through Relais' own database and storage layers (rows as
//! uploads leave them, objects with their SHA-256), then, in interleaved rounds:
//! - "copy": every object file copied to a fresh directory with `std::fs::copy`, then
//!   `sync_all`, the baseline any backup must also do;
//! - "backup": `relais backup` to a fresh directory (database snapshot, every object read,
//!   hashed against its SHA-256 and written durably, manifest, retention);
//! - "nothing new": `relais backup` again to the last target, over the same objects.
//!
//! Run: `cargo bench --bench backup [-- --runs N --big-mib M --small N]`.

use std::path::Path;
use std::time::Instant;

use relais::clock::Clock;
use relais::config::{BackupTarget, Config};
use relais::db::{self, Db};
use relais::domain::{Category, Email, FileId, Locale, Role, Timestamp, TransferId};
use sha2::{Digest, Sha256};

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .map_or(default, |i| args[i + 1].parse().expect("a number"))
}

fn bytes_of(n: usize, seed: u64) -> Vec<u8> {
    // xorshift: incompressible, cheap, different per object.
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(n);
    out
}

async fn fill(cfg: &Config, db: &Db, blobs: &dyn relais_storage::BlobStore, sizes: &[usize]) {
    let email = Email::parse("bench@example.fr").expect("email");
    let user = match db::users::find_by_email(db.pool(), &email).await.expect("find") {
        Some(u) => u,
        None => db::users::insert(
            db.pool(),
            db::users::NewUser {
                email: &email,
                name: "Bench",
                role: Role::Client,
                locale: Locale::Fr,
                password_hash: None,
                totp_secret: None,
            },
            Timestamp::EPOCH,
        )
        .await
        .expect("user"),
    };
    let transfer = db::transfers::default_inbound(db, user.id, "Bench", Timestamp::EPOCH)
        .await
        .expect("transfer");
    let _ = cfg;
    for (n, size) in sizes.iter().enumerate() {
        let id = FileId::new();
        let data = bytes_of(*size, n as u64 + 1 + sizes.len() as u64 * 7919);
        let sha: String = Sha256::digest(&data).iter().map(|b| format!("{b:02x}")).collect();
        blobs
            .put(&relais_storage::keys::file(id.uuid()), data.into())
            .await
            .expect("object");
        db::files::insert(
            db.pool(),
            db::files::NewFile {
                id,
                transfer: transfer.id,
                name: "bench.bin",
                size: Some(*size as u64),
                media_type: "application/octet-stream",
                category: Category::Other,
                uploader: Some(user.id),
                guest: None,
            },
            Timestamp::EPOCH,
        )
        .await
        .expect("row");
        db::files::mark_stored(db.pool(), id, *size as u64, &sha, Timestamp::EPOCH)
            .await
            .expect("stored");
    }
    let _: TransferId = transfer.id;
}

fn plain_copy(from: &Path, to: &Path) -> u64 {
    let mut copied = 0;
    let mut stack = vec![from.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("dir").flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue; // the local backend's own work folders
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                let dest = to.join(path.strip_prefix(from).expect("inside"));
                std::fs::create_dir_all(dest.parent().expect("parent")).expect("mkdir");
                copied += std::fs::copy(&path, &dest).expect("copy");
                std::fs::File::open(&dest).and_then(|f| f.sync_all()).expect("sync");
            }
        }
    }
    copied
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).expect("number"));
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs = arg(&args, "--runs", 3);
    let big_mib = arg(&args, "--big-mib", 1024);
    let small = arg(&args, "--small", 10_000);
    let place = tempfile::tempdir().expect("dir");
    // Copies and backups go beside the data, on the same disk, never inside it.
    let beside = tempfile::tempdir().expect("dir");
    let mut cfg = Config::defaults_in(place.path()).expect("defaults");
    std::fs::create_dir_all(&cfg.data_dir).expect("data dir");
    let db = relais::app::open_database(&cfg).await.expect("database");
    let blobs = relais_storage::open(&cfg.storage).expect("storage");
    let relais_storage::StorageConfig::Local { root } = cfg.storage.clone() else {
        unreachable!("the defaults keep objects on the local disk")
    };
    // Keep every snapshot: retention is not what is measured.
    cfg.backup.keep_daily = 1000;
    let clock = Clock::system();

    // 1. New objects: 32 files making `big_mib` MiB.
    let each = big_mib * 1024 * 1024 / 32;
    fill(&cfg, &db, blobs.as_ref(), &vec![each; 32]).await;
    let total = (each * 32) as f64;
    // Warm the page cache once, so that neither side pays for the first read alone.
    let warm = tempfile::tempdir_in(beside.path()).expect("dir");
    plain_copy(&root, warm.path());
    drop(warm);
    let (mut copy_s, mut backup_s) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let to = tempfile::tempdir_in(beside.path()).expect("dir");
        let started = Instant::now();
        plain_copy(&root, to.path());
        copy_s.push(started.elapsed().as_secs_f64());
        drop(to);

        let to = tempfile::tempdir_in(beside.path()).expect("dir");
        let target = relais::backup::Target::open(&BackupTarget::Dir(to.path().join("b")), &cfg).expect("target");
        let started = Instant::now();
        relais::backup::run::backup(&cfg, &db, blobs.as_ref(), &target, &clock)
            .await
            .expect("backup");
        backup_s.push(started.elapsed().as_secs_f64());
    }
    let (copy, backup) = (median(copy_s), median(backup_s));
    println!("Medians of {runs} interleaved runs on {} MiB in 32 objects.\n", big_mib);
    println!("| | seconds | MB/s | ratio to the plain copy |");
    println!("|---|---|---|---|");
    println!("| plain copy + fsync | {copy:.2} | {:.0} | 1.00 |", total / copy / 1e6);
    println!(
        "| `relais backup`, all new | {backup:.2} | {:.0} | {:.2} |",
        total / backup / 1e6,
        copy / backup
    );

    // 2. Nothing new, over `small` more objects (4 KiB each).
    fill(&cfg, &db, blobs.as_ref(), &vec![4096; small]).await;
    let to = tempfile::tempdir_in(beside.path()).expect("dir");
    let target = relais::backup::Target::open(&BackupTarget::Dir(to.path().join("b")), &cfg).expect("target");
    let started = Instant::now();
    relais::backup::run::backup(&cfg, &db, blobs.as_ref(), &target, &clock)
        .await
        .expect("first");
    let first = started.elapsed().as_secs_f64();
    let mut again = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let report = relais::backup::run::backup(&cfg, &db, blobs.as_ref(), &target, &clock)
            .await
            .expect("again");
        assert_eq!(report.copied, 0, "nothing new to copy");
        again.push(started.elapsed().as_secs_f64());
    }
    println!("| `relais backup` of {} objects, first | {first:.2} | | |", small + 32);
    println!(
        "| `relais backup` of {} objects, nothing new | {:.2} | | |",
        small + 32,
        median(again)
    );
}
