//! The `relais` binary itself: start-up, configuration errors, commands.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::helpers::backend;
use crate::helpers::binary::{self, free_port};

/// The binary with a clean environment: only what the test sets, in `dir`.
fn relais(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Command {
    binary::relais(Some(dir), env.iter().copied(), args)
}

fn run(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    relais(dir, env, args).output().expect("relais runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn serve_starts_with_no_configuration_in_an_empty_directory_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port().to_string();
    let listen = format!("127.0.0.1:{port}");
    // Only the port is set, so that parallel tests do not fight over 8080.
    let child = relais(dir.path(), &[("RELAIS_LISTEN", &listen)], &["serve"])
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let url = format!("http://{listen}/healthz");
    let mut healthy = false;
    for _ in 0..200 {
        if let Ok(r) = reqwest::get(&url).await {
            healthy = r.status() == 200;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(healthy, "relais answered /healthz");
    assert!(
        dir.path().join("data/relais.db").is_file(),
        "SQLite database under ./data"
    );
    assert!(dir.path().join("data/objects").is_dir(), "objects under ./data/objects");
    let ready = reqwest::get(format!("http://{listen}/readyz")).await.expect("readyz");
    assert_eq!(ready.status(), 200);

    // SIGTERM: graceful stop with exit code 0.
    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success()
    );
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("wait");
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "exit {:?}: {stderr}", output.status);
    assert!(stderr.contains("relais stopped"), "{stderr}");
    assert!(
        stderr.contains("No studio account yet") && stderr.contains("/setup/"),
        "first run prints the setup link: {stderr}"
    );
}

#[test]
fn every_configuration_problem_is_listed_at_once_with_exit_code_2() {
    let dir = tempfile::tempdir().expect("dir");
    let output = run(
        dir.path(),
        &[
            ("RELAIS_LISTEN", "localhost-8080"),
            ("RELAIS_STORAGE__BACKEND", "dropbox"),
            ("RELAIS_UPLOADS__MAX_FILE_SIZE", "big"),
        ],
        &["serve"],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("3 problems"), "{stderr}");
    assert!(
        stderr.contains("listen (RELAIS_LISTEN): not a socket address (got \"localhost-8080\""),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "storage.backend (RELAIS_STORAGE__BACKEND): unknown backend (got \"dropbox\"; expected local or s3)"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("uploads.max_file_size"), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("RUST_BACKTRACE"),
        "no panic: {stderr}"
    );
    assert!(
        !dir.path().join("data").exists(),
        "nothing is created when the configuration is refused"
    );
}

#[test]
fn s3_without_a_bucket_names_the_missing_keys() {
    let dir = tempfile::tempdir().expect("dir");
    let output = run(
        dir.path(),
        &[
            ("RELAIS_STORAGE__BACKEND", "s3"),
            ("RELAIS_STORAGE__ACCESS_KEY_ID", "k"),
            ("RELAIS_STORAGE__SECRET_ACCESS_KEY", "s3cr3t-value"),
        ],
        &["check"],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("storage.bucket (RELAIS_STORAGE__BUCKET): required when storage.backend is s3"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cr3t-value"), "secrets are never printed: {stderr}");
}

#[test]
fn a_configuration_file_is_read_and_its_mistakes_named() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("relais.toml"),
        "listen = 8080\n[storage]\nbukket = \"x\"\n[storge]\nbackend = \"s3\"\n",
    )
    .expect("write");
    let output = run(dir.path(), &[], &["check"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("listen (RELAIS_LISTEN): not a socket address (got \"8080\""),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "storage.bukket (RELAIS_STORAGE__BUKKET): unknown key; did you mean storage.bucket (RELAIS_STORAGE__BUCKET)?"
        ),
        "{stderr}"
    );
    // The whole path is compared, not a prefix: a misspelt table still finds its key.
    assert!(
        stderr.contains("storge.backend (RELAIS_STORGE__BACKEND): unknown key; did you mean storage.backend"),
        "{stderr}"
    );
    let from_env = run(dir.path(), &[("RELAIS_UPLOAD__MAX_FILE_SIZE", "5 Go")], &["check"]);
    assert!(
        text(&from_env.stderr)
            .contains("unknown key; did you mean uploads.max_file_size (RELAIS_UPLOADS__MAX_FILE_SIZE)?"),
        "{}",
        text(&from_env.stderr)
    );

    let broken = run(dir.path(), &[], &["--config", "missing.toml", "check"]);
    assert_eq!(broken.status.code(), Some(2));
    let stderr = text(&broken.stderr);
    assert!(
        stderr.contains("cannot read configuration file missing.toml"),
        "{stderr}"
    );
    // The message ends its line; the advice that follows starts on its own.
    assert!(
        stderr.lines().any(|l| l.starts_with("Every setting can be given")),
        "{stderr}"
    );
}

#[test]
fn an_unreachable_postgresql_is_named_without_its_password() {
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let url = format!("postgres://relais:pg-s3cret@127.0.0.1:{port}/relais");
    let output = run(dir.path(), &[("RELAIS_DATABASE_URL", &url)], &["migrate"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("cannot open the database"), "{stderr}");
    assert!(
        stderr.contains(&format!("127.0.0.1:{port}")) && stderr.contains("(database_url)"),
        "{stderr}"
    );
    assert!(!stderr.contains("pg-s3cret"), "the password never appears: {stderr}");
}

#[test]
fn account_commands_print_one_line_each() {
    let dir = tempfile::tempdir().expect("dir");
    let mut admin = relais(
        dir.path(),
        &[],
        &["admin", "create", "--email", "studio@example.fr", "--password-stdin"],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .expect("spawn");
    admin
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"a studio password\n")
        .expect("write");
    let output = admin.wait_with_output().expect("wait");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert_eq!(stdout.lines().count(), 1);
    assert!(stdout.starts_with("otpauth://totp/"), "{stdout}");
    assert!(text(&output.stderr).contains("Recovery codes"));

    let client = run(
        dir.path(),
        &[],
        &["client", "create", "--email", "claire@example.fr", "--name", "Claire"],
    );
    assert!(client.status.success(), "{}", text(&client.stderr));
    let id = text(&client.stdout);
    assert!(uuid::Uuid::parse_str(id.trim()).is_ok(), "client id: {id:?}");

    let token = run(
        dir.path(),
        &[],
        &["token", "create", "--email", "claire@example.fr", "--name", "script"],
    );
    assert!(token.status.success(), "{}", text(&token.stderr));
    let token = text(&token.stdout);
    assert!(
        token.trim().starts_with("rls_") && token.lines().count() == 1,
        "{token:?}"
    );

    let listed = text(&run(dir.path(), &[], &["token", "list", "--email", "claire@example.fr"]).stdout);
    let token_id = listed.split('\t').next().expect("id").to_owned();
    assert!(listed.contains("script\tactive"), "{listed}");
    let revoked = run(
        dir.path(),
        &[],
        &["token", "revoke", "--email", "claire@example.fr", "--id", &token_id],
    );
    assert!(revoked.status.success(), "{}", text(&revoked.stderr));
    assert!(text(&run(dir.path(), &[], &["token", "list", "--email", "claire@example.fr"]).stdout).contains("revoked"));

    let duplicate = run(
        dir.path(),
        &[],
        &["client", "create", "--email", "claire@example.fr", "--name", "Claire"],
    );
    assert_eq!(duplicate.status.code(), Some(1));
    assert!(text(&duplicate.stderr).contains("already exists"));

    // The quote site's secret: one line, a Standard Webhooks key, usable to sign at once.
    let integration = run(dir.path(), &[], &["integration", "create", "--name", "Site de devis"]);
    assert!(integration.status.success(), "{}", text(&integration.stderr));
    let secret = text(&integration.stdout);
    assert_eq!(secret.lines().count(), 1, "{secret:?}");
    let parsed = relais::integration::signature::Secret::parse(secret.trim()).expect("a whsec_ secret");
    assert_eq!(parsed.expose(), secret.trim());
}

#[test]
fn check_passes_on_the_embedded_defaults() {
    let dir = tempfile::tempdir().expect("dir");
    let migrate = run(dir.path(), &[], &["migrate"]);
    assert!(migrate.status.success(), "{}", text(&migrate.stderr));
    let output = run(dir.path(), &[], &["check"]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    for line in ["OK    config", "OK    database", "OK    storage", "OK    mail"] {
        assert!(stdout.contains(line), "{line:?} missing in:\n{stdout}");
    }
    // Which JPEG code the build assembled (nasm found or not), said either way.
    let photos = if relais::media::image::SIMD {
        "OK    photos     JPEG code built with SIMD"
    } else {
        "WARN  photos     JPEG code built without SIMD"
    };
    assert!(stdout.contains(photos), "{photos:?} missing in:\n{stdout}");
}

#[test]
fn check_prints_the_dns_records_to_publish_and_a_bad_dkim_key_is_named() {
    let dir = tempfile::tempdir().expect("dir");
    let key = dir.path().join("dkim.pem");
    std::fs::write(&key, crate::mail::dkim_key_pem()).expect("key written");
    let key = key.to_str().expect("utf-8");
    let env = [
        ("RELAIS_MAIL__FROM", "Studio Lumière <contact@studio-lumiere.fr>"),
        ("RELAIS_MAIL__DKIM_KEY_FILE", key),
        ("RELAIS_MAIL__DKIM_SELECTOR", "relais2026"),
    ];
    assert!(run(dir.path(), &env, &["migrate"]).status.success());
    let output = run(dir.path(), &env, &["check"]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains("OK    dkim"), "{stdout}");
    assert!(
        stdout.contains("relais2026._domainkey.studio-lumiere.fr  TXT  \"v=DKIM1; k=rsa; p=MII"),
        "{stdout}"
    );
    assert!(
        stdout.contains("_dmarc.studio-lumiere.fr  TXT  \"v=DMARC1; p=quarantine"),
        "{stdout}"
    );
    assert!(stdout.contains("studio-lumiere.fr  TXT  \"v=spf1"), "{stdout}");
    // What the DNS says depends on this machine's network: the lookups are tested
    // against dnsmasq in tests/ops/dns.rs.
    assert!(!stdout.contains("PRIVATE KEY") && !text(&output.stderr).contains("PRIVATE KEY"));

    // Without a key: a warning that says how to make one.
    let unsigned = run(dir.path(), &env[..1], &["check"]);
    assert!(
        text(&unsigned.stdout).contains("WARN  dkim"),
        "{}",
        text(&unsigned.stdout)
    );

    // A file that is not a key stops the start with the key's name.
    std::fs::write(dir.path().join("bad.pem"), "not a key").expect("written");
    let bad_path = dir.path().join("bad.pem");
    let bad = [("RELAIS_MAIL__DKIM_KEY_FILE", bad_path.to_str().expect("utf-8"))];
    let refused = run(dir.path(), &bad, &["check"]);
    assert!(!refused.status.success());
    let stderr = text(&refused.stderr);
    assert!(
        stderr.contains("mail.dkim_key") && stderr.contains("RSA private key"),
        "{stderr}"
    );
}

/// Runs `relais check` against an S3 storage (endpoint, bucket, key, secret) and returns
/// its whole output and its `FAIL  storage` line, after checking that it failed.
fn check_s3(endpoint: &str, bucket: &str, key: &str, secret: &str) -> (String, String) {
    let dir = tempfile::tempdir().expect("dir");
    let env = [
        ("RELAIS_STORAGE__BACKEND", "s3"),
        ("RELAIS_STORAGE__ENDPOINT", endpoint),
        ("RELAIS_STORAGE__BUCKET", bucket),
        ("RELAIS_STORAGE__ACCESS_KEY_ID", key),
        ("RELAIS_STORAGE__SECRET_ACCESS_KEY", secret),
    ];
    // Nothing else runs on the calling test's runtime, so blocking on the child is fine.
    let output = run(dir.path(), &env, &["check"]);
    let stdout = text(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    let storage = stdout
        .lines()
        .find(|l| l.starts_with("FAIL  storage"))
        .unwrap_or_else(|| panic!("no storage failure in:\n{stdout}"))
        .to_owned();
    (stdout, storage)
}

#[tokio::test]
async fn check_fails_with_the_fix_when_the_s3_secret_is_wrong() {
    let good = backend::fresh_bucket().await;
    let endpoint = good.endpoint.as_ref().map(|u| u.to_string()).expect("endpoint");
    let (stdout, storage) = check_s3(&endpoint, &good.bucket, &good.access_key_id, "definitely-wrong");
    assert!(
        storage.contains("refused our credentials") && storage.contains("storage.secret_access_key"),
        "{storage}"
    );
    assert!(
        !stdout.contains("FAIL  database") && !stdout.contains("FAIL  mail"),
        "only storage fails:\n{stdout}"
    );
}

#[tokio::test]
async fn check_says_the_storage_cannot_be_reached_when_nothing_answers() {
    // A port nothing listens on: the connection is refused at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let endpoint = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let (_, storage) = check_s3(&endpoint, "relais-nowhere", "key", "secret");
    assert!(
        storage.contains("could not be reached") && storage.contains("refused"),
        "{storage}"
    );
    assert!(!storage.contains("credentials"), "{storage}");
}

#[tokio::test]
async fn upgrades_keep_a_copy_of_sqlite_say_what_would_run_and_an_older_binary_refuses_a_newer_schema() {
    let dir = tempfile::tempdir().expect("dir");
    let cfg = relais::config::Config::defaults_in(dir.path()).expect("defaults");
    std::fs::create_dir_all(&cfg.data_dir).expect("data dir");
    // A database as Relais left it two releases ago (schema 16), with a client in it.
    let db = relais::db::Db::connect(&cfg.database).await.expect("connect");
    db.migrate_to(16).await.expect("schema 16");
    db.close().await;
    let env = backend::env_for(&cfg);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let made = run(
        dir.path(),
        &env,
        &["client", "create", "--email", "anne@example.fr", "--name", "Anne"],
    );
    // Any command that opens the database migrates it, after keeping a copy.
    assert!(made.status.success(), "{}", text(&made.stderr));
    let copies = |dir: &Path| -> Vec<std::path::PathBuf> {
        std::fs::read_dir(dir.join("pre-migration"))
            .map(|e| e.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    };
    assert_eq!(
        copies(&cfg.data_dir).len(),
        1,
        "a copy was kept before migrating 16 → newest"
    );
    let copy = copies(&cfg.data_dir).remove(0);
    assert!(copy.to_string_lossy().contains("schema16"), "{}", copy.display());
    let kept = relais::db::Db::connect(&relais::config::DatabaseConfig {
        url: relais::config::sqlite_url(&copy).into(),
        ..cfg.database.clone()
    })
    .await
    .expect("the copy opens");
    assert_eq!(kept.applied_version().await.expect("version"), 16);
    kept.close().await;

    // The README's rollback: stopped, the copy put back (and the WAL files of the newer
    // schema removed), the database is what the older release left, and a new start
    // upgrades it again.
    let live = cfg.data_dir.join("relais.db");
    std::fs::copy(&copy, &live).expect("copy put back");
    for wal in ["relais.db-wal", "relais.db-shm"] {
        let _ = std::fs::remove_file(cfg.data_dir.join(wal));
    }
    let dry = run(dir.path(), &env, &["migrate", "--dry-run"]);
    assert!(text(&dry.stdout).contains("would apply 0017"), "{}", text(&dry.stdout));
    let rolled = relais::db::Db::connect(&cfg.database).await.expect("connect");
    assert_eq!(rolled.applied_version().await.expect("version"), 16);
    let (clients,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE email = 'anne@example.fr'")
        .fetch_one(rolled.pool())
        .await
        .expect("count");
    assert_eq!(clients, 0, "what was done after the upgrade is not in the copy");
    rolled.close().await;
    let forward = run(dir.path(), &env, &["migrate"]);
    assert!(forward.status.success(), "{}", text(&forward.stderr));

    // Nothing pending now: the dry run says so, and changes nothing.
    let dry = run(dir.path(), &env, &["migrate", "--dry-run"]);
    assert!(dry.status.success());
    assert!(text(&dry.stdout).contains("up to date"), "{}", text(&dry.stdout));

    // On a fresh schema-16 database, the dry run lists what would run and applies none of it.
    let other = tempfile::tempdir().expect("dir");
    let other_cfg = relais::config::Config::defaults_in(other.path()).expect("defaults");
    std::fs::create_dir_all(&other_cfg.data_dir).expect("data dir");
    let db = relais::db::Db::connect(&other_cfg.database).await.expect("connect");
    db.migrate_to(16).await.expect("schema 16");
    let other_env = backend::env_for(&other_cfg);
    let other_env: Vec<(&str, &str)> = other_env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let dry = run(other.path(), &other_env, &["migrate", "--dry-run"]);
    assert!(dry.status.success());
    let listed = text(&dry.stdout);
    assert!(
        listed.contains("would apply 0017") && listed.contains("would apply 0018"),
        "{listed}"
    );
    assert_eq!(
        db.applied_version().await.expect("version"),
        16,
        "a dry run changes nothing"
    );

    // This release brings it up to date and notes itself as the schema's writer.
    let upgraded = run(other.path(), &other_env, &["migrate"]);
    assert!(upgraded.status.success(), "{}", text(&upgraded.stderr));
    let writers = db.writers().await.expect("writers");
    assert_eq!(writers[0].0, db.newest_migration());
    assert_eq!(writers[0].1, env!("CARGO_PKG_VERSION"));

    // A newer Relais migrated it further: this one refuses to start on it, and names both
    // releases and both schemas.
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (9999, 'from the future', TRUE, $1, 0)",
    )
    .bind(vec![0u8; 4])
    .execute(db.pool())
    .await
    .expect("a later migration");
    sqlx::query(
        "INSERT INTO schema_writers (schema_version, relais_version, commit_id, first_at) \
         VALUES (9999, '9.9.9', 'f0f0f0f0f0f0', 0)",
    )
    .execute(db.pool())
    .await
    .expect("its writer");
    let known = db.newest_migration();
    db.close().await;
    for args in [&["serve"][..], &["migrate"][..], &["check"][..]] {
        let refused = run(other.path(), &other_env, args);
        assert_ne!(refused.status.code(), Some(0), "{args:?}");
        let said = format!("{}{}", text(&refused.stderr), text(&refused.stdout));
        assert!(
            said.contains("migrated by Relais 9.9.9 (commit f0f0f0f0f0f0) to schema 9999")
                && said.contains(&format!("this binary is Relais {}", env!("CARGO_PKG_VERSION")))
                && said.contains(&format!("knows schemas up to {known}")),
            "{args:?}: {said}"
        );
    }
}

#[test]
fn version_names_the_release_and_the_commit_it_was_built_from() {
    let dir = tempfile::tempdir().expect("dir");
    let out = run(dir.path(), &[], &["--version"]);
    assert!(out.status.success());
    let said = text(&out.stdout);
    let head = Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| text(&o.stdout).trim().to_owned());
    match head {
        // Built from this clone: the commit checked out (the binary is rebuilt on commits).
        Some(commit) => assert_eq!(
            said.trim(),
            format!("relais {} (commit {commit})", env!("CARGO_PKG_VERSION"))
        ),
        None => assert!(
            said.starts_with(&format!("relais {} (commit ", env!("CARGO_PKG_VERSION"))),
            "{said}"
        ),
    }
}
