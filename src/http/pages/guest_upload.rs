//! `/l/<token>` of an upload link: the form asking a guest's name (and PIN), then the
//! uploader with what they already sent.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::guest::{GUEST_COOKIE, PinForm, gone_page, guest_cookie, see_other};
use super::{Chrome, PageError, Viewer, render};
use crate::guests::{self, GuestError};
use crate::http::auth::cookie_value;
use crate::i18n;
use crate::state::AppState;
use crate::texts::guest::GuestTexts;

#[derive(askama::Template)]
#[template(path = "pages/guest_start.html")]
struct StartPage {
    chrome: Chrome,
    g: &'static GuestTexts,
    heading: String,
    lead: String,
    action: String,
    problem: Option<String>,
    pin: bool,
    name: String,
    email: String,
}

struct SentLine {
    name: String,
    size: String,
    received: bool,
}

#[derive(askama::Template)]
#[template(path = "pages/guest_upload.html")]
struct UploadPage {
    chrome: Chrome,
    g: &'static GuestTexts,
    heading: String,
    lead: String,
    sending_as: String,
    limits: String,
    uploader: super::client::UploaderConfig,
    sent: Vec<SentLine>,
}

/// `GET /l/<token>` of an upload link: the uploader once this browser's guest gave their
/// name (and the PIN, if any), the form asking for them before.
pub(super) async fn open_upload(
    state: &AppState,
    viewer: &Viewer,
    token: &str,
    headers: &HeaderMap,
) -> Result<Response, PageError> {
    if let Some(held) = cookie_value(headers, GUEST_COOKIE)
        && let Ok(dropper) = guests::resolve_upload(state, &held).await
        && dropper.name.is_some()
        && guests::same_link_id(state, &dropper.link_id, token).await?
    {
        return upload_page(state, viewer, &dropper, &held).await;
    }
    match guests::resolve_upload(state, token).await {
        Ok(_) => start_page(state, viewer, token, StatusCode::OK, None, false, None).await,
        Err(GuestError::PinRequired) => start_page(state, viewer, token, StatusCode::OK, None, true, None).await,
        Err(GuestError::Db(e)) => Err(e.into()),
        Err(other) => gone_page(viewer, &other, true),
    }
}

async fn start_page(
    state: &AppState,
    viewer: &Viewer,
    token: &str,
    status: StatusCode,
    problem: Option<String>,
    pin: bool,
    form: Option<&PinForm>,
) -> Result<Response, PageError> {
    let g = GuestTexts::for_locale(viewer.locale);
    let studio = state.studio.name().await?;
    let mut chrome = viewer.chrome("send", g.drop_title);
    chrome.user = None;
    let page = render(StartPage {
        chrome,
        g,
        heading: g.drop_title.to_owned(),
        lead: g.drop_lead.replace("{studio}", &studio),
        action: format!("/l/{token}"),
        problem,
        pin,
        name: form.and_then(|f| f.name.clone()).unwrap_or_default(),
        email: form.and_then(|f| f.email.clone()).unwrap_or_default(),
    })?;
    Ok((status, page).into_response())
}

/// `POST /l/<token>` of an upload link: the guest's name (and PIN) open a session of
/// their own, held in the browser's cookie.
pub(super) async fn start_upload(
    state: &AppState,
    viewer: &Viewer,
    token: &str,
    address: &str,
    form: PinForm,
) -> Result<Response, PageError> {
    let g = GuestTexts::for_locale(viewer.locale);
    let has_pin = matches!(guests::resolve_upload(state, token).await, Err(GuestError::PinRequired));
    let opening = guests::Opening {
        pin: form.pin.as_deref().filter(|p| !p.is_empty()),
        // The page always asks for a name (a script may leave it to each upload).
        name: Some(form.name.as_deref().unwrap_or_default()),
        email: form.email.as_deref(),
    };
    let again = |status, problem: &str| {
        start_page(
            state,
            viewer,
            token,
            status,
            Some(problem.to_owned()),
            has_pin,
            Some(&form),
        )
    };
    match guests::unlock(state, token, opening, address).await {
        Ok((session, _)) => see_other(token, guest_cookie(state, &session)?),
        Err(GuestError::WrongPin | GuestError::PinRequired) => again(StatusCode::UNAUTHORIZED, g.pin_wrong).await,
        Err(GuestError::Invalid { field: "email", .. }) => again(StatusCode::UNPROCESSABLE_ENTITY, g.email_wrong).await,
        Err(GuestError::Invalid { .. }) => again(StatusCode::UNPROCESSABLE_ENTITY, g.name_missing).await,
        Err(GuestError::Throttled { retry_after_secs }) => {
            let text = g
                .pin_throttled
                .replace("{minutes}", &retry_after_secs.div_ceil(60).to_string());
            again(StatusCode::TOO_MANY_REQUESTS, &text).await
        }
        Err(GuestError::Db(e)) => Err(e.into()),
        Err(other) => gone_page(viewer, &other, true),
    }
}

async fn upload_page(
    state: &AppState,
    viewer: &Viewer,
    dropper: &guests::Dropper,
    session: &str,
) -> Result<Response, PageError> {
    let (t, g, locale) = (viewer.texts(), GuestTexts::for_locale(viewer.locale), viewer.locale);
    let studio = state.studio.name().await?;
    let mut limits = Vec::new();
    if let Some(n) = dropper.max_files {
        limits.push(g.limit_files.replace("{n}", &n.to_string()));
    }
    if let Some(bytes) = dropper.max_bytes {
        limits.push(g.limit_bytes.replace("{size}", &i18n::size(locale, bytes)));
    }
    if let Some(kinds) = &dropper.categories {
        let names: Vec<&str> = kinds.iter().map(|c| super::client::category_text(t, *c)).collect();
        limits.push(g.limit_kinds.replace("{kinds}", &names.join(", ")));
    }
    let mut uploader = super::client::UploaderConfig::into_target(state, t, locale, "link", &dropper.link_id);
    // Through the server, always: the link's limits are checked before any byte, and a
    // guest has no business with the bucket.
    uploader.mode = "tus";
    uploader.meta_json = "{}".to_owned();
    uploader.categories = false;
    uploader.bearer = Some(session.to_owned());
    uploader.reload_on_done = true;
    uploader.done_text = Some(g.drop_done.to_owned());
    if let Some(max) = dropper.max_bytes {
        uploader.max_size = uploader.max_size.min(max);
    }
    let sent = guests::sent_files(state, dropper)
        .await?
        .into_iter()
        .map(|f| SentLine {
            size: f.size.map(|s| i18n::size(locale, s)).unwrap_or_default(),
            received: f.has_bytes(),
            name: f.name,
        })
        .collect();
    let mut chrome = viewer.chrome("send", dropper.label.clone());
    chrome.user = None;
    let page = render(UploadPage {
        chrome,
        g,
        heading: dropper.label.clone(),
        lead: g.drop_lead.replace("{studio}", &studio),
        sending_as: g
            .sending_as
            .replace("{name}", dropper.name.as_deref().unwrap_or_default()),
        limits: capitalised(&limits.join(" · ")),
        uploader,
        sent,
    })?;
    // The page holds a bearer: no cache keeps it.
    Ok(([(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))], page).into_response())
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
