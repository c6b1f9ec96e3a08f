//! Backups through the real commands: `relais backup`, then `relais restore` into an
//! empty database and storage (the same backend pair, and SQLite with a local disk into
//! PostgreSQL with S3 in the S3 pass), then everything read back through the API, byte
//! for byte. Incremental copies, and `relais verify` finding each kind of damage.

use std::path::Path;
use std::process::Output;

use reqwest::Method;
use serde_json::Value;

use crate::helpers::backend::{Backend, Resources, env_for};
use crate::helpers::binary;
use crate::helpers::tus::{Tus, meta, pattern, sha256_hex};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use relais::config::Config;

fn cli(cfg: &Config, args: &[&str]) -> Output {
    binary::relais(None, env_for(cfg).iter().map(|(k, v)| (k, v)), args)
        .output()
        .expect("relais runs")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A client with a photo (and its variants), a song and a document; one of them
/// downloaded (a receipt); a delivery from the studio.
async fn populate(app: &TestApp) -> (String, String) {
    let (anne, _) = Tus::client(app, "anne@example.fr").await;
    anne.upload("mariage.jpg", &crate::media::jpeg(1600, 1200, false, None), None)
        .await;
    anne.upload("musique.flac", &pattern(700_000, 3), None).await;
    anne.upload("contrat.pdf", b"%PDF-1.4 pas vraiment un PDF", None).await;
    // An upload left half-way: it does not travel (its client starts it again).
    let half = anne.create(1000, &meta(&[("filename", "moitie.mov")])).await;
    assert_eq!(anne.patch(&half, 0, &[7; 400]).await.status, 204);
    app.run_jobs().await;
    let files = anne.all_files().await;
    let song = files.iter().find(|f| f["name"] == "musique.flac").expect("song");
    let got = anne
        .request(
            Method::GET,
            &format!("/api/v1/files/{}/content", song["id"].as_str().expect("id")),
        )
        .send()
        .await
        .expect("download");
    assert_eq!(got.status(), 200);
    got.bytes().await.expect("bytes");
    let (studio, _) = Tus::studio(app, "studio@example.fr").await;
    (anne.token.clone(), studio.token.clone())
}

/// What the API shows a client: every transfer, every file, every byte and variant.
async fn seen(app: &TestApp, token: &str) -> Vec<Value> {
    let tus = Tus {
        app,
        token: token.to_owned(),
    };
    let mut seen = Vec::new();
    for transfer in tus.transfer_ids().await {
        let mut shown = tus
            .call(Method::GET, &format!("/api/v1/transfers/{transfer}"), None)
            .await;
        assert_eq!(shown.status, 200);
        // What is stored; uploads still in progress do not travel.
        if let Some(files) = shown.body["files"].as_array_mut() {
            files.retain(|f| f["status"] != "uploading");
        }
        seen.push(shown.body.clone());
        for file in shown.body["files"].as_array().cloned().unwrap_or_default() {
            let id = file["id"].as_str().expect("id");
            let content = tus
                .request(Method::GET, &format!("/api/v1/files/{id}/content"))
                .send()
                .await
                .expect("content");
            let status = content.status().as_u16();
            let bytes = content.bytes().await.expect("bytes");
            seen.push(serde_json::json!({"file": id, "status": status, "sha256": sha256_hex(&bytes)}));
            for name in ["thumb", "medium", "large"] {
                let variant = tus
                    .request(Method::GET, &format!("/api/v1/files/{id}/variants/{name}?format=webp"))
                    .send()
                    .await
                    .expect("variant");
                let status = variant.status().as_u16();
                let bytes = variant.bytes().await.expect("bytes");
                seen.push(serde_json::json!({"variant": [id, name], "status": status, "sha256": sha256_hex(&bytes)}));
            }
        }
    }
    seen
}

/// A configuration with an empty database and storage of `backend` in `dir`.
async fn empty_place(backend: Backend, dir: &Path) -> (Config, Resources) {
    let mut cfg = Config::defaults_in(dir).expect("defaults");
    let resources = backend.prepare(&mut cfg, dir).await;
    (cfg, resources)
}

async fn app_on(cfg: &Config) -> TestApp {
    let (database, storage) = (cfg.database.clone(), cfg.storage.clone());
    spawn_app_with(move |c| {
        c.database = database;
        c.storage = storage;
    })
    .await
}

async fn round_trip(source_backend: Backend, restored_backend: Backend) {
    let source_dir = tempfile::tempdir().expect("dir");
    let (source_cfg, _source) = empty_place(source_backend, source_dir.path()).await;
    let source = app_on(&source_cfg).await;
    let (anne, _studio) = populate(&source).await;
    let before = seen(&source, &anne).await;
    assert!(before.len() > 6, "{before:?}");

    let backups = tempfile::tempdir().expect("backups");
    let target = backups.path().to_str().expect("path");
    let printed = ok(&cli(&source.state.cfg, &["backup", "--to", target]));
    let id = printed.lines().last().expect("a last line").to_owned();
    assert!(id.starts_with("20") && id.ends_with('Z'), "{printed}");

    // A fresh machine: an empty database and storage, restored, then served.
    let restored_dir = tempfile::tempdir().expect("dir");
    let (restored_cfg, _restored) = empty_place(restored_backend, restored_dir.path()).await;
    // The operator may well have started Relais there first: an empty, migrated database.
    ok(&cli(&restored_cfg, &["migrate"]));
    let out = ok(&cli(&restored_cfg, &["restore", "--from", target]));
    assert!(out.contains(&id), "{out}");
    let restored = app_on(&restored_cfg).await;
    assert_eq!(
        seen(&restored, &anne).await,
        before,
        "the API reads the same after the restore"
    );

    // The half-sent upload did not travel: its client starts it again.
    let files: Vec<Value> = Tus {
        app: &restored,
        token: anne.clone(),
    }
    .all_files()
    .await;
    assert!(files.iter().all(|f| f["name"] != "moitie.mov"), "{files:?}");

    // A second restore into the now full place is refused, and says why.
    let again = cli(&restored_cfg, &["restore", "--from", target]);
    assert_eq!(again.status.code(), Some(1));
    let said = String::from_utf8_lossy(&again.stderr);
    assert!(said.contains("not empty") && said.contains("--force"), "{said}");
}

#[tokio::test]
async fn backup_then_restore_into_an_empty_place_reads_back_identical() {
    let backend = Backend::from_env();
    round_trip(backend, backend).await;
}

#[tokio::test]
async fn sqlite_and_local_disk_restore_into_postgresql_and_s3() {
    if Backend::from_env() != Backend::PostgresS3 {
        return; // needs PostgreSQL and S3: the S3 pass of scripts/test.sh
    }
    round_trip(Backend::SqliteLocal, Backend::PostgresS3).await;
}

#[tokio::test]
async fn a_second_backup_copies_only_what_is_new_and_verify_finds_each_damage() {
    let app = spawn_app().await;
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    for n in 0..4 {
        anne.upload(&format!("photo-{n}.bin"), &pattern(200_000 + n as usize, n), None)
            .await;
    }
    let backups = tempfile::tempdir().expect("backups");
    let target = backups.path().to_str().expect("path");
    let cfg = &app.state.cfg;
    let first = ok(&cli(cfg, &["backup", "--to", target]));
    assert!(first.contains("copied 4 "), "{first}");

    anne.upload("nouvelle.bin", &pattern(123_456, 9), None).await;
    let second = ok(&cli(cfg, &["backup", "--to", target]));
    assert!(
        second.contains("copied 1 ") && second.contains("4 already there"),
        "{second}"
    );

    // Both the live storage and the backup check out.
    ok(&cli(cfg, &["verify", "--full"]));
    ok(&cli(cfg, &["verify", "--from", target, "--full"]));

    // Damage the backup three ways: each is named, and verify exits 1.
    let objects: Vec<std::path::PathBuf> = walk(&backups.path().join("objects"));
    assert_eq!(objects.len(), 5, "{objects:?}");
    std::fs::remove_file(&objects[0]).expect("delete");
    let truncated = std::fs::read(&objects[1]).expect("read");
    std::fs::write(&objects[1], &truncated[..truncated.len() / 2]).expect("truncate");
    let mut flipped = std::fs::read(&objects[2]).expect("read");
    flipped[1000] ^= 0x01;
    std::fs::write(&objects[2], &flipped).expect("flip");
    let checked = cli(cfg, &["verify", "--from", target, "--full"]);
    assert_eq!(checked.status.code(), Some(1));
    let lines = String::from_utf8_lossy(&checked.stdout).into_owned();
    let name = |p: &std::path::Path| p.file_name().expect("name").to_string_lossy().into_owned();
    assert!(
        lines
            .lines()
            .any(|l| l.starts_with("missing:") && l.contains(&name(&objects[0]))),
        "{lines}"
    );
    assert!(
        lines
            .lines()
            .any(|l| l.starts_with("wrong size:") && l.contains(&name(&objects[1]))),
        "{lines}"
    );
    assert!(
        lines
            .lines()
            .any(|l| l.starts_with("wrong SHA-256:") && l.contains(&name(&objects[2]))),
        "{lines}"
    );

    // Restore refuses what it cannot trust before writing anything, and says why.
    let elsewhere = tempfile::tempdir().expect("dir");
    let (fresh, _fresh) = empty_place(Backend::from_env(), elsewhere.path()).await;
    let refused = cli(&fresh, &["restore", "--from", target]);
    assert_eq!(refused.status.code(), Some(1));
    let said = String::from_utf8_lossy(&refused.stderr).into_owned();
    assert!(
        said.contains("bytes in the backup") || said.contains("SHA-256") || said.contains("does not exist"),
        "{said}"
    );
    let bad_id = cli(&fresh, &["restore", "--from", target, "--snapshot", "../../etc"]);
    assert!(String::from_utf8_lossy(&bad_id.stderr).contains("is not a snapshot id"));
    let typo = cli(&fresh, &["restore", "--from", "/no/such/backup/disk"]);
    assert!(String::from_utf8_lossy(&typo.stderr).contains("no such directory"));
    assert!(
        !std::path::Path::new("/no/such/backup/disk").exists(),
        "nothing created by a typo"
    );

    // A manifest damaged by hand is reported, line and all, never a crash.
    let manifest = walk(&backups.path().join("snapshots"))
        .into_iter()
        .filter(|p| p.ends_with("manifest.jsonl"))
        .max()
        .expect("manifest");
    let original = std::fs::read_to_string(&manifest).expect("read");
    let mut lines: Vec<String> = original.lines().map(String::from).collect();
    lines[0] = lines[0].replace(
        &lines[0][lines[0].find("\"sha256\":\"").expect("sha") + 10..lines[0].len() - 2],
        "",
    );
    std::fs::write(&manifest, lines.join("\n") + "\n").expect("write");
    let damaged = cli(cfg, &["verify", "--from", target]);
    assert_eq!(damaged.status.code(), Some(1));
    let said = String::from_utf8_lossy(&damaged.stdout).into_owned() + &String::from_utf8_lossy(&damaged.stderr);
    assert!(said.contains("line 1") && said.contains("not a SHA-256"), "{said}");
    std::fs::write(&manifest, original).expect("put it back");

    // The next backup repairs the target: what is missing or wrong is copied again.
    std::fs::remove_file(&objects[1]).expect("remove the truncated copy");
    std::fs::remove_file(&objects[2]).expect("remove the flipped copy");
    let third = ok(&cli(cfg, &["backup", "--to", target]));
    assert!(third.contains("copied 3 "), "{third}");
    ok(&cli(cfg, &["verify", "--from", target, "--full"]));
}

#[tokio::test]
async fn verify_names_live_objects_that_are_missing_short_or_changed() {
    let app = spawn_app().await;
    if !matches!(app.state.cfg.storage, relais_storage::StorageConfig::Local { .. }) {
        return; // damaging objects by hand needs the local disk; S3 is checked by the backups
    }
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    for n in 0..3 {
        anne.upload(&format!("f{n}.bin"), &pattern(50_000, n), None).await;
    }
    let cfg = &app.state.cfg;
    ok(&cli(cfg, &["verify", "--full"]));
    let relais_storage::StorageConfig::Local { root } = &cfg.storage else {
        unreachable!()
    };
    let stored = walk(&root.join("files"));
    assert_eq!(stored.len(), 3);
    std::fs::remove_file(&stored[0]).expect("delete");
    std::fs::write(&stored[1], b"short").expect("truncate");
    let mut changed = std::fs::read(&stored[2]).expect("read");
    changed[0] ^= 0xff;
    std::fs::write(&stored[2], &changed).expect("change");
    let out = cli(cfg, &["verify", "--full"]);
    assert_eq!(out.status.code(), Some(1));
    let lines = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        lines.lines().filter(|l| l.starts_with("missing:")).count(),
        1,
        "{lines}"
    );
    assert_eq!(
        lines.lines().filter(|l| l.starts_with("wrong size:")).count(),
        1,
        "{lines}"
    );
    assert_eq!(
        lines.lines().filter(|l| l.starts_with("wrong SHA-256:")).count(),
        1,
        "{lines}"
    );
}

