//! The studio's admin: dashboard, clients, one client, one transfer, activity log.

use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::client::{Tile, tile};
use super::{Chrome, PageError, Viewer, render};
use crate::db::activity::Entry;
use crate::db::users::User;
use crate::domain::{Direction, Locale, Role, Timestamp, UserId};
use crate::state::AppState;
use crate::texts::Texts;
use crate::{db, i18n};

/// An activity entry in words.
pub struct Line {
    pub at_iso: String,
    pub at: String,
    pub what: &'static str,
    pub who: String,
    pub client: Option<(String, String)>,
    pub detail: String,
    pub href: Option<String>,
}

fn line(t: &Texts, locale: Locale, e: Entry) -> Line {
    Line {
        at_iso: i18n::iso(e.at),
        at: i18n::date_time(locale, e.at),
        what: t.activity(&e.kind),
        who: e.actor_name.unwrap_or_default(),
        client: e.client_id.zip(e.client_name),
        detail: e.detail,
        href: e.transfer_id.map(|id| format!("/studio/transfers/{id}")),
    }
}

#[derive(askama::Template)]
#[template(path = "pages/studio/dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    backups: BackupStatus,
    overview: StorageView,
    /// Items in the trash.
    trash: u64,
    storage: String,
    clients: usize,
    uploads: Vec<Upload>,
    activity: Vec<Line>,
}

struct Upload {
    file: String,
    client: String,
    href: String,
    progress: String,
    percent: u64,
}

