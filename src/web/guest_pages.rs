//! `/l/<token>`: a guest's gallery, opened by the link the studio sent them; a link with a
//! PIN first asks for it. The browser then holds a cookie for the link (the link's token,
//! or the token its PIN unlocked) that the gallery's pictures and downloads ride on.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::client_pages::{Card, card};
use super::texts::guest::GuestTexts;
use super::{Chrome, PageError, Viewer, render};
use crate::guests::{self, GuestError, Permission};
use crate::http::auth::{ClientAddr, cookie_value};
use crate::state::AppState;
use crate::{db, i18n};

/// The cookie a guest's browser holds for the link it opened.
pub const GUEST_COOKIE: &str = "relais_guest";

#[derive(askama::Template)]
#[template(path = "pages/guest.html")]
struct GalleryPage {
    chrome: Chrome,
    g: &'static GuestTexts,
    id: String,
    title: String,
    shared: String,
    summary: String,
    downloadable: bool,
    cards: Vec<Card>,
}

#[derive(askama::Template)]
#[template(path = "pages/guest_pin.html")]
struct PinPage {
    chrome: Chrome,
    g: &'static GuestTexts,
    action: String,
    problem: Option<String>,
}

#[derive(askama::Template)]
#[template(path = "pages/guest_gone.html")]
struct GonePage {
    chrome: Chrome,
    reason: &'static str,
    heading: &'static str,
    text: &'static str,
}

fn guest_cookie(state: &AppState, value: &str) -> Result<HeaderValue, PageError> {
    let secure = if state.cfg.is_https() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{GUEST_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=43200{secure}"
    ))
    .map_err(|_| PageError::NotFound)
}

/// The page for a link that opens nothing (unknown, revoked, expired, delivery gone).
fn gone(viewer: &Viewer, error: &GuestError) -> Result<Response, PageError> {
    let g = GuestTexts::for_locale(viewer.locale);
    let (status, reason, heading, text) = match error {
        GuestError::Revoked => (StatusCode::GONE, "revoked", g.gone_title, g.gone_revoked),
        GuestError::Expired => (StatusCode::GONE, "expired", g.gone_title, g.gone_expired),
        GuestError::Unavailable => (StatusCode::GONE, "unavailable", g.gone_title, g.gone_unavailable),
        _ => (StatusCode::NOT_FOUND, "unknown", g.unknown_title, g.unknown_lead),
    };
    let page = render(GonePage {
        chrome: viewer.chrome("deliveries", heading),
        reason,
        heading,
        text,
    })?;
    Ok((status, page).into_response())
}

fn pin_page(viewer: &Viewer, token: &str, status: StatusCode, problem: Option<String>) -> Result<Response, PageError> {
    let g = GuestTexts::for_locale(viewer.locale);
    let page = render(PinPage {
        chrome: viewer.chrome("deliveries", g.pin_title),
        g,
        action: format!("/l/{token}"),
        problem,
    })?;
    Ok((status, page).into_response())
}

/// `GET /l/<token>`.
pub async fn open(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    match guests::resolve(&state, &token).await {
        Ok(guest) => {
            let page = gallery(&state, &viewer, &guest).await?;
            let cookie = guest_cookie(&state, &token)?;
            Ok(([(header::SET_COOKIE, cookie)], page).into_response())
        }
        Err(GuestError::PinRequired) => {
            // Unlocked earlier in this browser: its cookie opens this same link.
            if let Some(held) = cookie_value(&headers, GUEST_COOKIE)
                && let Ok(guest) = guests::resolve(&state, &held).await
                && guests::same_link(&state, &guest, &token).await.unwrap_or(false)
            {
                return gallery(&state, &viewer, &guest).await;
            }
            pin_page(&viewer, &token, StatusCode::OK, None)
        }
        Err(GuestError::Db(e)) => Err(e.into()),
        Err(other) => gone(&viewer, &other),
    }
}

#[derive(serde::Deserialize)]
pub struct PinForm {
    pin: String,
}

