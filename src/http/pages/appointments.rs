//! Appointments in the pages: the client's `/appointments` (with an `.ics` each and the
//! private feed), and the section of the studio's client page (add, change, cancel).

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::viewer::Viewer;
use super::{Chrome, PageError, Texts, render};
use crate::appointments::when::{self, Zone};
use crate::appointments::{self, default_zone};
use crate::db::appointments::{self as store, Appointment};
use crate::domain::{DAY, Locale, UserId};
use crate::i18n;
use crate::state::AppState;

/// An appointment as a page shows it.
pub struct Shown {
    pub id: String,
    pub kind: String,
    pub when: String,
    pub place: Option<String>,
    pub notes: Option<String>,
    pub cancelled: bool,
    pub from_quote_site: bool,
    /// The form's values, in the appointment's own zone.
    pub start_input: String,
    pub end_input: String,
    pub zone: String,
}

fn shown(a: &Appointment, locale: Locale) -> Shown {
    let zone = Zone::parse(&a.time_zone).unwrap_or_else(|_| Zone::parse("UTC").expect("UTC"));
    Shown {
        id: a.id.clone(),
        kind: a.kind.clone(),
        when: when::spoken(a.starts_at, &zone, locale),
        place: a.place.clone(),
        notes: a.notes.clone(),
        cancelled: a.cancelled_at.is_some(),
        from_quote_site: a.ext_id.is_some(),
        start_input: when::local_input(a.starts_at, &zone),
        end_input: a.ends_at.map(|e| when::local_input(e, &zone)).unwrap_or_default(),
        zone: a.time_zone.clone(),
    }
}

#[derive(askama::Template)]
#[template(path = "pages/appointments.html")]
struct AppointmentsPage {
    chrome: Chrome,
    appointments: Vec<Shown>,
    /// When the client's feed address was made, in words, if there is one.
    feed_since: Option<String>,
}

pub async fn client_space(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let user = viewer.signed_in()?.clone();
    if user.role == crate::domain::Role::Studio {
        // The studio sees appointments on each client's page.
        return Ok(axum::response::Redirect::to("/studio/clients").into_response());
    }
    let (t, locale) = (viewer.texts(), viewer.locale);
    let list = appointments::list(&state, &user, None)
        .await
        .map_err(crate::http::error::AppError::from)?;
    let feed_since = store::feed_created(state.db.pool(), user.id)
        .await?
        .map(|at| t.appt_feed_since.replace("{date}", &i18n::date(locale, at)));
    render(AppointmentsPage {
        chrome: viewer.chrome("appointments", t.appt_title),
        appointments: list.iter().map(|a| shown(a, locale)).collect(),
        feed_since,
    })
}

/// The studio's client page: the appointments, and the event date the quote site gave.
pub struct StudioSection {
    pub appointments: Vec<Shown>,
    pub event_date: Option<String>,
    pub default_zone: String,
}

pub async fn studio_section(
    state: &AppState,
    t: &Texts,
    locale: Locale,
    client: UserId,
) -> Result<StudioSection, PageError> {
    let since = state.clock.now() - DAY;
    let list = store::of_client(state.db.pool(), client, since).await?;
    let event_date = crate::db::ledger::event_date(state.db.pool(), client).await?.map(|d| {
        // Noon UTC of that day: the same calendar day in every European zone.
        let shown = d
            .parse::<jiff::civil::Date>()
            .ok()
            .and_then(|day| day.at(12, 0, 0, 0).to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map(|z| i18n::date(locale, z.timestamp().into()))
            .unwrap_or(d);
        t.appt_event_date.replace("{date}", &shown)
    });
    Ok(StudioSection {
        appointments: list.iter().map(|a| shown(a, locale)).collect(),
        event_date,
        default_zone: default_zone(state).name().to_owned(),
    })
}
