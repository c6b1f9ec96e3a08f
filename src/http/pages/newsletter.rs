//! The newsletter's public pages, in the site's frame and without any script: the form
//! (its own page, and the foot of every public page), the confirmation and unsubscribe
//! links' pages. A link's page only shows a button; the button's POST does the work, so a
//! mail scanner that opens links does not confirm or unsubscribe anyone.
//!
//! The unsubscribe URL also takes the mailbox provider's one-click POST (RFC 8058): no
//! session, no CSRF token, the link's token is the only credential.

use askama::Template;
use axum::Form;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::PageError;
use super::site::{SiteChrome, chrome};
use crate::domain::Locale;
use crate::http::auth::ClientAddr;
use crate::newsletter::{self, NewsletterError, Source};
use crate::state::AppState;

pub enum Step {
    Form {
        sent: bool,
        error: Option<&'static str>,
        email: String,
    },
    Confirm {
        email: String,
    },
    Confirmed,
    Unsubscribe {
        email: String,
    },
    Unsubscribed {
        email: String,
    },
    Invalid,
}

impl Step {
    /// For the tests and the stylesheet: which step the page shows.
    pub fn name(&self) -> &'static str {
        match self {
            Step::Form { sent: true, .. } => "sent",
            Step::Form { .. } => "form",
            Step::Confirm { .. } => "confirm",
            Step::Confirmed => "confirmed",
            Step::Unsubscribe { .. } => "unsubscribe",
            Step::Unsubscribed { .. } => "unsubscribed",
            Step::Invalid => "invalid",
        }
    }
}

#[derive(Template)]
#[template(path = "site/newsletter.html")]
struct NewsletterPage {
    chrome: SiteChrome,
    step: Step,
}

async fn page(state: &AppState, locale: Locale, step: Step, status: StatusCode) -> Result<Response, PageError> {
    let studio = state.studio.identity().await?;
    let t = super::Texts::for_locale(locale);
    let path = "/newsletter";
    let description = t.nl_intro.to_owned();
    let chrome = chrome(
        state,
        &studio,
        locale,
        "newsletter",
        path,
        t.nl_title.to_owned(),
        description,
        None,
    );
    let mut response = (status, Html(NewsletterPage { chrome, step }.render()?)).into_response();
    // Pages of a link are about one person: never kept by a cache.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

#[derive(serde::Deserialize)]
pub struct Sent {
    sent: Option<String>,
}

pub async fn form_fr(State(state): State<AppState>, Query(q): Query<Sent>) -> Result<Response, PageError> {
    form(&state, Locale::Fr, q.sent.is_some()).await
}

pub async fn form_en(State(state): State<AppState>, Query(q): Query<Sent>) -> Result<Response, PageError> {
    form(&state, Locale::En, q.sent.is_some()).await
}

async fn form(state: &AppState, locale: Locale, sent: bool) -> Result<Response, PageError> {
    let step = Step::Form {
        sent,
        error: None,
        email: String::new(),
    };
    page(state, locale, step, StatusCode::OK).await
}

#[derive(serde::Deserialize)]
pub struct SubscribeForm {
    #[serde(default)]
    email: String,
}

pub async fn subscribe_fr(State(state): State<AppState>, Form(f): Form<SubscribeForm>) -> Result<Response, PageError> {
    subscribe(&state, Locale::Fr, f).await
}

pub async fn subscribe_en(State(state): State<AppState>, Form(f): Form<SubscribeForm>) -> Result<Response, PageError> {
    subscribe(&state, Locale::En, f).await
}

/// The form's POST: on to the "check your mailbox" page (so a reload does not post
/// again), or the form again with the address and what is wrong with it.
async fn subscribe(state: &AppState, locale: Locale, f: SubscribeForm) -> Result<Response, PageError> {
    match newsletter::subscribe(state, &f.email, locale, Source::Site).await {
        Ok(()) => {
            let prefix = if locale == Locale::En { "/en" } else { "" };
            Ok(Redirect::to(&format!("{prefix}/newsletter?sent=1")).into_response())
        }
        Err(NewsletterError::Invalid(_)) => {
            let step = Step::Form {
                sent: false,
                error: Some(super::Texts::for_locale(locale).nl_invalid_email),
                email: f.email.chars().take(320).collect(),
            };
            page(state, locale, step, StatusCode::BAD_REQUEST).await
        }
        Err(e) => Err(crate::http::error::AppError::from(e).into()),
    }
}

async fn invalid(state: &AppState) -> Result<Response, PageError> {
    page(state, Locale::Fr, Step::Invalid, StatusCode::NOT_FOUND).await
}

pub async fn confirm_page(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, PageError> {
    match newsletter::pending_target(&state, &token).await {
        Ok((email, locale)) => page(&state, locale, Step::Confirm { email }, StatusCode::OK).await,
        Err(NewsletterError::InvalidLink) => invalid(&state).await,
        Err(e) => Err(crate::http::error::AppError::from(e).into()),
    }
}

pub async fn confirm(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let from = ip.map(|ip| ip.to_string()).unwrap_or_default();
    match newsletter::confirm(&state, &token, &from).await {
        Ok(locale) => page(&state, locale, Step::Confirmed, StatusCode::OK).await,
        Err(NewsletterError::InvalidLink) => invalid(&state).await,
        Err(e) => Err(crate::http::error::AppError::from(e).into()),
    }
}

pub async fn unsubscribe_page(State(state): State<AppState>, Path(token): Path<String>) -> Result<Response, PageError> {
    match newsletter::link_target(&state, &token).await {
        Ok(target) if target.subscribed => {
            let step = Step::Unsubscribe { email: target.email };
            page(&state, target.locale, step, StatusCode::OK).await
        }
        Ok(target) => {
            let step = Step::Unsubscribed { email: target.email };
            page(&state, target.locale, step, StatusCode::OK).await
        }
        Err(NewsletterError::InvalidLink) => invalid(&state).await,
        Err(e) => Err(crate::http::error::AppError::from(e).into()),
    }
}

/// The page's button and the one-click POST alike (the latter sends the body
/// `List-Unsubscribe=One-Click`, RFC 8058 §3.2).
pub async fn unsubscribe(
    State(state): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let how = if body.windows(9).any(|w| w == b"One-Click") {
        "one_click"
    } else {
        "page"
    };
    match newsletter::unsubscribe(&state, &token, how).await {
        Ok(target) => {
            let step = Step::Unsubscribed { email: target.email };
            page(&state, target.locale, step, StatusCode::OK).await
        }
        Err(NewsletterError::InvalidLink) => invalid(&state).await,
        Err(e) => Err(crate::http::error::AppError::from(e).into()),
    }
}
