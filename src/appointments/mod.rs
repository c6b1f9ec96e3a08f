//! Appointments of a client: sent by the quote site (signed, versioned like its other
//! records) or made by the studio on the client's page; listed in the client space with an
//! `.ics` each and a private calendar feed; reminded by email before they start.

pub mod ics;
pub mod reminders;
pub mod when;

use std::time::Duration;

use serde::Serialize;

use self::when::Zone;
use crate::auth::secrets::{random_token, sha256_hex};
use crate::db::appointments::{self as store, Appointment};
use crate::db::users::User;
use crate::db::{self, DbError};
use crate::domain::FieldError;
use crate::domain::{DAY, Locale, Role, Timestamp, UserId};
use crate::state::AppState;

/// The raw fields of an appointment, as the API or a form sent them.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Raw {
    pub kind: Option<String>,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub time_zone: Option<String>,
    pub place: Option<String>,
    pub notes: Option<String>,
    #[serde(default)]
    pub cancelled: bool,
}

/// An appointment's fields, checked.
#[derive(Debug, Clone)]
pub struct Draft {
    pub kind: String,
    pub starts_at: Timestamp,
    pub ends_at: Option<Timestamp>,
    pub zone: Zone,
    pub place: Option<String>,
    pub notes: Option<String>,
    pub cancelled: bool,
}

fn short(field: &str, raw: Option<&str>, max: usize, errors: &mut Vec<FieldError>) -> Option<String> {
    let s = raw.map(str::trim).filter(|s| !s.is_empty())?;
    if s.chars().count() > max || s.chars().any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t') {
        errors.push(FieldError::new(
            field,
            format!("expected at most {max} printable characters"),
        ));
        return None;
    }
    Some(s.to_owned())
}

impl Draft {
    /// Checks every field and names each problem. A time without an offset is read in
    /// `time_zone`, or in `default_zone` when none is given.
    pub fn parse(raw: &Raw, default_zone: &Zone, now: Timestamp) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let kind = match raw.kind.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(k) if k.chars().count() <= 60 && !k.chars().any(char::is_control) => Some(k.to_owned()),
            Some(_) => {
                errors.push(FieldError::new("kind", "expected 1 to 60 printable characters"));
                None
            }
            None => {
                errors.push(FieldError::new(
                    "kind",
                    "required (préparatifs, cérémonie, essai, séance…)",
                ));
                None
            }
        };
        let zone = match raw.time_zone.as_deref().filter(|s| !s.trim().is_empty()) {
            Some(name) => match Zone::parse(name) {
                Ok(z) => Some(z),
                Err(e) => {
                    errors.push(FieldError::new("time_zone", e));
                    None
                }
            },
            None => Some(default_zone.clone()),
        };
        let mut instant = |field: &str, value: Option<&str>| -> Option<Timestamp> {
            let zone = zone.as_ref()?;
            match when::parse_instant(value?, zone) {
                Ok(ms) => Some(ms),
                Err(e) => {
                    errors.push(FieldError::new(field, e));
                    None
                }
            }
        };
        let starts_at = instant("starts_at", raw.starts_at.as_deref());
        let ends_at = instant("ends_at", raw.ends_at.as_deref().filter(|s| !s.trim().is_empty()));
        // A year back to ten years ahead: a typo in the year is caught, not stored.
        const YEAR: Duration = Duration::from_hours(366 * 24);
        if let Some(s) = starts_at
            && !(now - YEAR..=now + 10 * YEAR).contains(&s)
        {
            errors.push(FieldError::new(
                "starts_at",
                "expected a date within a year back and ten years ahead",
            ));
        }
        if raw.starts_at.as_deref().is_none_or(|s| s.trim().is_empty()) {
            errors.push(FieldError::new("starts_at", "required"));
        }
        if let (Some(s), Some(e)) = (starts_at, ends_at)
            && e <= s
        {
            errors.push(FieldError::new("ends_at", "must be after starts_at"));
        }
        let place = short("place", raw.place.as_deref(), 300, &mut errors);
        let notes = short("notes", raw.notes.as_deref(), 4000, &mut errors);
        match (kind, starts_at, zone) {
            (Some(kind), Some(starts_at), Some(zone)) if errors.is_empty() => Ok(Self {
                kind,
                starts_at,
                ends_at,
                zone,
                place,
                notes,
                cancelled: raw.cancelled,
            }),
            _ => Err(errors),
        }
    }

    pub fn fields(&self, client: UserId) -> store::Fields<'_> {
        store::Fields {
            client,
            kind: &self.kind,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            time_zone: self.zone.name(),
            place: self.place.as_deref(),
            notes: self.notes.as_deref(),
            cancelled: self.cancelled,
        }
    }

    /// What decides whether a resend changed anything (the quote site's records).
    pub fn digest(&self, client: &str) -> String {
        let parts = [
            client.to_owned(),
            self.kind.clone(),
            self.starts_at.as_millis().to_string(),
            self.ends_at.map(|e| e.as_millis().to_string()).unwrap_or_default(),
            self.zone.name().to_owned(),
            self.place.clone().unwrap_or_default(),
            self.notes.clone().unwrap_or_default(),
            self.cancelled.to_string(),
        ];
        sha256_hex(&parts.join("\u{1f}"))
    }
}

