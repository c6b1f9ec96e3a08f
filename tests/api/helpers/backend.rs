//! The backend pair a test run uses, and the per-test resources it needs: a uniquely
//! named PostgreSQL database (dropped afterwards) and a fresh S3 bucket.

use std::path::Path;

use relais::config::{Config, DatabaseKind};
use relais_storage::{S3Config, StorageConfig};
use secrecy::SecretString;
use sqlx::Connection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    SqliteLocal,
    PostgresS3,
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run the suite with scripts/test.sh, which starts PostgreSQL and s3s-fs and sets it")
    })
}

/// Settings of the S3-compatible server started by `scripts/test.sh`.
pub fn s3_settings(bucket: &str) -> S3Config {
    S3Config {
        endpoint: Some(env("TEST_S3_ENDPOINT").parse().expect("TEST_S3_ENDPOINT is a URL")),
        bucket: bucket.to_owned(),
        region: "us-east-1".into(),
        access_key_id: env("TEST_S3_ACCESS_KEY"),
        secret_access_key: env("TEST_S3_SECRET_KEY"),
        path_style: true,
    }
}

/// A new, empty bucket on the test S3 server.
pub async fn fresh_bucket() -> S3Config {
    let cfg = s3_settings(&format!("t-{}", uuid::Uuid::new_v4().simple()));
    let steps = relais_storage::setup::apply(&cfg, &["http://127.0.0.1".into()]).await;
    assert!(
        !steps
            .iter()
            .any(|s| matches!(s.outcome, relais_storage::setup::StepOutcome::Failed(_))),
        "bucket setup failed: {steps:?}"
    );
    cfg
}

/// Things to clean up when the test ends.
pub struct Resources {
    database: Option<(String, String)>,
}

impl Drop for Resources {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.database.take() else {
            return;
        };
        // Drop runs outside any async context we may block; use a runtime of our own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await;
                }
            });
        })
        .join();
    }
}

impl Backend {
    pub fn from_env() -> Self {
        match std::env::var("TEST_BACKEND").as_deref() {
            Ok("postgres-s3") => Backend::PostgresS3,
            Ok("sqlite-local") | Err(_) => Backend::SqliteLocal,
            Ok(other) => panic!("TEST_BACKEND={other:?}: expected sqlite-local or postgres-s3"),
        }
    }

    /// Points `cfg` at this backend's database and storage, creating them.
    pub async fn prepare(self, cfg: &mut Config, _dir: &Path) -> Resources {
        match self {
            Backend::SqliteLocal => Resources { database: None },
            Backend::PostgresS3 => {
                let admin_url = env("TEST_DATABASE_URL");
                let name = format!("relais_t_{}", uuid::Uuid::new_v4().simple());
                let mut conn = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .expect("PostgreSQL reachable");
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .execute(&mut conn)
                    .await
                    .expect("create database");
                let mut url = url::Url::parse(&admin_url).expect("TEST_DATABASE_URL is a URL");
                url.set_path(&name);
                cfg.database.url = SecretString::from(url.to_string());
                cfg.database.kind = DatabaseKind::Postgres;
                cfg.storage = StorageConfig::S3(fresh_bucket().await);
                Resources {
                    database: Some((admin_url, name)),
                }
            }
        }
    }
}

/// The environment that makes the `relais` binary use the same database and storage as
/// `cfg` (for tests that run the binary itself).
pub fn env_for(cfg: &relais::config::Config) -> Vec<(String, String)> {
    use secrecy::ExposeSecret;
    let mut env = vec![
        ("RELAIS_DATA_DIR".to_owned(), cfg.data_dir.display().to_string()),
        (
            "RELAIS_DATABASE_URL".to_owned(),
            cfg.database.url.expose_secret().to_owned(),
        ),
        (
            "RELAIS_UPLOADS__PART_SIZE".to_owned(),
            cfg.uploads.part_size.bytes().to_string(),
        ),
    ];
    match &cfg.storage {
        StorageConfig::S3(s3) => {
            env.push(("RELAIS_STORAGE__BACKEND".into(), "s3".into()));
            env.push(("RELAIS_STORAGE__ENDPOINT".into(), s3.endpoint_str()));
            env.push(("RELAIS_STORAGE__BUCKET".into(), s3.bucket.clone()));
            env.push(("RELAIS_STORAGE__ACCESS_KEY_ID".into(), s3.access_key_id.clone()));
            env.push(("RELAIS_STORAGE__SECRET_ACCESS_KEY".into(), s3.secret_access_key.clone()));
        }
        StorageConfig::Local { root } => env.push(("RELAIS_STORAGE__ROOT".into(), root.display().to_string())),
        StorageConfig::Memory => env.push(("RELAIS_STORAGE__BACKEND".into(), "memory".into())),
    }
    env
}
