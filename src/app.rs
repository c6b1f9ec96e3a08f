//! Assembly: configuration → database, storage, mail → HTTP server and job runner.

use std::net::SocketAddr;
use std::sync::Arc;

use relais_storage::BlobStore;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::{Db, DbError};
use crate::jobs::JobRunner;
use crate::mail::{self, MailError, Mailer};
use crate::state::AppState;

/// Why Relais could not start, worded for the operator.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Database(#[from] DbError),
    #[error("storage: {0}")]
    Storage(#[from] relais_storage::BlobError),
    #[error("mail: {0}")]
    Mail(#[from] MailError),
    #[error("cannot listen on {addr} (listen): {source}")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("cannot listen on {addr} (metrics.listen): {source}")]
    MetricsBind { addr: SocketAddr, source: std::io::Error },
    #[error("server error: {0}")]
    Serve(std::io::Error),
}

/// Opens the database and applies pending migrations.
pub async fn open_database(cfg: &Config) -> Result<Db, StartError> {
    let db = Db::connect(&cfg.database).await?;
    db.refuse_newer().await?;
    // A SQLite database in use is copied aside before migrations change it, so that an
    // upgrade can always be undone by putting the copy back.
    if db.backend() == crate::db::Backend::Sqlite
        && db.applied_version().await? > 0
        && !db.pending_list().await?.is_empty()
    {
        let copy = db
            .keep_copy_before_migrating(&cfg.data_dir.join("pre-migration"))
            .await?;
        tracing::info!(copy = %copy.display(), "copied the database before migrating it");
    }
    db.migrate().await?;
    Ok(db)
}

/// Builds the state shared by the server, the job runner and the CLI commands.
pub fn build_state(cfg: Config, db: Db, blobs: Arc<dyn BlobStore>, clock: Clock) -> Result<AppState, StartError> {
    let mailer = Mailer::new(&cfg.mail)?;
    Ok(AppState::new(cfg, db, blobs, mailer, clock))
}

/// The job runner with every job kind registered.
pub fn build_runner(state: &AppState) -> JobRunner {
    let mut runner = JobRunner::new(
        state.db.clone(),
        state.clock.clone(),
        &state.cfg.node_name,
        state.cfg.jobs.concurrency,
        state.jobs_wake.clone(),
    );
    runner.register(Arc::new(crate::uploads::direct::VerifyDirectUpload {
        db: state.db.clone(),
        blobs: state.blobs.clone(),
        clock: state.clock.clone(),
    }));
    runner.register(Arc::new(crate::media::ProcessFile::new(
        state.db.clone(),
        state.blobs.clone(),
        state.clock.clone(),
        state.media_budget.clone(),
        state.cfg.media.max_pixels,
        state.cfg.data_dir.join("tmp"),
    )));
    runner.register(Arc::new(crate::media::web_copy::MakeWebCopy {
        db: state.db.clone(),
        blobs: state.blobs.clone(),
        clock: state.clock.clone(),
        scratch: state.cfg.data_dir.join("tmp"),
        settings: state.cfg.media.video.clone(),
        slots: Arc::new(tokio::sync::Semaphore::new(state.cfg.media.video.jobs)),
    }));
    runner.register(Arc::new(crate::jobs::password_reset::RequestReset {
        state: state.clone(),
    }));
    runner.register(Arc::new(crate::backup::schedule::BackupJob { state: state.clone() }));
    runner.register(Arc::new(crate::backup::schedule::DrillJob { state: state.clone() }));
    runner.register(Arc::new(mail::job::SendEmail {
        db: state.db.clone(),
        mailer: state.mailer.clone(),
        studio: state.studio.clone(),
        clock: state.clock.clone(),
        pace_interval: state.cfg.newsletter.interval_ms(),
    }));
    runner.register(Arc::new(crate::newsletter::fanout::Fanout { state: state.clone() }));
    runner
}

pub struct Application {
    listener: TcpListener,
    /// `metrics.listen`, when set.
    metrics_listener: Option<TcpListener>,
    state: AppState,
    runner: Arc<JobRunner>,
}

impl Application {
    /// Everything from the configuration: database, storage and mail.
    pub async fn build(cfg: Config) -> Result<Self, StartError> {
        std::fs::create_dir_all(&cfg.data_dir).map_err(|e| {
            StartError::Storage(relais_storage::BlobError::Config(format!(
                "cannot create data_dir {}: {e}",
                cfg.data_dir.display()
            )))
        })?;
        // Part buffers of requests that were running when the process last stopped.
        let _ = std::fs::remove_dir_all(cfg.data_dir.join("tmp"));
        let db = open_database(&cfg).await?;
        let blobs = relais_storage::open(&cfg.storage)?;
        Self::build_with(cfg, db, blobs, Clock::system()).await
    }

    /// With a database and storage made by the caller (tests bring their own).
    pub async fn build_with(cfg: Config, db: Db, blobs: Arc<dyn BlobStore>, clock: Clock) -> Result<Self, StartError> {
        let addr = cfg.listen;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        let metrics_listener = match cfg.metrics.listen {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .map_err(|source| StartError::MetricsBind { addr, source })?,
            ),
            None => None,
        };
        // Whatever a previous run of this node held is free: that run is over.
        let node = cfg.node_name.clone();
        let uploads = crate::db::uploads::release_node_leases(db.pool(), &node).await?;
        let jobs = crate::db::jobs::release_node_leases(db.pool(), &node, clock.now()).await?;
        if uploads + jobs > 0 {
            tracing::info!(uploads, jobs, %node, "released what a previous run of this node held");
        }
        let state = build_state(cfg, db, blobs, clock)?;
        // Read once now, so that no request waits for it (see `studio::Directory`).
        state.studio.reload().await?;
        let runner = Arc::new(build_runner(&state));
        Ok(Self {
            listener,
            metrics_listener,
            state,
            runner,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.state.cfg.listen)
    }

    /// Where the separate metrics listener is bound, when there is one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener.as_ref().and_then(|l| l.local_addr().ok())
    }

    pub fn state(&self) -> AppState {
        self.state.clone()
    }

    pub fn runner(&self) -> Arc<JobRunner> {
        self.runner.clone()
    }

    /// Serves HTTP (and, with `background_jobs`, runs the job queue) until `shutdown`.
    /// In-flight requests are given time to finish before the server returns.
    pub async fn run_until_stopped(self, shutdown: CancellationToken, background_jobs: bool) -> Result<(), StartError> {
        let Self {
            listener,
            metrics_listener,
            state,
            runner,
        } = self;
        let metrics = metrics_listener.map(|listener| {
            let router = crate::http::metrics::separate(state.clone());
            let stop = shutdown.clone();
            let header_timeout = state.cfg.http.header_timeout;
            tokio::spawn(async move {
                let stopped = async move { stop.cancelled().await };
                if let Err(e) = crate::http::server::serve(listener, router, header_timeout, stopped).await {
                    tracing::error!(error = %e, "the metrics listener stopped");
                }
            })
        });
        let jobs = background_jobs.then(|| {
            let token = shutdown.clone();
            let sweeper = crate::jobs::housekeeping::run(state.clone(), shutdown.clone());
            tokio::spawn(sweeper.instrument(tracing::info_span!("housekeeping")));
            tokio::spawn(runner.run(token).instrument(tracing::info_span!("job-runner")))
        });
        let router = crate::http::router(state.clone());
        let header_timeout = state.cfg.http.header_timeout;
        let stop = shutdown.clone();
        let uploads_stop = state.shutdown.clone();
        let stop = async move {
            stop.cancelled().await;
            // Uploads in progress stop reading and commit what they have, so the
            // graceful shutdown below does not wait on a 5 GB upload.
            uploads_stop.cancel();
        };
        let served = crate::http::server::serve(listener, router, header_timeout, stop).await;
        // The server may stop on its own (an I/O error): take the job runner down with it.
        shutdown.cancel();
        if let Some(handle) = jobs {
            let _ = handle.await;
        }
        if let Some(handle) = metrics {
            let _ = handle.await;
        }
        state.db.close().await;
        served.map_err(StartError::Serve)
    }
}