/// The zone for times given without one (`reminders.time_zone`).
pub fn default_zone(state: &AppState) -> Zone {
    Zone::parse(&state.cfg.reminders.time_zone).unwrap_or_else(|_| Zone::parse("Europe/Paris").expect("bundled zone"))
}

/// An appointment as the API shows it.
#[derive(Debug, Serialize)]
pub struct View {
    pub id: String,
    pub client: String,
    pub kind: String,
    /// RFC 3339 with the offset in its zone.
    pub starts_at: String,
    pub ends_at: Option<String>,
    pub time_zone: String,
    pub place: Option<String>,
    pub notes: Option<String>,
    pub cancelled: bool,
    /// The start in words, in the reader's language and the appointment's zone.
    pub when: String,
    pub ics: String,
    /// Whether it came from the quote site (the studio does not edit those).
    pub from_quote_site: bool,
}

pub fn rfc3339(ms: Timestamp, zone: &Zone) -> String {
    ms.to_jiff()
        .and_then(|t| jiff::tz::TimeZone::get(zone.name()).ok().map(|tz| t.to_zoned(tz)))
        .map(|z| z.strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
        .unwrap_or_default()
}

pub fn view(a: &Appointment, locale: Locale) -> View {
    let zone = Zone::parse(&a.time_zone).unwrap_or_else(|_| Zone::parse("UTC").expect("UTC"));
    View {
        id: a.id.clone(),
        client: a.client_id.clone(),
        kind: a.kind.clone(),
        starts_at: rfc3339(a.starts_at, &zone),
        ends_at: a.ends_at.map(|e| rfc3339(e, &zone)),
        time_zone: a.time_zone.clone(),
        place: a.place.clone(),
        notes: a.notes.clone(),
        cancelled: a.cancelled_at.is_some(),
        when: when::spoken(a.starts_at, &zone, locale),
        ics: format!("/api/v1/appointments/{}/ics", a.id),
        from_quote_site: a.ext_id.is_some(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppointmentError {
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    #[error("not found")]
    NotFound,
    #[error("this appointment comes from the quote site; change it there")]
    FromQuoteSite,
    #[error(transparent)]
    Db(#[from] DbError),
}

async fn usable_client(state: &AppState, id: UserId) -> Result<User, AppointmentError> {
    match db::users::find(state.db.pool(), id).await? {
        Some(u) if u.role == Role::Client => Ok(u),
        _ => Err(AppointmentError::NotFound),
    }
}

/// The studio adds an appointment to a client's page.
pub async fn create(state: &AppState, client: UserId, raw: &Raw) -> Result<Appointment, AppointmentError> {
    usable_client(state, client).await?;
    let draft = Draft::parse(raw, &default_zone(state), state.clock.now()).map_err(AppointmentError::Invalid)?;
    let id = uuid::Uuid::now_v7().to_string();
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    store::insert(&mut tx, &id, None, &draft.fields(client), now).await?;
    tx.commit().await.map_err(DbError::from)?;
    store::find(state.db.pool(), &id)
        .await?
        .ok_or(AppointmentError::NotFound)
}

/// The studio changes (or cancels) one of its own appointments.
pub async fn update(state: &AppState, id: &str, raw: &Raw) -> Result<Appointment, AppointmentError> {
    let current = store::find(state.db.pool(), id)
        .await?
        .ok_or(AppointmentError::NotFound)?;
    if current.ext_id.is_some() {
        return Err(AppointmentError::FromQuoteSite);
    }
    let client = UserId::parse(&current.client_id).ok_or(AppointmentError::NotFound)?;
    usable_client(state, client).await?;
    let mut draft = Draft::parse(raw, &default_zone(state), state.clock.now()).map_err(AppointmentError::Invalid)?;
    // The form sends back local times without their offset: a time shown as it was (the
    // second 02:30 of the night the clocks go back, or seconds the form drops) keeps its
    // instant rather than being read anew.
    let unchanged = |shown: Timestamp, sent: Option<&str>| {
        sent.map(str::trim) == Some(when::local_input(shown, &draft.zone).as_str())
    };
    if draft.zone.name() == current.time_zone {
        if unchanged(current.starts_at, raw.starts_at.as_deref()) {
            draft.starts_at = current.starts_at;
        }
        if let Some(end) = current.ends_at
            && unchanged(end, raw.ends_at.as_deref())
        {
            draft.ends_at = Some(end);
        }
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    store::update(&mut tx, &current, None, &draft.fields(client), now).await?;
    tx.commit().await.map_err(DbError::from)?;
    store::find(state.db.pool(), id)
        .await?
        .ok_or(AppointmentError::NotFound)
}

/// Appointments from a day ago on: the client's own, or (for the studio) one client's.
pub async fn list(
    state: &AppState,
    caller: &User,
    client: Option<UserId>,
) -> Result<Vec<Appointment>, AppointmentError> {
    let whose = match caller.role {
        Role::Client => caller.id,
        Role::Studio => client.ok_or_else(|| {
            AppointmentError::Invalid(vec![FieldError::new(
                "client",
                "the studio lists one client's: ?client=ID",
            )])
        })?,
    };
    let since = state.clock.now() - DAY;
    Ok(store::of_client(state.db.pool(), whose, since).await?)
}

/// One appointment, if the caller may see it (the studio, or the client it is for).
pub async fn visible(state: &AppState, caller: &User, id: &str) -> Result<Appointment, AppointmentError> {
    let a = store::find(state.db.pool(), id)
        .await?
        .ok_or(AppointmentError::NotFound)?;
    if caller.role == Role::Client && a.client_id != caller.id.to_db() {
        return Err(AppointmentError::NotFound);
    }
    Ok(a)
}

/// The calendar text of `appointments`, named after the studio.
pub async fn calendar(state: &AppState, appointments: &[Appointment]) -> Result<String, DbError> {
    let studio = state.studio.name().await?;
    let host = state.cfg.public_url.host_str().unwrap_or("relais").to_owned();
    // The kind is the studio's own word for it ("Préparatifs", "Séance engagement"),
    // the same in both languages; only the studio's name is added.
    let summaries: Vec<String> = appointments
        .iter()
        .map(|a| format!("{} — {}", a.kind, studio))
        .collect();
    let events: Vec<ics::Event<'_>> = appointments
        .iter()
        .zip(&summaries)
        .map(|(a, summary)| ics::Event {
            uid: &a.id,
            sequence: a.sequence,
            summary,
            starts_at: a.starts_at,
            ends_at: a.ends_at,
            place: a.place.as_deref(),
            notes: a.notes.as_deref(),
            cancelled: a.cancelled_at.is_some(),
            updated_at: a.updated_at,
        })
        .collect();
    Ok(ics::calendar(&studio, &host, &events, state.clock.now()))
}

/// A new private feed address for the client (the previous one stops working). The
/// token is shown once; only its hash is kept.
pub async fn new_feed(state: &AppState, client: &User) -> Result<String, DbError> {
    let token = random_token("");
    store::set_feed(state.db.pool(), client.id, &sha256_hex(&token), state.clock.now()).await?;
    let url = state
        .cfg
        .public_url
        .join(&format!("calendar/{token}.ics"))
        .map_err(|e| DbError::Corrupt(e.to_string()))?;
    tracing::info!(client = %client.id, "calendar feed address made");
    Ok(url.to_string())
}

/// The feed's calendar: the client's appointments of the last month and to come.
pub async fn feed(state: &AppState, token: &str) -> Result<Option<String>, DbError> {
    let Some(user) = store::user_of_feed(state.db.pool(), &sha256_hex(token)).await? else {
        return Ok(None);
    };
    let Some(user) = UserId::parse(&user) else {
        return Ok(None);
    };
    // An account in the trash has no feed.
    if db::users::find(state.db.pool(), user).await?.is_none() {
        return Ok(None);
    }
    let since = state.clock.now() - 31 * DAY;
    let list = store::of_client(state.db.pool(), user, since).await?;
    Ok(Some(calendar(state, &list).await?))
}
