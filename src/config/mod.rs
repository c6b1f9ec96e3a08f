//! Configuration: embedded defaults, then `relais.toml` (or `--config`), then `RELAIS_*`
//! environment variables. Everything is validated at start and every problem is reported
//! at once, by key, with the bad value and what was expected.

mod backup;
mod database;
mod mail;
mod metrics;
mod newsletter;
mod parse;
mod reader;
mod reminders;
mod sources;
mod storage;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use lettre::message::Mailbox;
use relais_storage::StorageConfig;
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use crate::domain::ByteSize;
pub use database::sqlite_url;
use parse::read;
use reader::Reader;
pub use reader::{Problem, env_name};
pub use sources::Sources;

/// The validated configuration. Secrets are `SecretString` (or redacted by hand) so that
/// printing a `Config` never reveals them.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address the HTTP server binds to.
    pub listen: SocketAddr,
    /// The address people use to reach Relais; links in emails start with it.
    pub public_url: Url,
    /// Where the embedded defaults keep the database, the objects and the outbox.
    pub data_dir: PathBuf,
    pub database: DatabaseConfig,
    pub storage: StorageConfig,
    pub uploads: UploadsConfig,
    pub mail: MailConfig,
    pub downloads: DownloadsConfig,
    pub log: LogConfig,
    pub jobs: JobsConfig,
    pub media: MediaConfig,
    pub http: HttpConfig,
    pub backup: BackupConfig,
    /// Days a deleted file, transfer or client stays in the trash before its objects and
    /// rows are removed for good.
    pub trash_days: u32,
    pub retention: RetentionConfig,
    pub newsletter: NewsletterConfig,
    pub metrics: MetricsConfig,
    pub reminders: RemindersConfig,
    /// When the studio's daily digest of client activity goes (HH:MM UTC); none: off.
    pub digest_at: Option<(u8, u8)>,
    /// Web origins (`https://studio.example.fr`) whose pages may call the API from a
    /// browser with a bearer token, e.g. an upload form on the studio's own site.
    pub cors_origins: Vec<String>,
    /// This node's name, unique among the nodes sharing a database (default: the host
    /// name). Leases held under it by a previous run are released at start.
    pub node_name: String,
    /// Trust `X-Forwarded-For` for the client address (rate limits, logs). Only turn on
    /// behind a reverse proxy that sets it, or clients could pick their own address.
    pub behind_proxy: bool,
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `sqlite://…` or `postgres://…`; may hold a password, hence secret.
    pub url: SecretString,
    pub kind: DatabaseKind,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

impl DatabaseConfig {
    /// The URL with any password replaced, for messages and logs.
    pub fn redacted_url(&self) -> String {
        redact_url(self.url.expose_secret())
    }
}

#[derive(Debug, Clone)]
pub struct UploadsConfig {
    /// Largest file a client may send.
    pub max_file_size: ByteSize,
    /// Size of every S3 part but the last; at least the 5 MiB S3 minimum.
    pub part_size: ByteSize,
    /// An upload that receives no byte for this long is abandoned and reaped.
    pub expire_after: std::time::Duration,
    /// A PATCH that receives nothing for this long ends, keeping what arrived: a dead or
    /// trickling connection never holds an upload (and its lease) for good.
    pub idle_timeout: std::time::Duration,
    /// On a local disk, uploads are refused (507) while accepting them would leave less
    /// than this free, so the disk never fills to the last byte.
    pub disk_reserve: ByteSize,
    /// On S3, let browsers send parts straight to the bucket through the Companion-style
    /// routes under `/api/v1/s3/multipart` (the bucket needs CORS rules).
    pub direct_to_bucket: bool,
}

#[derive(Debug, Clone)]
pub struct DownloadsConfig {
    /// On S3, answer file downloads with a redirect to a short-lived presigned URL, so
    /// the bytes flow from the bucket straight to the client.
    pub redirect_to_bucket: bool,
}

#[derive(Debug, Clone)]
pub struct MailConfig {
    pub from: Mailbox,
    pub transport: MailTransport,
    /// DKIM signing of every outgoing message, when a key is configured.
    pub dkim: Option<DkimConfig>,
    /// The DNS resolver `relais check` asks for the published records (`host:port`);
    /// none: the system's (`/etc/resolv.conf`).
    pub dns_resolver: Option<std::net::SocketAddr>,
}

/// The key that signs outgoing mail for the sender's domain.
#[derive(Debug, Clone)]
pub struct DkimConfig {
    /// The DNS label the public key is published under: `<selector>._domainkey.<domain>`.
    pub selector: String,
    pub key: crate::mail::dkim::DkimKey,
}

#[derive(Debug, Clone)]
pub enum MailTransport {
    /// Each message becomes an `.eml` file in this directory.
    Outbox(PathBuf),
    Smtp(SmtpConfig),
}

#[derive(Debug, Clone)]
pub struct SmtpConfig {
    /// `smtp://host:587` (STARTTLS) or `smtps://host:465` (TLS), credentials optional.
    pub url: SecretString,
    pub username: Option<String>,
    pub password: Option<SecretString>,
}

