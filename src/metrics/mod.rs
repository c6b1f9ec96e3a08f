//! Prometheus metrics: what the process counts as it works (requests, bytes, storage
//! operations) and what is read from the database when scraped (queues, outbox, backups).
//!
//! One registry per `AppState`, not a global recorder: tests run many servers in one
//! process, and each must count only its own work.

pub mod storage;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

use crate::db::{self, Db, DbError};
use crate::domain::Timestamp;

/// What `GET /metrics` answers with (OpenMetrics 1.0, which Prometheus reads).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// The route's pattern (`/api/v1/uploads/{id}`), never the path itself: ids would make
    /// a series per file.
    pub route: String,
    pub method: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub route: String,
    pub method: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StorageLabels {
    pub backend: &'static str,
    pub op: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabels {
    pub kind: String,
    /// `waiting` (due, not yet claimed), `scheduled` (due later), `running`.
    pub state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PoolLabels {
    /// `in_use` or `idle`.
    pub state: &'static str,
}

type FloatGauge = Gauge<f64, AtomicU64>;
type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn request_buckets() -> Histogram {
    // 5 ms … 41 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 14))
}

fn patch_buckets() -> Histogram {
    // 10 ms … 10 min: one PATCH carries up to a whole file.
    Histogram::new(exponential_buckets(0.01, 2.5, 12))
}

fn storage_buckets() -> Histogram {
    // 1 ms … 33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// Everything this process counts, and the registry that encodes it.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub request_seconds: HistogramFamily<RouteLabels>,
    pub received_bytes: Counter,
    pub sent_bytes: Counter,
    pub uploads_in_progress: Gauge,
    pub patch_seconds: Histogram,
    pub storage_ops: Family<StorageLabels, Counter>,
    pub storage_errors: Family<StorageLabels, Counter>,
    pub storage_seconds: HistogramFamily<StorageLabels>,
    // Read from the database at each scrape.
    jobs: Family<JobLabels, Gauge>,
    jobs_oldest: Family<KindLabels, FloatGauge>,
    outbox: Gauge,
    pool: Family<PoolLabels, Gauge>,
    pool_max: Gauge,
    last_backup: FloatGauge,
    last_drill: FloatGauge,
    schema: Gauge,
    database_ok: Gauge,
    scraping: tokio::sync::Mutex<()>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("relais");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route pattern, method and status",
            requests.clone(),
        );
        let request_seconds: HistogramFamily<RouteLabels> = Family::new_with_constructor(request_buckets);
        registry.register_with_unit(
            "http_request_duration",
            "Time to the response's head (a download's body streams after it)",
            Unit::Seconds,
            request_seconds.clone(),
        );
        let received_bytes = Counter::default();
        registry.register_with_unit(
            "http_received",
            "Request body bytes received",
            Unit::Bytes,
            received_bytes.clone(),
        );
        let sent_bytes = Counter::default();
        registry.register_with_unit("http_sent", "Response body bytes sent", Unit::Bytes, sent_bytes.clone());
        let uploads_in_progress = Gauge::default();
        registry.register(
            "uploads_in_progress",
            "tus PATCH requests receiving bytes right now",
            uploads_in_progress.clone(),
        );
        let patch_seconds = patch_buckets();
        registry.register_with_unit(
            "upload_patch_duration",
            "Duration of each tus PATCH request, body included",
            Unit::Seconds,
            patch_seconds.clone(),
        );
        let storage_ops = Family::<StorageLabels, Counter>::default();
        registry.register(
            "storage_operations",
            "Object storage operations, by backend and operation",
            storage_ops.clone(),
        );
        let storage_errors = Family::<StorageLabels, Counter>::default();
        registry.register(
            "storage_errors",
            "Object storage operations that failed, by backend and operation",
            storage_errors.clone(),
        );
        let storage_seconds: HistogramFamily<StorageLabels> = Family::new_with_constructor(storage_buckets);
        registry.register_with_unit(
            "storage_operation_duration",
            "Duration of object storage operations (a read: until its stream is open)",
            Unit::Seconds,
            storage_seconds.clone(),
        );
        let jobs = Family::<JobLabels, Gauge>::default();
        registry.register("jobs", "Jobs in the queue, by kind and state", jobs.clone());
        let jobs_oldest = Family::<KindLabels, FloatGauge>::default();
        registry.register_with_unit(
            "jobs_oldest_waiting_age",
            "How long the oldest due job of each kind has been waiting for a worker",
            Unit::Seconds,
            jobs_oldest.clone(),
        );
        let outbox = Gauge::default();
        registry.register(
            "outbox_messages",
            "Emails waiting to be sent (paced newsletters included)",
            outbox.clone(),
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "Database connections of this process, in use or idle",
            pool.clone(),
        );
        let pool_max = Gauge::default();
        registry.register(
            "db_pool_max_connections",
            "The most database connections this process opens",
            pool_max.clone(),
        );
        let last_backup = FloatGauge::default();
        registry.register_with_unit(
            "backup_last_success_timestamp",
            "When the last successful backup finished (Unix time; 0: never)",
            Unit::Seconds,
            last_backup.clone(),
        );
        let last_drill = FloatGauge::default();
        registry.register_with_unit(
            "restore_drill_last_success_timestamp",
            "When the last successful restore drill finished (Unix time; 0: never)",
            Unit::Seconds,
            last_drill.clone(),
        );
        let schema = Gauge::default();
        registry.register(
            "schema_version",
            "The database schema version this process sees",
            schema.clone(),
        );
        let database_ok = Gauge::default();
        registry.register(
            "scrape_database_ok",
            "1 when this scrape read the database's figures, 0 when it could not",
            database_ok.clone(),
        );
        registry.register(
            "build",
            "The running binary",
            Info::new(vec![
                ("version", env!("CARGO_PKG_VERSION").to_owned()),
                ("commit", crate::cli::build_info::COMMIT.to_owned()),
            ]),
        );
        Self {
            registry,
            requests,
            request_seconds,
            received_bytes,
            sent_bytes,
            uploads_in_progress,
            patch_seconds,
            storage_ops,
            storage_errors,
            storage_seconds,
            jobs,
            jobs_oldest,
            outbox,
            pool,
            pool_max,
            last_backup,
            last_drill,
            schema,
            database_ok,
            scraping: tokio::sync::Mutex::new(()),
        }
    }

    /// Reads the database-held figures, then encodes everything. With the database down,
    /// the process's own figures still go out, its figures keep their last values and
    /// `relais_scrape_database_ok` says 0. One scrape at a time (the main address and
    /// `metrics.listen` may both be asked): the database figures are cleared and refilled.
    pub async fn scrape(&self, db: &Db, now: Timestamp) -> Result<String, ScrapeError> {
        let _one = self.scraping.lock().await;
        match self.read_database(db, now).await {
            Ok(()) => {
                self.database_ok.set(1);
            }
            Err(e) => {
                tracing::warn!(error = %e, "metrics: the database figures could not be read");
                self.database_ok.set(0);
            }
        }
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }

    async fn read_database(&self, db: &Db, now: Timestamp) -> Result<(), DbError> {
        let queue = db::jobs::queue_by_kind(db.pool(), now).await?;
        // Cleared first: a kind whose queue emptied must read 0, not its last value.
        self.jobs.clear();
        self.jobs_oldest.clear();
        self.outbox.set(0);
        for row in queue {
            let set = |state, n: i64| {
                self.jobs
                    .get_or_create(&JobLabels {
                        kind: row.kind.clone(),
                        state,
                    })
                    .set(n);
            };
            set("waiting", row.waiting);
            set("scheduled", row.scheduled);
            set("running", row.running);
            let age = row
                .oldest_waiting
                .map_or(0.0, |at| (now - at).as_millis() as f64 / 1000.0);
            self.jobs_oldest
                .get_or_create(&KindLabels { kind: row.kind.clone() })
                .set(age);
            if row.kind == crate::mail::job::KIND {
                self.outbox.set(row.waiting + row.scheduled + row.running);
            }
        }
        let (size, idle) = (db.pool().size(), db.pool().num_idle());
        let idle = i64::try_from(idle).unwrap_or(i64::MAX);
        self.pool
            .get_or_create(&PoolLabels { state: "in_use" })
            .set(i64::from(size) - idle);
        self.pool.get_or_create(&PoolLabels { state: "idle" }).set(idle);
        self.pool_max.set(i64::from(db.pool().options().get_max_connections()));
        let seconds = |run: Option<db::backups::Run>| {
            run.and_then(|r| r.finished_at)
                .map_or(0.0, |at| at.as_millis() as f64 / 1000.0)
        };
        let (_, good) = db::backups::latest(db.pool(), "backup").await?;
        self.last_backup.set(seconds(good));
        let (_, good) = db::backups::latest(db.pool(), "drill").await?;
        self.last_drill.set(seconds(good));
        self.schema.set(db.applied_version().await?);
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScrapeError {
    #[error(transparent)]
    Database(#[from] DbError),
    #[error("encoding the metrics: {0}")]
    Encode(#[from] std::fmt::Error),
}

/// Shared by the state's clones.
pub type SharedMetrics = Arc<Metrics>;