#[tokio::test]
async fn a_live_object_that_changed_is_named_by_the_backup_and_never_stored_under_its_digest() {
    let app = spawn_app().await;
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    anne.upload("a.bin", &pattern(300_000, 1), None).await;
    anne.upload("b.bin", &pattern(300_000, 2), None).await;
    let stored = app.state.blobs.list("files").await.expect("list");
    assert_eq!(stored.len(), 2, "{stored:?}");
    // Same size, other bytes: only the digest can tell.
    let changed = &stored[0].key;
    app.state
        .blobs
        .put(changed, pattern(300_000, 7).into())
        .await
        .expect("overwrite");

    let backups = tempfile::tempdir().expect("backups");
    let target = backups.path().to_str().expect("path");
    let out = cli(&app.state.cfg, &["backup", "--to", target]);
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(said.contains(changed.as_str()) && said.contains("SHA-256 is"), "{said}");
    // The intact object is there, under its own digest; the changed one is not.
    let objects = walk(&backups.path().join("objects"));
    assert_eq!(objects.len(), 1, "{objects:?}");
    let bytes = std::fs::read(&objects[0]).expect("read");
    let name = objects[0].file_name().and_then(|n| n.to_str()).expect("name");
    assert_eq!(sha256_hex(&bytes), name);
    assert_eq!(bytes, pattern(300_000, 2));
}