impl SmtpConfig {
    pub fn redacted_url(&self) -> String {
        redact_url(self.url.expose_secret())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct LogConfig {
    pub format: LogFormat,
    /// A `tracing` filter such as `info` or `relais=debug,info`.
    pub level: String,
}

#[derive(Debug, Clone)]
pub struct JobsConfig {
    /// Background jobs run at once on this node.
    pub concurrency: usize,
}

#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// The largest picture decoded, in pixels, read from its header before any pixel is:
    /// above it, a photo or poster is refused with its reason.
    pub max_pixels: u64,
    /// Videos' web copies: H.264 quality (CRF, lower is better and larger), x264 preset,
    /// and how many are made at once on this node.
    pub video: crate::media::web_copy::Settings,
}

/// Time limits on connections and requests, so that slow or dead clients are cut off
/// while everyone else is served.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// A connection must send a request's headers within this long (also how long an
    /// idle keep-alive connection stays open).
    pub header_timeout: std::time::Duration,
    /// The whole of an API call or a page, body included. Resumable uploads are not held
    /// to it (see `uploads.idle_timeout`), nor are response bodies (downloads).
    pub request_timeout: std::time::Duration,
    /// The whole of a request that carries a file outside tus: a logo, a poster, a signed
    /// document from the quote site.
    pub file_timeout: std::time::Duration,
}

/// Appointment reminders.
#[derive(Debug, Clone)]
pub struct RemindersConfig {
    /// How long before an appointment each reminder goes, in minutes, longest first.
    pub lead_minutes: Vec<i64>,
    /// The zone of appointment times given without an offset or a zone.
    pub time_zone: String,
}

/// Where `GET /metrics` answers. Neither set: nowhere (never public by accident).
#[derive(Debug, Clone, Default)]
pub struct MetricsConfig {
    /// On the main address, `/metrics` answers only `Authorization: Bearer <token>`.
    pub token: Option<SecretString>,
    /// A separate listener for `/metrics` alone (a private address the scraper reaches);
    /// it asks for the token too when one is set.
    pub listen: Option<SocketAddr>,
}

/// How the newsletter goes out.
#[derive(Debug, Clone)]
pub struct NewsletterConfig {
    /// Messages per minute, across every node: mailbox providers throttle or refuse a
    /// new sender that sends thousands at once.
    pub rate_per_minute: u32,
}

impl NewsletterConfig {
    /// The time between two messages.
    pub fn interval_ms(&self) -> i64 {
        (60_000 / i64::from(self.rate_per_minute.max(1))).max(1)
    }
}

/// Where `relais backup` copies to, and how many snapshots it keeps.
#[derive(Debug, Clone)]
pub struct BackupConfig {
    /// The default target of `relais backup` (and the schedule, once set).
    pub target: Option<BackupTarget>,
    /// When the daily backup runs (hour, minute, UTC), on one node; a restore drill follows
    /// the first good backup of each ISO week.
    pub at: (u8, u8),
    /// Snapshots kept: the newest of each of the last `keep_daily` days, `keep_weekly`
    /// weeks and `keep_monthly` months (the newest snapshot is always kept).
    pub keep_daily: u32,
    pub keep_weekly: u32,
    pub keep_monthly: u32,
    /// The S3 service of `s3://` targets: by default the live storage's, when it is S3.
    pub s3: Option<relais_storage::S3Config>,
}

/// A backup target: a directory, or a bucket (and prefix) on an S3 service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackupTarget {
    Dir(PathBuf),
    S3 { bucket: String, prefix: String },
}

/// Optional rules that move old things to the trash by themselves. Off by default.
#[derive(Debug, Clone, Default)]
pub struct RetentionConfig {
    /// Deliveries go this many days after they expired.
    pub delivery_days: Option<u32>,
    /// Inbound files go this many days after the studio downloaded them whole.
    pub inbound_days: Option<u32>,
}

/// Why the configuration was refused.
#[derive(Debug)]
pub enum ConfigError {
    /// The file could not be read or parsed at all.
    Source(String),
    Invalid(Vec<Problem>),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Every form ends with a newline, so whatever follows starts on a line of its own.
            ConfigError::Source(message) => writeln!(f, "{message}"),
            ConfigError::Invalid(problems) => {
                let n = problems.len();
                writeln!(f, "the configuration has {n} problem{}:", if n == 1 { "" } else { "s" })?;
                for p in problems {
                    writeln!(f, "  - {p}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// Replaces the password of a URL, if any, with `***`.
pub fn redact_url(raw: &str) -> String {
    match Url::parse(raw) {
        Ok(mut url) => {
            if url.password().is_some() {
                let _ = url.set_password(Some("***"));
            }
            // `?password=…`, `?sslpassword=…` and the like are secrets too.
            if url
                .query_pairs()
                .any(|(k, _)| k.to_ascii_lowercase().contains("password"))
            {
                let kept: Vec<(String, String)> = url
                    .query_pairs()
                    .map(|(k, v)| {
                        let secret = k.to_ascii_lowercase().contains("password");
                        (k.into_owned(), if secret { "***".to_owned() } else { v.into_owned() })
                    })
                    .collect();
                url.query_pairs_mut().clear().extend_pairs(kept);
            }
            url.to_string()
        }
        Err(_) => "(unparseable URL)".into(),
    }
}

impl Config {
    pub fn load(sources: &Sources) -> Result<Self, ConfigError> {
        let root = sources.merge().map_err(ConfigError::Source)?;
        let mut r = Reader::new(root);
        let config = read(&mut r);
        r.report_unknown(&[]);
        match config {
            Some(config) if r.problems.is_empty() => Ok(config),
            _ => Err(ConfigError::Invalid(r.problems)),
        }
    }

    /// The embedded defaults with everything under `data_dir`, as `relais serve` would
    /// run with no configuration at all there. Used by tests as a starting point.
    pub fn defaults_in(data_dir: &Path) -> Result<Self, ConfigError> {
        let env = vec![("RELAIS_DATA_DIR".to_owned(), data_dir.display().to_string())];
        Self::load(&Sources {
            env,
            ..Sources::default()
        })
    }

    pub fn is_https(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

#[cfg(test)]
mod tests;
