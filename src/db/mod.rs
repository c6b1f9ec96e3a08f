//! The metadata database. One data-access layer serves SQLite and PostgreSQL through
//! sqlx's `Any` driver: the schema keeps to types both share (TEXT, BIGINT), queries are
//! written once with `$n` placeholders (SQLite accepts them too), and where the two
//! dialects differ the query is chosen by [`Backend`]. All SQL lives in this module.

pub mod activity;
pub mod appointments;
pub mod backups;
pub mod downloads;
pub mod emails;
pub mod file_pages;
pub mod files;
pub mod guest_links;
pub mod integrations;
pub mod jobs;
pub mod ledger;
pub mod links;
pub mod newsletter;
pub mod portfolio;
pub mod selections;
pub mod sessions;
pub mod setup;
pub mod studio;
pub mod tokens;
pub mod transfers;
pub mod trash;
pub mod uploads;
pub mod users;
pub mod variants;

use std::str::FromStr;
use std::time::Duration;

use secrecy::ExposeSecret;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyPool, Executor};

use crate::config::{DatabaseConfig, DatabaseKind};
use crate::domain::Timestamp;

pub type Tx = sqlx::Transaction<'static, Any>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the database {url} (database_url): {detail}")]
    Connect { url: String, detail: String },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("unexpected value in the database: {0}")]
    Corrupt(String),
    #[error(
        "this database was migrated by {by} to schema {applied}; this binary is Relais {ours} (commit {commit}) \
         and knows schemas up to {known}: run that newer version, or put back the copy kept before the upgrade \
         (SQLite: <data_dir>/pre-migration) or a backup made before it",
        ours = env!("CARGO_PKG_VERSION"),
        commit = crate::cli::build_info::COMMIT
    )]
    Newer { applied: i64, known: i64, by: String },
}

impl DbError {
    /// True when the statement broke a UNIQUE constraint (the record already exists).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, DbError::Sqlx(sqlx::Error::Database(e)) if e.is_unique_violation())
    }
}

/// A pool of connections to the metadata database.
#[derive(Debug, Clone)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Applied to every new SQLite connection. WAL lets readers work while one writer writes;
/// `synchronous = FULL` makes every commit durable before it is acknowledged (a client
/// told "stored" must never lose the file's record on a power cut).
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;";