/// Every file under `dir`, sorted.
fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[tokio::test]
async fn every_table_travels_and_references_point_to_tables_already_restored() {
    use relais::backup::dump::{DEFERRED, TABLES};
    let app = spawn_app().await;
    let pool = app.state.db.pool();
    let sql = match app.state.db.backend() {
        relais::db::Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             AND name NOT IN ('_sqlx_migrations', 'schema_writers')"
        }
        relais::db::Backend::Postgres => {
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() \
             AND table_name NOT IN ('_sqlx_migrations', 'schema_writers')"
        }
    };
    let mut here: Vec<String> = sqlx::query_as::<_, (String,)>(sql)
        .fetch_all(pool)
        .await
        .expect("tables")
        .into_iter()
        .map(|(t,)| t)
        .collect();
    here.sort();
    let mut listed: Vec<String> = TABLES.iter().map(|t| t.name.to_owned()).collect();
    listed.sort();
    // The migration ledgers describe this database, not the studio's data: a restore
    // writes its own.
    assert_eq!(listed, here, "a new table must be added to backup::dump::TABLES");

    if app.state.db.backend() != relais::db::Backend::Sqlite {
        return; // the references are the same on both; SQLite lists them simply
    }
    for (position, table) in TABLES.iter().enumerate() {
        let references: Vec<(String, String)> =
            sqlx::query_as("SELECT \"table\", \"from\" FROM pragma_foreign_key_list($1)")
                .bind(table.name)
                .fetch_all(pool)
                .await
                .expect("references");
        for (parent, column) in references {
            let parent_at = TABLES.iter().position(|t| t.name == parent).expect("parent listed");
            let deferred = DEFERRED.iter().any(|(t, c, _)| *t == table.name && *c == column);
            assert!(
                parent_at < position || deferred,
                "{}.{column} points to {parent}, restored later: reorder TABLES or add it to DEFERRED",
                table.name
            );
        }
    }
}

