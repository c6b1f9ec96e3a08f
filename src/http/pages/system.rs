//! `/studio/system`: the installation as it is (release, schema and its history, where the
//! data lives, free space, media tools, backups) and the checks of `relais check`, run as
//! the page opens. Read-only.

use std::time::Duration;

use axum::extract::State;
use axum::response::Response;

use super::{Chrome, PageError, Viewer, render};
use crate::domain::MINUTE;
use crate::state::AppState;
use crate::system::check::Level;
use crate::texts::system::SystemTexts;
use crate::{db, i18n};

/// The checks wait on the network (SMTP, DNS, S3): the page answers within this.
const CHECKS_WITHIN: Duration = Duration::from_secs(20);
/// A reload within this reuses the last checks.
const CHECKS_KEPT: Duration = MINUTE;

struct Finding {
    class: &'static str,
    level: &'static str,
    what: &'static str,
    text: String,
}

#[derive(askama::Template)]
#[template(path = "pages/studio/system.html")]
struct SystemPage {
    chrome: Chrome,
    s: &'static SystemTexts,
    release: String,
    database: String,
    schema: String,
    pending: Vec<String>,
    history: Vec<(i64, String, String)>,
    storage: String,
    free: Vec<(String, String)>,
    video: String,
    photos: &'static str,
    backups: super::studio::BackupStatus,
    findings: Vec<Finding>,
    notes: Vec<String>,
}

pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    viewer.studio()?;
    let (t, locale) = (viewer.texts(), viewer.locale);
    let s = SystemTexts::for_locale(locale);
    let db = &state.db;
    let (applied, known) = (db.applied_version().await?, db.newest_migration());
    let pending = db
        .pending_list()
        .await?
        .into_iter()
        .map(|(version, what)| format!("{version:04} {what}"))
        .collect();
    let history = db
        .writers()
        .await?
        .into_iter()
        .map(|(schema, version, commit, at)| (schema, format!("{version} ({commit})"), i18n::date_time(locale, at)))
        .collect();
    let mut free = Vec::new();
    let mut space = |label: String, path: &std::path::Path| {
        if let Some(room) = crate::disk::space(path) {
            let value = s
                .free_space_value
                .replace("{free}", &i18n::size(locale, room.free))
                .replace("{total}", &i18n::size(locale, room.total))
                .replace("{percent}", &room.percent_used().to_string());
            free.push((label, value));
        }
    };
    space(state.cfg.data_dir.display().to_string(), &state.cfg.data_dir);
    match &state.cfg.storage {
        relais_storage::StorageConfig::Local { root } if !root.starts_with(&state.cfg.data_dir) => {
            space(root.display().to_string(), root)
        }
        relais_storage::StorageConfig::Local { .. } => {}
        _ => free.push((state.blobs.describe(), s.free_space_bucket.to_owned())),
    }
    let checks = {
        let mut cached = state.system_checks.lock().await;
        let now = state.clock.now();
        match cached.as_ref() {
            Some((at, report)) if now - *at < CHECKS_KEPT => Ok(report.clone()),
            _ => {
                let fresh = tokio::time::timeout(
                    CHECKS_WITHIN,
                    crate::system::check::run(&state.cfg, "the running configuration"),
                )
                .await;
                if let Ok(report) = &fresh {
                    *cached = Some((now, report.clone()));
                }
                fresh
            }
        }
    };
    let (mut findings, mut notes) = (Vec::new(), Vec::new());
    match checks {
        Ok(report) => {
            for f in report.findings {
                let (class, level) = match f.level {
                    Level::Ok => ("ok", s.level_ok),
                    Level::Warn => ("warn", s.level_warn),
                    Level::Fail => ("bad", s.level_fail),
                    Level::Note => {
                        notes.push(f.text.trim().to_owned());
                        continue;
                    }
                };
                findings.push(Finding {
                    class,
                    level,
                    what: f.what,
                    text: f.text,
                });
            }
        }
        Err(_) => findings.push(Finding {
            class: "warn",
            level: s.level_warn,
            what: "checks",
            text: format!("no answer within {} s", CHECKS_WITHIN.as_secs()),
        }),
    }
    let backups = super::studio::backup_status(&state, t, locale).await?;
    render(SystemPage {
        chrome: viewer.chrome("settings", s.title),
        s,
        release: s
            .release_value
            .replace("{version}", env!("CARGO_PKG_VERSION"))
            .replace("{commit}", crate::cli::build_info::COMMIT),
        database: format!(
            "{} · {}",
            match db.backend() {
                db::Backend::Sqlite => "SQLite",
                db::Backend::Postgres => "PostgreSQL",
            },
            state.cfg.database.redacted_url()
        ),
        schema: s
            .schema_value
            .replace("{applied}", &applied.to_string())
            .replace("{known}", &known.to_string()),
        pending,
        history,
        storage: state.blobs.describe(),
        free,
        video: crate::media::video::ffmpeg_version()
            .unwrap_or(s.ffmpeg_missing)
            .to_owned(),
        photos: if crate::media::image::SIMD {
            s.simd_on
        } else {
            s.simd_off
        },
        backups,
        findings,
        notes,
    })
}