impl Db {
    pub async fn connect(cfg: &DatabaseConfig) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let url = cfg.url.expose_secret();
        let fail = |detail: String| DbError::Connect {
            url: cfg.redacted_url(),
            detail,
        };
        let backend = match cfg.kind {
            DatabaseKind::Sqlite => {
                if let Some(parent) = sqlite_file(url).and_then(|p| p.parent().map(std::path::Path::to_path_buf))
                    && !parent.as_os_str().is_empty()
                {
                    std::fs::create_dir_all(&parent)
                        .map_err(|e| fail(format!("cannot create {}: {e}", parent.display())))?;
                }
                Backend::Sqlite
            }
            DatabaseKind::Postgres => Backend::Postgres,
        };
        let options = AnyConnectOptions::from_str(url).map_err(|e| fail(e.to_string()))?;
        let pool = AnyPoolOptions::new()
            .max_connections(cfg.max_connections)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(SQLITE_PRAGMAS).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| fail(describe_connect_error(&e)))?;
        Ok(Self { pool, backend })
    }

    /// Applies the migrations embedded in the binary that this database has not seen yet.
    pub async fn migrate(&self) -> Result<(), DbError> {
        self.migrator().run(&self.pool).await?;
        self.record_writer().await
    }

    /// Notes that this binary runs on this schema (once per schema, release and commit).
    async fn record_writer(&self) -> Result<(), DbError> {
        let now = Timestamp::from_system_time(std::time::SystemTime::now());
        sqlx::query(
            "INSERT INTO schema_writers (schema_version, relais_version, commit_id, first_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        )
        .bind(self.applied_version().await?)
        .bind(env!("CARGO_PKG_VERSION"))
        .bind(crate::cli::build_info::COMMIT)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The releases that ran on this database, newest schema first: schema, release,
    /// commit, when first seen.
    pub async fn writers(&self) -> Result<Vec<(i64, String, String, Timestamp)>, DbError> {
        // Before migration 23 there is no ledger: no history, which is not an error.
        if self.applied_version().await? < 23 {
            return Ok(Vec::new());
        }
        Ok(sqlx::query_as(
            "SELECT schema_version, relais_version, commit_id, first_at FROM schema_writers \
             ORDER BY schema_version DESC, first_at DESC",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The migrations embedded for this database's backend.
    fn migrator(&self) -> &'static sqlx::migrate::Migrator {
        match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        }
    }

    /// Applies the embedded migrations up to `version` only (a restore puts rows into the
    /// schema they were read from, then migrates them with the rest).
    pub async fn migrate_to(&self, version: i64) -> Result<(), DbError> {
        self.migrator().run_to(version, &self.pool).await?;
        Ok(())
    }

    /// The version of the newest migration embedded in this binary.
    pub fn newest_migration(&self) -> i64 {
        self.migrator().iter().map(|m| m.version).max().unwrap_or(0)
    }

    /// The newest migration this database has applied (0 for a new one).
    pub async fn applied_version(&self) -> Result<i64, DbError> {
        // Before the first migration the ledger does not exist: that is version 0.
        let applied: Result<(Option<i64>,), _> =
            sqlx::query_as("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&self.pool)
                .await;
        Ok(applied.ok().and_then(|(v,)| v).unwrap_or(0))
    }

    /// The embedded migrations this database has not applied yet: version and description.
    pub async fn pending_list(&self) -> Result<Vec<(i64, String)>, DbError> {
        let migrator = self.migrator();
        // Before the first migration the bookkeeping table does not exist yet.
        let applied: Vec<(i64,)> = sqlx::query_as("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(&self.pool)
            .await
            .unwrap_or_default();
        Ok(migrator
            .iter()
            .filter(|m| !m.migration_type.is_down_migration() && !applied.iter().any(|(v,)| *v == m.version))
            .map(|m| (m.version, m.description.to_string()))
            .collect())
    }

    /// Refuses a database that a newer Relais migrated: this binary would not know its
    /// tables, and running on them could lose what it does not understand.
    pub async fn refuse_newer(&self) -> Result<(), DbError> {
        let (applied, known) = (self.applied_version().await?, self.newest_migration());
        if applied > known {
            // The first release seen on that schema is the one that migrated it there.
            let by = self
                .writers()
                .await?
                .into_iter()
                .filter(|w| w.0 == applied)
                .min_by_key(|w| w.3)
                .map_or_else(
                    || "a newer Relais".to_owned(),
                    |(_, version, commit, _)| format!("Relais {version} (commit {commit})"),
                );
            return Err(DbError::Newer { applied, known, by });
        }
        Ok(())
    }

    /// Copies a SQLite database to `dir` (a consistent copy, while it is in use) before
    /// migrations change it; keeps the three newest copies. Returns the copy's path.
    pub async fn keep_copy_before_migrating(&self, dir: &std::path::Path) -> Result<std::path::PathBuf, DbError> {
        std::fs::create_dir_all(dir).map_err(|e| DbError::Corrupt(format!("cannot create {}: {e}", dir.display())))?;
        let version = self.applied_version().await?;
        let stamp = crate::backup::retention::id_for(Timestamp::from_system_time(std::time::SystemTime::now()));
        // A second copy within the same second (a rollback then a new start) gets its own name.
        let path = (1..)
            .map(|n| match n {
                1 => dir.join(format!("relais-schema{version}-{stamp}.db")),
                n => dir.join(format!("relais-schema{version}-{stamp}-{n}.db")),
            })
            .find(|p| !p.exists())
            .unwrap_or_else(|| dir.join(format!("relais-schema{version}-{stamp}-{}.db", uuid::Uuid::new_v4())));
        sqlx::query("VACUUM INTO $1")
            .bind(path.to_string_lossy().into_owned())
            .execute(&self.pool)
            .await?;
        let mut copies: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
            .map(|entries| entries.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        copies.retain(|p| p.extension().is_some_and(|e| e == "db"));
        // Names sort by time only within one schema version: order by when they were made.
        copies.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        while copies.len() > 3 {
            let _ = std::fs::remove_file(copies.remove(0));
        }
        Ok(path)
    }

    /// How many embedded migrations this database has not applied yet.
    pub async fn pending_migrations(&self) -> Result<usize, DbError> {
        Ok(self.pending_list().await?.len())
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that later tries to write can fail with
    /// "database is locked" without waiting, whereas this one waits its turn.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// One round trip, for `/readyz` and `relais check`.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then(|| std::path::PathBuf::from(percent_decode(path)))
}

/// Undoes the `%XX` escapes that `config::sqlite_url` writes.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// sqlx reports "pool timed out" when the server never answers; say what that means.
fn describe_connect_error(err: &sqlx::Error) -> String {
    match err {
        sqlx::Error::PoolTimedOut => "no answer within 10 seconds (is the server running and reachable?)".into(),
        sqlx::Error::Io(e) => format!("{e} (is the server running and reachable?)"),
        other => other.to_string(),
    }
}

/// Reads a text column holding one of our ids.
pub(crate) fn parse_id<T>(raw: &str, parse: impl FnOnce(&str) -> Option<T>) -> Result<T, DbError> {
    parse(raw).ok_or_else(|| DbError::Corrupt(format!("not an id: {raw:?}")))
}
