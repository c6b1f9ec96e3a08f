//! Every dependency probed, one finding each, with the fix when it fails: what
//! `relais check` prints and the studio's system page shows.

use std::time::Duration;

use relais_storage::StorageConfig;
use relais_storage::setup::{self, StepOutcome};

use crate::config::Config;
use crate::db::Db;
use crate::mail::Mailer;
use secrecy::ExposeSecret;

const PROBE_TIMEOUT: Duration = Duration::from_secs(15);

/// How a finding weighs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Ok,
    Warn,
    /// Stops Relais from working: `relais check` exits 1.
    Fail,
    /// Not a verdict: what to do (the DNS records to publish).
    Note,
}

impl Level {
    pub fn label(self) -> &'static str {
        match self {
            Level::Ok => "OK",
            Level::Warn => "WARN",
            Level::Fail => "FAIL",
            Level::Note => "",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub level: Level,
    /// The dependency: `database`, `storage`, `mail`, `dns`…
    pub what: &'static str,
    pub text: String,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    fn push(&mut self, level: Level, what: &'static str, text: impl AsRef<str>) {
        self.findings.push(Finding {
            level,
            what,
            text: text.as_ref().to_owned(),
        });
    }
    fn ok(&mut self, what: &'static str, text: impl AsRef<str>) {
        self.push(Level::Ok, what, text);
    }
    fn warn(&mut self, what: &'static str, text: impl AsRef<str>) {
        self.push(Level::Warn, what, text);
    }
    fn fail(&mut self, what: &'static str, text: impl AsRef<str>) {
        self.push(Level::Fail, what, text);
    }
    fn note(&mut self, text: impl AsRef<str>) {
        self.push(Level::Note, "", text);
    }

    pub fn failures(&self) -> usize {
        self.findings.iter().filter(|f| f.level == Level::Fail).count()
    }
}

async fn timed<T, E: std::fmt::Display>(f: impl Future<Output = Result<T, E>>) -> Result<T, String> {
    match tokio::time::timeout(PROBE_TIMEOUT, f).await {
        Ok(r) => r.map_err(|e| e.to_string()),
        Err(_) => Err(format!("no answer within {} s", PROBE_TIMEOUT.as_secs())),
    }
}

/// Every probe, in order. `source` says where the configuration came from.
pub async fn run(cfg: &Config, source: &str) -> Report {
    let mut report = Report::default();
    report.ok("config", format!("valid ({source}); public URL {}", cfg.public_url));
    if cfg.public_url.host_str().is_some_and(|h| h == "0.0.0.0" || h == "[::]") {
        report.warn(
            "config",
            "public_url points to an unspecified address; set public_url so links in emails work",
        );
    }

    // At once: each waits on its own network (the database, the bucket, SMTP and DNS), so
    // the whole takes as long as the slowest, each within its own timeouts.
    let (mut database, mut storage, mut mail) = (Report::default(), Report::default(), Report::default());
    tokio::join!(
        check_database(cfg, &mut database),
        check_storage(cfg, &mut storage),
        check_mail(cfg, &mut mail),
    );
    for part in [database, storage, mail] {
        report.findings.extend(part.findings);
    }
    // Optional: without ffmpeg, videos get no automatic poster and no duration.
    match crate::media::video::ffmpeg_version() {
        Some(version) => report.ok(
            "ffmpeg",
            if crate::media::video::tone_mapping() {
                format!("{version}: video posters, durations and web copies (H.264 + AAC, HDR tone-mapped) on")
            } else {
                format!(
                    "{version}: video posters, durations and web copies (H.264 + AAC) on; no zscale filter, so HDR \
                     films are not tone-mapped"
                )
            },
        ),
        None => report.warn(
            "ffmpeg",
            "ffmpeg/ffprobe not on the PATH: no automatic video posters, durations or web copies (videos play \
             only where the browser reads them; custom posters still work; Debian: apt install ffmpeg)",
        ),
    }
    // Optional too: without libheif's tool, iPhone photos have no thumbnails.
    if crate::media::heif::available() {
        report.ok("heic", "heif-convert found: HEIC photos get their web sizes");
    } else {
        report.warn(
            "heic",
            "heif-convert not on the PATH: HEIC photos are kept without thumbnails (Debian: apt install \
             libheif-examples)",
        );
    }

    if crate::media::image::SIMD {
        report.ok("photos", "JPEG code built with SIMD");
    } else {
        report.warn(
            "photos",
            "JPEG code built without SIMD (nasm was missing at build time): photos take about 1.7× the CPU",
        );
    }

    report
}

async fn check_database(cfg: &Config, report: &mut Report) {
    let db = match timed(Db::connect(&cfg.database)).await {
        Ok(db) => db,
        Err(e) => return report.fail("database", format!("{e}; check database_url")),
    };
    match timed(db.ping()).await {
        Ok(()) => {}
        Err(e) => return report.fail("database", e),
    }
    if let Err(e) = db.refuse_newer().await {
        report.fail("database", e.to_string());
        return db.close().await;
    }
    match db.pending_migrations().await {
        Ok(0) => report.ok(
            "database",
            format!("{} reachable, schema up to date", cfg.database.redacted_url()),
        ),
        Ok(n) => report.warn(
            "database",
            format!("{n} migration(s) to apply: run `relais migrate` (serve applies them too)"),
        ),
        Err(e) => report.fail("database", e.to_string()),
    }
    db.close().await;
}

async fn check_storage(cfg: &Config, report: &mut Report) {
    let store = match relais_storage::open(&cfg.storage) {
        Ok(s) => s,
        Err(e) => return report.fail("storage", e.to_string()),
    };
    match timed(store.probe()).await {
        Ok(()) => report.ok("storage", format!("{}: write, read and delete work", store.describe())),
        Err(e) => report.fail("storage", format!("{}: {e}", store.describe())),
    }
    if let StorageConfig::S3(s3) = &cfg.storage {
        let steps = match tokio::time::timeout(PROBE_TIMEOUT, setup::inspect(s3)).await {
            Ok(steps) => steps,
            Err(_) => {
                return report.fail(
                    "storage",
                    format!("the bucket's settings: no answer within {} s", PROBE_TIMEOUT.as_secs()),
                );
            }
        };
        for step in steps {
            match step.outcome {
                StepOutcome::Done(t) => report.ok(step.name, t),
                // Browsers cannot send parts to a bucket without CORS rules: in
                // direct-to-bucket mode that breaks uploads, elsewhere it does not.
                StepOutcome::Warning(t) if step.name == "cors" && cfg.uploads.direct_to_bucket => {
                    report.fail(step.name, format!("{t} (required by uploads.direct_to_bucket)"))
                }
                StepOutcome::Warning(t) => report.warn(step.name, t),
                StepOutcome::Failed(t) => report.fail(step.name, t),
            }
        }
    }
}

async fn check_mail(cfg: &Config, report: &mut Report) {
    let mailer = match Mailer::new(&cfg.mail) {
        Ok(m) => m,
        Err(e) => return report.fail("mail", e.to_string()),
    };
    match timed(mailer.test_connection()).await {
        Ok(text) => report.ok("mail", text),
        Err(e) => report.fail("mail", format!("{e}; check mail.smtp_url and the credentials")),
    }
    let domain = cfg.mail.from.email.domain();
    let dkim = cfg.mail.dkim.as_ref().map(|d| (d.selector.as_str(), &d.key));
    match &cfg.mail.dkim {
        Some(d) => report.ok(
            "dkim",
            format!("messages signed for {domain} with selector {}", d.selector),
        ),
        None => report.warn(
            "dkim",
            "messages are not signed, so invitations may land in spam: create a key \
             (openssl genrsa -out dkim.pem 2048), set mail.dkim_key_file, publish the record below",
        ),
    }
    if domain == "localhost" || !domain.contains('.') {
        report.warn(
            "dns",
            format!("mail.from uses {domain}: set the studio's own address to send real mail"),
        );
        return;
    }
    let smtp_host = match &cfg.mail.transport {
        crate::config::MailTransport::Smtp(smtp) => url::Url::parse(smtp.url.expose_secret())
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned)),
        crate::config::MailTransport::Outbox(_) => None,
    };
    report.note(format!("DNS records to publish for {domain} (TXT):"));
    let records = crate::mail::dkim::dns_records(domain, smtp_host.as_deref(), dkim);
    for record in &records {
        report.note(format!("  {}  TXT  \"{}\"", record.name, record.value));
        report.note(format!("    {}", record.why));
    }
    // Then what the DNS says about each: published and matching, missing, or different.
    use crate::mail::dns_check::{self, Verdict};
    for (record, verdict) in dns_check::check(&records, cfg.mail.dns_resolver).await {
        let what = format!("{} at {}", record.kind.label(), record.name);
        match verdict {
            Verdict::Matching => report.ok("dns", format!("{what}: published and matching")),
            Verdict::Missing => report.warn("dns", format!("{what}: missing; publish TXT \"{}\"", record.value)),
            Verdict::Different { published, why } => report.warn(
                "dns",
                format!(
                    "{what}: different ({why}); published \"{published}\", expected \"{}\"",
                    record.value
                ),
            ),
            Verdict::Unknown(e) => report.warn("dns", format!("{what}: not checked ({e})")),
        }
    }
}
