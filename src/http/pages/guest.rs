//! `/l/<token>`: a guest's gallery, opened by the link the studio sent them; a link with a
//! PIN first asks for it. The browser then holds a cookie for the link (the link's token,
//! or the token its PIN unlocked) that the gallery's pictures and downloads ride on.

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::client::{Card, card};
use super::paging::{PAGE, PageParams, Paging, not_past_the_end};
use super::{Chrome, PageError, Viewer, render};
use crate::db::file_pages::{self, Audience, FileCursor};
use crate::guests::{self, GuestError, Permission};
use crate::http::auth::{ClientAddr, cookie_value};
use crate::state::AppState;
use crate::texts::guest::GuestTexts;
use crate::{db, i18n};

/// The cookie a guest's browser holds for the link it opened.
pub const GUEST_COOKIE: &str = "relais_guest";

#[derive(askama::Template)]
#[template(path = "pages/guest.html", whitespace = "minimize")]
struct GalleryPage {
    chrome: Chrome,
    g: &'static GuestTexts,
    id: String,
    title: String,
    shared: String,
    summary: String,
    downloadable: bool,
    cards: Vec<Card>,
    picks: super::share_section::Picks,
    paging: Paging,
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

pub(super) fn guest_cookie(state: &AppState, value: &str) -> Result<HeaderValue, PageError> {
    let secure = if state.cfg.is_https() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{GUEST_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=43200{secure}"
    ))
    .map_err(|_| PageError::NotFound)
}

/// The page for a link that opens nothing (unknown, revoked, expired, delivery gone).
fn gone(viewer: &Viewer, error: &GuestError) -> Result<Response, PageError> {
    gone_page(viewer, error, false)
}

pub(super) fn gone_page(viewer: &Viewer, error: &GuestError, upload: bool) -> Result<Response, PageError> {
    let g = GuestTexts::for_locale(viewer.locale);
    let unavailable = if upload {
        g.gone_upload_unavailable
    } else {
        g.gone_unavailable
    };
    let (status, reason, heading, text) = match error {
        GuestError::Revoked => (StatusCode::GONE, "revoked", g.gone_title, g.gone_revoked),
        GuestError::Expired => (StatusCode::GONE, "expired", g.gone_title, g.gone_expired),
        GuestError::Unavailable => (StatusCode::GONE, "unavailable", g.gone_title, unavailable),
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
    Query(params): Query<PageParams>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let after = params.cursor()?;
    let at = Place {
        path: format!("/l/{token}"),
        after,
    };
    if guests::is_upload_link(&state, &token).await? {
        return super::guest_upload::open_upload(&state, &viewer, &token, &headers).await;
    }
    match guests::resolve(&state, &token).await {
        Ok(guest) => {
            let page = gallery(&state, &viewer, &guest, &at).await?;
            let cookie = guest_cookie(&state, &token)?;
            Ok(([(header::SET_COOKIE, cookie)], page).into_response())
        }
        Err(GuestError::PinRequired) => {
            // Unlocked earlier in this browser: its cookie opens this same link.
            if let Some(held) = cookie_value(&headers, GUEST_COOKIE)
                && let Ok(guest) = guests::resolve(&state, &held).await
                && guests::same_link(&state, &guest, &token).await.unwrap_or(false)
            {
                return gallery(&state, &viewer, &guest, &at).await;
            }
            pin_page(&viewer, &token, StatusCode::OK, None)
        }
        Err(GuestError::Db(e)) => Err(e.into()),
        Err(other) => gone(&viewer, &other),
    }
}

#[derive(serde::Deserialize)]
pub struct PinForm {
    #[serde(default)]
    pub(super) pin: Option<String>,
    /// Upload links: who sends the files.
    #[serde(default)]
    pub(super) name: Option<String>,
    #[serde(default)]
    pub(super) email: Option<String>,
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
    if guests::is_upload_link(&state, &token).await? {
        return super::guest_upload::start_upload(&state, &viewer, &token, &address, form).await;
    }
    let opening = guests::Opening {
        pin: Some(form.pin.as_deref().unwrap_or_default()),
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

/// Which page of a gallery: its address, and the cursor it starts after.
struct Place {
    path: String,
    after: Option<FileCursor>,
}

async fn gallery(state: &AppState, viewer: &Viewer, guest: &guests::Guest, at: &Place) -> Result<Response, PageError> {
    let (t, g, locale) = (viewer.texts(), GuestTexts::for_locale(viewer.locale), viewer.locale);
    let transfer = guest.transfer(guest.transfer).map_err(|_| PageError::NotFound)?;
    let downloadable = guest.may(Permission::Download);
    let page = file_pages::page(
        state.db.pool(),
        guest.transfer,
        Audience::Guest,
        at.after.as_ref(),
        PAGE,
    )
    .await?;
    not_past_the_end(at.after.as_ref(), &page, &at.path)?;
    let files = page.files;
    let ids: Vec<_> = files.iter().map(|f| f.id).collect();
    let variants = db::variants::for_files(state.db.pool(), &ids).await?;
    let totals = file_pages::totals(state.db.pool(), guest.transfer, Audience::Guest).await?;
    let cards: Vec<Card> = files
        .iter()
        .map(|f| {
            let mut c = card(
                t,
                locale,
                f,
                variants.get(&f.id.to_string()).map_or(&[][..], Vec::as_slice),
            );
            // Players and previews for every guest; downloads when the link allows them.
            c.downloadable = downloadable && transfer.download_sizes.original;
            if !(guest.may(Permission::DownloadWeb) || guest.may(Permission::Download)) || !transfer.download_sizes.web
            {
                super::client::preview_without_web(
                    &mut c,
                    f,
                    variants.get(&f.id.to_string()).map_or(&[][..], Vec::as_slice),
                );
            }
            c.viewable = true;
            c.show_status = false;
            // A photo without its web sizes yet would preview as its original: not for a
            // guest who may not download it.
            if !c.downloadable && c.preview == c.content {
                c.kind = "file";
            }
            c
        })
        .collect();
    let picks = super::share_section::Picks::build(
        state,
        locale,
        &transfer,
        guest
            .may(Permission::Favourite)
            .then(|| format!("link:{}", guest.link_id)),
        guest.may(Permission::DownloadWeb) || downloadable,
    )
    .await?
    .with_web_zip(totals.any_web_sized);
    let name = state.studio.name().await?;
    // The page is the guest's, whoever else this browser signed in as.
    let mut chrome = viewer.chrome("deliveries", transfer.title.clone());
    chrome.user = None;
    render(GalleryPage {
        chrome,
        g,
        id: transfer.id.to_string(),
        shared: g.shared_by.replace("{studio}", &name),
        summary: format!(
            "{} · {}",
            t.files_count(totals.listed as usize),
            i18n::size(locale, totals.bytes)
        ),
        paging: Paging::new(locale, &at.path, at.after.is_none(), page.next, totals.listed),
        picks,
        title: transfer.title,
        downloadable: downloadable && transfer.download_sizes.original,
        cards,
    })
}

pub(super) fn see_other(token: &str, cookie: HeaderValue) -> Result<Response, PageError> {
    let back = HeaderValue::from_str(&format!("/l/{token}")).map_err(|_| PageError::NotFound)?;
    Ok((
        StatusCode::SEE_OTHER,
        [(header::SET_COOKIE, cookie), (header::LOCATION, back)],
    )
        .into_response())
}
