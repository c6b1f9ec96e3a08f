//! What every request handler and command can reach.

use std::sync::Arc;

use relais_storage::BlobStore;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::http::limits::Limits;
use crate::mail::Mailer;
use crate::metrics::{Metrics, SharedMetrics};
use crate::studio::Directory;

#[derive(Clone)]
pub struct AppState {
    pub cfg: Arc<Config>,
    pub db: Db,
    pub blobs: Arc<dyn BlobStore>,
    pub mailer: Arc<Mailer>,
    pub clock: Clock,
    /// Woken after a transaction that queued a job commits, so this node's runner picks
    /// it up at once instead of at its next poll.
    pub jobs_wake: Arc<Notify>,
    pub limits: Arc<Limits>,
    /// The studio's name, taglines and logo, as clients and visitors see them.
    pub studio: Arc<Directory>,
    /// Memory for decoding pictures, shared by the media jobs and poster uploads.
    pub media_budget: Arc<tokio::sync::Semaphore>,
    /// Cancelled when the server stops: streaming requests save what they received.
    pub shutdown: CancellationToken,
    pub metrics: SharedMetrics,
    /// The system page's last checks and when they ran (ms): kept a minute, made by one
    /// request at a time, so reloading the page does not probe SMTP and the bucket again.
    pub system_checks: Arc<tokio::sync::Mutex<Option<(crate::domain::Timestamp, crate::system::check::Report)>>>,
}

impl AppState {
    pub fn new(cfg: Config, db: Db, blobs: Arc<dyn BlobStore>, mailer: Mailer, clock: Clock) -> Self {
        let studio = Arc::new(Directory::new(db.clone(), cfg.mail.from.name.as_deref()));
        let metrics = Arc::new(Metrics::new());
        let blobs = crate::metrics::storage::metered(blobs, metrics.clone());
        Self {
            system_checks: Arc::new(tokio::sync::Mutex::new(None)),
            metrics,
            studio,
            media_budget: crate::media::new_budget(),
            cfg: Arc::new(cfg),
            db,
            blobs,
            mailer: Arc::new(mailer),
            clock,
            jobs_wake: Arc::new(Notify::new()),
            limits: Arc::new(Limits::new()),
            shutdown: CancellationToken::new(),
        }
    }

    /// Call after committing a transaction that queued jobs.
    pub fn jobs_queued(&self) {
        self.jobs_wake.notify_one();
    }
}