/// `POST /l/<token>`: the PIN form.
pub async fn unlock(
    State(state): State<AppState>,
    viewer: Viewer,
    ClientAddr(address): ClientAddr,
    Path(token): Path<String>,
    headers: HeaderMap,
    Form(form): Form<PinForm>,
) -> Result<Response, PageError> {
    // A form from another site has no business unlocking anything here.
    let cross_site = headers
        .get("sec-fetch-site")
        .is_some_and(|v| v.as_bytes() == b"cross-site");
    if cross_site
        || headers
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
            .is_some_and(|origin| !same_origin(&state, origin, headers.get(header::HOST).and_then(|h| h.to_str().ok())))
    {
        return Err(PageError::Forbidden);
    }
    let g = GuestTexts::for_locale(viewer.locale);
    let address = address.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
    let opening = guests::Opening {
        pin: Some(&form.pin),
        ..Default::default()
    };
    match guests::unlock(&state, &token, opening, &address).await {
        Ok((session, _)) => {
            let cookie = guest_cookie(&state, &session)?;
            let back = HeaderValue::from_str(&format!("/l/{token}")).map_err(|_| PageError::NotFound)?;
            Ok((
                StatusCode::SEE_OTHER,
                [(header::SET_COOKIE, cookie), (header::LOCATION, back)],
            )
                .into_response())
        }
        Err(GuestError::WrongPin) => pin_page(&viewer, &token, StatusCode::UNAUTHORIZED, Some(g.pin_wrong.to_owned())),
        Err(GuestError::Throttled { retry_after_secs }) => pin_page(
            &viewer,
            &token,
            StatusCode::TOO_MANY_REQUESTS,
            Some(
                g.pin_throttled
                    .replace("{minutes}", &retry_after_secs.div_ceil(60).to_string()),
            ),
        ),
        Err(GuestError::Invalid { .. }) => {
            pin_page(&viewer, &token, StatusCode::UNAUTHORIZED, Some(g.pin_wrong.to_owned()))
        }
        Err(GuestError::Db(e)) => Err(e.into()),
        Err(other) => gone(&viewer, &other),
    }
}

/// The form's `Origin` is this server: its public address, or the host it was asked
/// for (compared whole: `https://xtransfert.example.fr` is not `transfert.example.fr`).
fn same_origin(state: &AppState, origin: &str, host: Option<&str>) -> bool {
    if origin == state.cfg.public_url.origin().ascii_serialization() {
        return true;
    }
    let without_scheme = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"));
    matches!((without_scheme, host), (Some(o), Some(h)) if o.eq_ignore_ascii_case(h))
}

async fn gallery(state: &AppState, viewer: &Viewer, guest: &guests::Guest) -> Result<Response, PageError> {
    let (t, g, locale) = (viewer.texts(), GuestTexts::for_locale(viewer.locale), viewer.locale);
    let transfer = guest.transfer(guest.transfer).map_err(|_| PageError::NotFound)?;
    let downloadable = guest.may(Permission::Download);
    let files: Vec<_> = db::files::list_for_transfer(state.db.pool(), guest.transfer)
        .await?
        .into_iter()
        .filter(|f| f.has_bytes() && !f.hidden_from_guests)
        .collect();
    let variants = db::variants::for_transfer(state.db.pool(), guest.transfer).await?;
    let bytes: u64 = files.iter().filter_map(|f| f.size).sum();
    let cards = files
        .iter()
        .map(|f| {
            let mut c = card(
                t,
                locale,
                f,
                variants.get(&f.id.to_string()).map_or(&[][..], Vec::as_slice),
            );
            // Players and previews for every guest; downloads when the link allows them.
            c.downloadable = downloadable;
            c.viewable = true;
            c.show_status = false;
            c
        })
        .collect();
    let name = state.studio.name().await?;
    // The page is the guest's, whoever else this browser signed in as.
    let mut chrome = viewer.chrome("deliveries", transfer.title.clone());
    chrome.user = None;
    render(GalleryPage {
        chrome,
        g,
        id: transfer.id.to_string(),
        shared: g.shared_by.replace("{studio}", &name),
        summary: format!("{} · {}", t.files_count(files.len()), i18n::size(locale, bytes)),
        title: transfer.title,
        downloadable,
        cards,
    })
}