/// The storage overview: the disk's room (local storage), bytes per kind and in the trash.
struct StorageView {
    class: &'static str,
    disk: Option<String>,
    alert: Option<&'static str>,
    kinds: Vec<(&'static str, String)>,
    trash: String,
}

async fn storage_view(state: &AppState, t: &Texts, locale: Locale) -> Result<StorageView, PageError> {
    let (mut class, mut alert, mut disk) = ("ok", None, None);
    match &state.cfg.storage {
        relais_storage::StorageConfig::Local { root } => {
            if let Some(space) = crate::disk::space(root) {
                let percent = space.percent_used();
                disk = Some(
                    t.disk_free
                        .replace("{free}", &i18n::size(locale, space.free))
                        .replace("{total}", &i18n::size(locale, space.total))
                        .replace("{percent}", &percent.to_string()),
                );
                if percent >= 95 {
                    (class, alert) = ("bad", Some(t.disk_full_soon));
                } else if percent >= 80 {
                    (class, alert) = ("warn", Some(t.disk_nearly_full));
                }
            }
        }
        _ => disk = Some(t.storage_bucket.to_owned()),
    }
    let kinds = db::files::bytes_by_category(state.db.pool())
        .await?
        .into_iter()
        .filter_map(|(category, bytes)| {
            let category = crate::domain::Category::parse(&category)?;
            Some((super::client::category_text(t, category), i18n::size(locale, bytes)))
        })
        .collect();
    Ok(StorageView {
        class,
        disk,
        alert,
        kinds,
        trash: i18n::size(locale, db::files::trashed_bytes(state.db.pool()).await?),
    })
}

/// What the dashboard says about backups: `ok`, `warn` (none configured, none yet, or
/// none good for 7 days) or `bad` (the latest run failed), with the lines to show.
pub(super) struct BackupStatus {
    pub(super) class: &'static str,
    pub(super) alerts: Vec<String>,
    pub(super) last_backup: String,
    pub(super) last_drill: String,
}

const STALE_AFTER: Duration = Duration::from_hours(7 * 24);

pub(super) async fn backup_status(state: &AppState, t: &Texts, locale: Locale) -> Result<BackupStatus, PageError> {
    let now = state.clock.now();
    let (last, good) = db::backups::latest(state.db.pool(), "backup").await?;
    let (last_drill, good_drill) = db::backups::latest(state.db.pool(), "drill").await?;
    let when = |run: &db::backups::Run| i18n::date_time(locale, run.finished_at.unwrap_or(run.started_at));
    let mut alerts = Vec::new();
    let mut class = "ok";
    if state.cfg.backup.target.is_none() && good.is_none() {
        alerts.push(t.backups_unset.to_owned());
        class = "warn";
    }
    for (run, text) in [(&last, t.backup_failed), (&last_drill, t.drill_failed)] {
        if let Some(run) = run.as_ref().filter(|r| r.failed()) {
            let reason = run.detail.as_deref().and_then(|d| d.lines().next()).unwrap_or("");
            alerts.push(text.replace("{when}", &when(run)).replace("{reason}", reason));
            class = "bad";
        }
    }
    let stale = good
        .as_ref()
        .and_then(|g| g.finished_at)
        .is_none_or(|at| now - at > STALE_AFTER);
    if stale && state.cfg.backup.target.is_some() && class == "ok" {
        alerts.push(t.backup_stale.to_owned());
        class = "warn";
    }
    let describe = |run: &Option<db::backups::Run>, never: &str| match run {
        Some(run) => format!("{} ({})", when(run), run.snapshot_id.as_deref().unwrap_or("")),
        None => never.to_owned(),
    };
    Ok(BackupStatus {
        class,
        alerts,
        last_backup: describe(&good, t.backup_never),
        last_drill: describe(&good_drill, t.drill_never),
    })
}

pub async fn dashboard(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    viewer.studio()?;
    let (t, locale) = (viewer.texts(), viewer.locale);
    let bytes = db::files::stored_bytes(state.db.pool()).await?;
    let clients = db::users::count_clients(state.db.pool()).await?;
    let uploads = db::uploads::in_progress(state.db.pool(), state.clock.now(), 20)
        .await?
        .into_iter()
        .map(|u| {
            let received = u.received.max(0) as u64;
            let length = u.length.map(|l| l.max(0) as u64);
            Upload {
                file: u.file_name,
                client: u.client_name,
                href: format!("/studio/transfers/{}", u.transfer_id),
                progress: match length {
                    Some(l) => format!("{} / {}", i18n::size(locale, received), i18n::size(locale, l)),
                    None => i18n::size(locale, received),
                },
                percent: length.filter(|l| *l > 0).map_or(0, |l| received * 100 / l),
            }
        })
        .collect();
    let activity = db::activity::recent(state.db.pool(), None, None, 15)
        .await?
        .into_iter()
        .map(|e| line(t, locale, e))
        .collect();
    let backups = backup_status(&state, t, locale).await?;
    let trash = db::trash::count(state.db.pool()).await?;
    let overview = storage_view(&state, t, locale).await?;
    render(DashboardPage {
        overview,
        chrome: viewer.chrome("dashboard", t.dashboard_title),
        backups,
        trash,
        storage: i18n::size(locale, bytes),
        clients: clients as usize,
        uploads,
        activity,
    })
}

struct ClientRow {
    href: String,
    name: String,
    email: String,
    status: &'static str,
    status_class: &'static str,
    storage: String,
}

#[derive(askama::Template)]
#[template(path = "pages/studio/clients.html")]
struct ClientsPage {
    chrome: Chrome,
    q: String,
    rows: Vec<ClientRow>,
}

#[derive(Deserialize)]
pub struct Search {
    #[serde(default)]
    q: String,
}

fn client_status(t: &Texts, user: &User, pending: bool) -> (&'static str, &'static str) {
    if user.disabled {
        (t.disabled, "bad")
    } else if pending {
        (t.invitation_pending, "warn")
    } else {
        (t.active, "ok")
    }
}

pub async fn clients(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(search): Query<Search>,
) -> Result<Response, PageError> {
    viewer.studio()?;
    let (t, locale) = (viewer.texts(), viewer.locale);
    let rows = db::users::clients(state.db.pool(), search.q.trim())
        .await?
        .into_iter()
        .map(|c| {
            let (status, status_class) = client_status(t, &c.user, c.invited_pending);
            ClientRow {
                href: format!("/studio/clients/{}", c.user.id),
                name: c.user.name,
                email: c.user.email,
                status,
                status_class,
                storage: i18n::size(locale, c.stored_bytes),
            }
        })
        .collect();
    render(ClientsPage {
        chrome: viewer.chrome("clients", t.clients_title),
        q: search.q,
        rows,
    })
}

struct DeliveryRow {
    href: String,
    title: String,
    files: String,
    state: &'static str,
    state_class: &'static str,
}

#[derive(askama::Template)]
#[template(path = "pages/studio/client.html")]
struct ClientPage {
    chrome: Chrome,
    client: User,
    status: &'static str,
    status_class: &'static str,
    storage: String,
    inbound: Vec<Tile>,
    deliveries: Vec<DeliveryRow>,
    billing: super::billing::BillingView,
    delete_confirm: String,
    /// The quota in GB as the form shows it ("" for none), and in words.
    quota_value: String,
    quota_text: String,
    appts: super::appointments::StudioSection,
    /// Whether the client may make links for their guests.
    may_share: bool,
    share_t: &'static crate::texts::share::ShareTexts,
}

pub(super) fn delivery_state(
    t: &Texts,
    transfer: &db::transfers::Transfer,
    now: Timestamp,
) -> (&'static str, &'static str) {
    match (transfer.published_at, transfer.expires_at) {
        (_, Some(e)) if e <= now => (t.expired, "bad"),
        (Some(_), _) => (t.published, "ok"),
        (None, _) => (t.draft, "warn"),
    }
}

pub async fn client(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    viewer.studio()?;
    let (t, locale) = (viewer.texts(), viewer.locale);
    let id = UserId::parse(&id).ok_or(PageError::NotFound)?;
    let client = db::users::find(state.db.pool(), id)
        .await?
        .filter(|u| u.role == Role::Client)
        .ok_or(PageError::NotFound)?;
    let summary = db::users::clients(state.db.pool(), &client.email)
        .await?
        .into_iter()
        .find(|c| c.user.id == id);
    let pending = summary.as_ref().is_some_and(|s| s.invited_pending);
    let (status, status_class) = client_status(t, &client, pending);
    let totals = db::files::stored_totals(state.db.pool(), Some(id)).await?;
    let now = state.clock.now();
    let mut inbound = Vec::new();
    let mut deliveries = Vec::new();
    for transfer in db::transfers::list(state.db.pool(), Some(id)).await? {
        let counts = totals.get(&transfer.id).copied().unwrap_or((0, 0));
        let href = format!("/studio/transfers/{}", transfer.id);
        match transfer.direction {
            Direction::Inbound => inbound.push(tile(t, locale, &transfer, counts, href)),
            Direction::Delivery => {
                let (state_text, state_class) = delivery_state(t, &transfer, now);
                deliveries.push(DeliveryRow {
                    href,
                    title: transfer.title.clone(),
                    files: t.files_count(counts.0 as usize),
                    state: state_text,
                    state_class,
                });
            }
            Direction::Portfolio => {}
        }
    }
    let statement = crate::billing::statement(&state.db, client.id).await?;
    let (count, bytes) = totals.values().fold((0, 0), |(n, b), (fn_, fb)| (n + fn_, b + fb));
    let delete_confirm = t
        .confirm_delete_client
        .replace("{name}", &client.name)
        .replace("{count}", &t.files_count(count as usize))
        .replace("{size}", &i18n::size(locale, bytes))
        .replace("{days}", &state.cfg.trash_days.to_string());
    let quota = db::users::quota(state.db.pool(), client.id).await?;
    // In GB as every size on the pages (10⁹ bytes).
    let quota_value = quota
        .map(|q| {
            let text = format!("{}", (q as f64 / 1e9 * 100.0).round() / 100.0);
            if locale == Locale::Fr {
                text.replace('.', ",")
            } else {
                text
            }
        })
        .unwrap_or_default();
    let quota_text = quota.map_or_else(|| t.quota_none.to_owned(), |q| i18n::size(locale, q));
    let appts = super::appointments::studio_section(&state, t, locale, id).await?;
    let may_share = db::users::may_share(state.db.pool(), client.id).await?;
    render(ClientPage {
        may_share,
        share_t: crate::texts::share::ShareTexts::for_locale(locale),
        appts,
        quota_value,
        quota_text,
        delete_confirm,
        billing: super::billing::BillingView::new(t, locale, &statement),
        chrome: viewer.chrome("clients", client.name.clone()),
        storage: i18n::size(locale, summary.map_or(0, |s| s.stored_bytes)),
        client,
        status,
        status_class,
        inbound,
        deliveries,
    })
}

#[derive(Deserialize)]
pub struct ActivityFilter {
    client: Option<String>,
    kind: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "pages/studio/activity.html")]
struct ActivityPage {
    chrome: Chrome,
    lines: Vec<Line>,
    clients: Vec<(String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    client: String,
    kind: String,
}

pub async fn activity(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(filter): Query<ActivityFilter>,
) -> Result<Response, PageError> {
    viewer.studio()?;
    let (t, locale) = (viewer.texts(), viewer.locale);
    let (client, kind) = crate::http::activity::parse_filter(filter.client.as_deref(), filter.kind.as_deref())
        .map_err(|_| PageError::NotFound)?;
    let lines = db::activity::recent(state.db.pool(), client, kind.map(|k| k.as_str()), 200)
        .await?
        .into_iter()
        .map(|e| line(t, locale, e))
        .collect();
    let clients = db::users::clients(state.db.pool(), "")
        .await?
        .into_iter()
        .map(|c| (c.user.id.to_string(), c.user.name))
        .collect();
    let kinds = crate::activity::Kind::ALL
        .iter()
        .map(|k| (k.as_str(), t.activity(k.as_str())))
        .collect();
    render(ActivityPage {
        chrome: viewer.chrome("activity", t.nav_activity),
        lines,
        clients,
        kinds,
        client: filter.client.unwrap_or_default(),
        kind: filter.kind.unwrap_or_default(),
    })
}