/// Runs `cmd` to its end; its exit status and the most memory it was seen holding
/// (`VmHWM`, read from `/proc` every few milliseconds while it runs: the image after
/// `exec`, not the test process it was forked from).
async fn run_measured(mut cmd: std::process::Command) -> (std::process::ExitStatus, u64) {
    let mut child = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak = 0u64;
    loop {
        if let Some(status) = child.try_wait().expect("status") {
            return (status, peak);
        }
        let hwm = std::fs::read_to_string(&status_file).ok().and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        });
        peak = peak.max(hwm.unwrap_or(0) * 1024);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_backup_killed_mid_way_completes_on_the_next_run_in_constant_memory() {
    let app = spawn_app().await;
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    const MIB: usize = 1024 * 1024;
    for n in 0..5 {
        anne.upload(&format!("rush-{n}.mov"), &pattern(24 * MIB + n, n as u32), None)
            .await;
    }
    let big = pattern(160 * MIB, 77);
    anne.upload("film.mov", &big, None).await;
    drop(big);
    let backups = tempfile::tempdir().expect("backups");
    let target = backups.path().to_str().expect("path").to_owned();
    let cfg = &app.state.cfg;

    // Killed without warning once a few objects are in.
    let mut first = binary::relais(
        None,
        env_for(cfg).iter().map(|(k, v)| (k, v)),
        &["backup", "--to", &target],
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .expect("backup");
    let objects = backups.path().join("objects");
    crate::helpers::eventually("two objects copied", || {
        let found = walk(&objects).len();
        async move { (found >= 2).then_some(()) }
    })
    .await;
    assert!(
        first.try_wait().expect("status").is_none(),
        "the first run was still going"
    );
    first.kill().expect("kill -9");
    first.wait().expect("reaped");
    let copied_before: Vec<(std::path::PathBuf, std::time::SystemTime)> = walk(&objects)
        .into_iter()
        .map(|p| {
            let modified = std::fs::metadata(&p).and_then(|m| m.modified()).expect("mtime");
            (p, modified)
        })
        .collect();
    assert!(copied_before.len() < 6, "{copied_before:?}");

    // The next run copies only the rest, and holds far less than the 160 MiB file.
    let mut second = binary::relais(
        None,
        env_for(cfg).iter().map(|(k, v)| (k, v)),
        &["backup", "--to", &target],
    );
    second.env("RUST_LOG", "warn");
    let (status, peak) = run_measured(second).await;
    assert!(status.success(), "{status:?}");
    assert_eq!(walk(&objects).len(), 6);
    for (path, modified) in &copied_before {
        let now = std::fs::metadata(path).and_then(|m| m.modified()).expect("mtime");
        assert_eq!(&now, modified, "{} was copied again", path.display());
    }
    eprintln!(
        "peak RSS of `relais backup` copying a 160 MiB object: {} MiB",
        peak / MIB as u64
    );
    assert!(peak < 96 * MIB as u64, "{} MiB", peak / MIB as u64);
    ok(&cli(cfg, &["verify", "--from", &target, "--full"]));
    // Only one snapshot is complete; the interrupted one left no snapshot.json behind.
    let complete = walk(&backups.path().join("snapshots"))
        .into_iter()
        .filter(|p| p.ends_with("snapshot.json"))
        .count();
    assert_eq!(complete, 1);
}

#[tokio::test]
async fn a_bucket_as_target_from_a_local_relais_and_never_the_live_bucket() {
    if Backend::from_env() != Backend::PostgresS3 {
        return; // needs the S3 server of the S3 pass
    }
    // A Relais on SQLite and a local disk, backing up to a bucket of its own.
    let source_dir = tempfile::tempdir().expect("dir");
    let (source_cfg, _source) = empty_place(Backend::SqliteLocal, source_dir.path()).await;
    let source = app_on(&source_cfg).await;
    let (anne, _) = populate(&source).await;
    let before = seen(&source, &anne).await;
    let bucket = crate::helpers::backend::fresh_bucket().await;
    let target = format!("s3://{}/studio/relais", bucket.bucket);
    let s3_env = [
        ("RELAIS_BACKUP__S3__ENDPOINT", bucket.endpoint_str()),
        ("RELAIS_BACKUP__S3__ACCESS_KEY_ID", bucket.access_key_id.clone()),
        ("RELAIS_BACKUP__S3__SECRET_ACCESS_KEY", bucket.secret_access_key.clone()),
    ];
    let with_s3 = |cfg: &Config, args: &[&str]| {
        binary::relais(
            None,
            env_for(cfg)
                .into_iter()
                .chain(s3_env.iter().map(|(k, v)| ((*k).to_owned(), v.clone()))),
            args,
        )
        .output()
        .expect("relais runs")
    };
    let printed = ok(&with_s3(&source.state.cfg, &["backup", "--to", &target]));
    let id = printed.lines().last().expect("id").to_owned();
    ok(&with_s3(&source.state.cfg, &["verify", "--from", &target, "--full"]));

    // Restored into PostgreSQL + S3, whose own S3 settings reach the backup bucket.
    let restored_dir = tempfile::tempdir().expect("dir");
    let (restored_cfg, _restored) = empty_place(Backend::PostgresS3, restored_dir.path()).await;
    let out = ok(&cli(&restored_cfg, &["restore", "--from", &target, "--snapshot", &id]));
    assert!(out.contains(&id), "{out}");
    let restored = app_on(&restored_cfg).await;
    assert_eq!(seen(&restored, &anne).await, before);

    // The live bucket is refused as a target, with the reason.
    let relais_storage::StorageConfig::S3(live) = &restored_cfg.storage else {
        panic!("S3 storage")
    };
    let refused = cli(
        &restored_cfg,
        &["backup", "--to", &format!("s3://{}/backups", live.bucket)],
    );
    assert_eq!(refused.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("live bucket"));
}

#[tokio::test]
async fn a_target_inside_the_data_or_the_storage_is_refused() {
    let app = spawn_app().await;
    let cfg = &app.state.cfg;
    let inside = cfg.data_dir.join("backups");
    let out = cli(cfg, &["backup", "--to", inside.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("inside"), "{said}");
    // The same place spelt another way: through `..`, or through a symbolic link.
    let name = cfg.data_dir.file_name().expect("name").to_string_lossy().into_owned();
    let dotted = cfg.data_dir.join("..").join(&name).join("bk");
    let elsewhere = tempfile::tempdir().expect("dir");
    let link = elsewhere.path().join("link");
    std::os::unix::fs::symlink(&cfg.data_dir, &link).expect("symlink");
    for spelt in [dotted, link.join("bk")] {
        let out = cli(cfg, &["backup", "--to", spelt.to_str().expect("path")]);
        assert_eq!(out.status.code(), Some(1), "{}", spelt.display());
        assert!(String::from_utf8_lossy(&out.stderr).contains("inside"));
    }
    let out = cli(cfg, &["backup"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("backup.target"));
}

/// The studio's dashboard as its owner sees it: the backups section's class and text.
async fn dashboard(browser: &crate::pages::Browser<'_>) -> (String, String) {
    let page = browser.get("/studio", Some("fr")).await;
    assert_eq!(page.status, 200);
    let class = page
        .body
        .split("data-backups=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the backups section")
        .to_owned();
    (class, page.body)
}

async fn runs(app: &TestApp) -> Vec<(String, Option<String>, Option<i64>)> {
    sqlx::query_as("SELECT kind, slot, ok FROM backup_runs ORDER BY started_at, id")
        .fetch_all(app.state.db.pool())
        .await
        .expect("runs")
}

#[tokio::test]
async fn the_daily_backup_runs_once_whatever_the_nodes_a_drill_follows_and_a_failure_is_told_once() {
    let backups = tempfile::tempdir().expect("backups");
    let target = relais::config::BackupTarget::Dir(backups.path().to_path_buf());
    let app = spawn_app_with(move |cfg| {
        cfg.backup.target = Some(target);
        cfg.backup.at = (0, 0); // due at once, whatever the hour the test runs
    })
    .await;
    let (_, secret) = app.create_studio("owner@example.fr", "correct horse battery").await;
    let browser = crate::pages::Browser::new(&app);
    browser
        .login(
            "owner@example.fr",
            "correct horse battery",
            Some(app.totp_code(&secret, 0)),
        )
        .await;
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    anne.upload("valse.flac", &pattern(300_000, 5), None).await;
    let (class, page) = dashboard(&browser).await;
    assert_eq!(class, "warn", "no good backup yet");
    assert!(page.contains("aucune pour l’instant"));

    // Every node's housekeeping ticks; one backup is queued for the day.
    use relais::backup::schedule::tick;
    tick(&app.state).await.expect("tick");
    tick(&app.state).await.expect("tick of another node");
    app.run_jobs().await;
    let after_backup = runs(&app).await;
    assert_eq!(after_backup.len(), 1, "{after_backup:?}");
    assert_eq!(after_backup[0].0, "backup");
    assert_eq!(after_backup[0].2, Some(1));
    // The week now has a good backup: its drill comes next, once.
    tick(&app.state).await.expect("tick");
    tick(&app.state).await.expect("tick");
    app.run_jobs().await;
    let all = runs(&app).await;
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!((all[1].0.as_str(), all[1].2), ("drill", Some(1)), "{all:?}");
    let (class, page) = dashboard(&browser).await;
    assert_eq!(class, "ok", "{page}");
    let snapshot = walk(&backups.path().join("snapshots"))
        .into_iter()
        .find(|p| p.ends_with("snapshot.json"))
        .expect("a snapshot");
    let id = snapshot
        .parent()
        .and_then(|p| p.file_name())
        .expect("id")
        .to_string_lossy()
        .into_owned();
    assert!(page.contains(&id), "the dashboard names the last snapshot");

    // A week later, the new snapshot's database file is cut short after it was written:
    // the drill fails loudly, names it, and the dashboard turns red.
    app.clock().advance(std::time::Duration::from_secs(7 * 24 * 3600));
    tick(&app.state).await.expect("tick");
    app.run_jobs().await;
    let newest = walk(&backups.path().join("snapshots"))
        .into_iter()
        .filter(|p| p.ends_with("database.jsonl.gz"))
        .max()
        .expect("a dump");
    let whole = std::fs::read(&newest).expect("read");
    std::fs::write(&newest, &whole[..whole.len() / 2]).expect("truncate");
    tick(&app.state).await.expect("tick");
    app.run_jobs().await;
    let drills: Vec<_> = runs(&app).await.into_iter().filter(|r| r.0 == "drill").collect();
    assert_eq!(drills.last().map(|d| d.2), Some(Some(0)), "{drills:?}");
    let (class, page) = dashboard(&browser).await;
    assert_eq!(class, "bad");
    assert!(
        page.contains("L’essai de restauration") && page.contains("database.jsonl.gz"),
        "{page}"
    );

    // The backup disk goes away (a file stands where its folder was): the next day's
    // backup fails, the dashboard turns red, the studio gets one email; the day after,
    // still failing, no second email.
    std::fs::remove_dir_all(backups.path()).expect("remove the target");
    std::fs::write(backups.path(), b"not a folder").expect("a file in its place");
    let mails_before = app.outbox().len();
    for _ in 0..2 {
        app.clock().advance(std::time::Duration::from_secs(24 * 3600));
        tick(&app.state).await.expect("tick");
        app.run_jobs().await;
    }
    let failed: Vec<_> = runs(&app)
        .await
        .into_iter()
        .filter(|r| r.0 == "backup" && r.2 == Some(0))
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    let (class, page) = dashboard(&browser).await;
    assert_eq!(class, "bad");
    assert!(page.contains("a échoué"), "{page}");
    let mails = app.outbox();
    let told: Vec<_> = mails[mails_before..]
        .iter()
        .filter(|m| m.contains("La sauvegarde de cette nuit"))
        .collect();
    assert_eq!(told.len(), 1, "one email for the failure, not one a day: {told:?}");
    assert!(
        told[0].contains(&backups.path().display().to_string()),
        "the email names the target"
    );
}

#[tokio::test]
async fn a_database_prepared_by_a_newer_relais_is_rebuilt_at_the_snapshots_schema() {
    let app = spawn_app().await;
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    anne.upload("a.bin", &pattern(10_000, 1), None).await;
    let before = seen(&app, &anne.token).await;
    let backups = tempfile::tempdir().expect("backups");
    let target = backups.path().to_str().expect("path");
    ok(&cli(&app.state.cfg, &["backup", "--to", target]));

    // An empty database whose ledger says a later migration ran: restoring must not put
    // old rows under a newer schema without its data changes.
    let dir = tempfile::tempdir().expect("dir");
    let (cfg, _resources) = empty_place(Backend::from_env(), dir.path()).await;
    ok(&cli(&cfg, &["migrate"]));
    let db = relais::db::Db::connect(&cfg.database).await.expect("connect");
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', TRUE, $1, 0)",
    )
    .bind(vec![0u8; 4])
    .execute(db.pool())
    .await
    .expect("a later migration in the ledger");
    db.close().await;
    ok(&cli(&cfg, &["restore", "--from", target]));
    let db = relais::db::Db::connect(&cfg.database).await.expect("connect");
    let (newest,): (i64,) = sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(db.pool())
        .await
        .expect("ledger");
    assert_eq!(newest, db.newest_migration(), "rebuilt, then migrated by this binary");
    db.close().await;
    let restored = app_on(&cfg).await;
    assert_eq!(seen(&restored, &anne.token).await, before);
}

#[tokio::test]
async fn a_database_rebuilt_at_an_older_schema_for_a_restore_migrates_up_again() {
    // What a restore does with a snapshot from before the schema ledger (0023): the
    // database is dropped, rebuilt at the snapshot's schema, loaded, then migrated.
    let app = spawn_app().await;
    let db = &app.state.db;
    let mut tx = db.begin().await.expect("tx");
    relais::backup::dump::drop_schema(&mut tx, db.backend())
        .await
        .expect("dropped");
    tx.commit().await.expect("commit");
    db.migrate_to(22).await.expect("rebuilt at schema 22");
    db.migrate().await.expect("and migrated to the newest again");
    assert_eq!(db.applied_version().await.expect("version"), db.newest_migration());
    let writers = db.writers().await.expect("writers");
    assert_eq!(writers[0].0, db.newest_migration(), "{writers:?}");
}
