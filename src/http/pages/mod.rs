//! The web pages: server-rendered HTML (askama, compiled in) with the bundled scripts of
//! `web/src`. Pages read through the same domain functions as the API; every change a page
//! makes goes through the JSON API with the session's CSRF token, so there is one write
//! path and one set of rules.

mod appointments;
mod assets;
mod auth;
mod billing;
mod client;
mod csp;
mod guest;
mod guest_upload;
mod newsletter;
mod newsletter_studio;
mod paging;
mod portfolio;
mod settings;
mod share_section;
mod site;
mod studio;
pub use guest::GUEST_COOKIE;
mod system;

mod transfer;
mod trash;
mod viewer;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;

use crate::db::users::User;
use crate::domain::Role;
use crate::http::error::AppError;
use crate::state::AppState;
pub use crate::texts::{self, Texts};
pub use viewer::Viewer;
pub(crate) use viewer::locale_of;

pub fn routes(state: &AppState) -> Router<AppState> {
    let policy = csp::page_policy(&state.cfg);
    Router::new()
        .route("/space", get(start))
        .route("/login", get(auth::login))
        .route("/password/forgot", get(auth::forgot))
        .route("/password/reset/{token}", get(auth::reset))
        .route("/invitation/{token}", get(auth::invitation))
        .route("/setup/{token}", get(auth::setup))
        .route("/profile", get(auth::profile))
        .route("/email/confirm/{token}", get(auth::confirm_email))
        .route("/deliveries", get(client::deliveries))
        .route("/deliveries/{id}", get(client::delivery))
        .route("/send", get(client::send))
        .route("/appointments", get(appointments::client_space))
        .route("/billing", get(billing::page))
        .route("/studio/integrations", get(billing::integrations))
        .route("/studio", get(studio::dashboard))
        .route("/studio/clients", get(studio::clients))
        .route("/studio/clients/{id}", get(studio::client))
        .route("/studio/transfers/{id}", get(transfer::transfer))
        .route("/studio/activity", get(studio::activity))
        .route("/studio/trash", get(trash::page))
        .route("/studio/system", get(system::page))
        .route(
            "/l/{token}",
            get(guest::open).merge(
                // The PIN form's POST only: one budget per address, like logins.
                axum::routing::post(guest::unlock)
                    .route_layer(crate::http::limits::per_ip_login_layer(state.cfg.behind_proxy)),
            ),
        )
        .route("/studio/settings", get(settings::page))
        .route("/studio/newsletter", get(newsletter_studio::page))
        .route("/studio/newsletter/{id}", get(newsletter_studio::issue))
        .route("/studio/portfolio", get(portfolio::list))
        .route("/studio/portfolio/albums/{id}", get(portfolio::album))
        .route("/studio/portfolio/stories/{id}", get(portfolio::story))
        .layer(axum::middleware::map_response(move |mut response: Response| {
            let policy = policy.clone();
            async move {
                let h = response.headers_mut();
                h.insert(header::CONTENT_SECURITY_POLICY, policy);
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                response
            }
        }))
        .route("/assets/{name}", get(assets::serve))
        // Outside the pages' policy: the letter's own inline styles, framed by our pages.
        .route(
            "/studio/newsletter/{id}/preview/{lang}",
            get(newsletter_studio::preview),
        )
        .merge(site_routes(state))
}

/// The public site: its own frame, no session needed, cacheable for a minute.
fn site_routes(state: &AppState) -> Router<AppState> {
    let policy = csp::page_policy(&state.cfg);
    let subscribing = crate::http::limits::per_ip_login_layer(state.cfg.behind_proxy);
    Router::new()
        .route("/", get(site::home_fr))
        .route("/en", get(site::home_en))
        .route("/albums", get(site::albums_fr))
        .route("/en/albums", get(site::albums_en))
        .route("/albums/{slug}", get(site::album_fr))
        .route("/en/albums/{slug}", get(site::album_en))
        .route("/stories/{slug}", get(site::story_fr))
        .route("/en/stories/{slug}", get(site::story_en))
        // One limiter for both forms (and only their POST): one budget per address.
        .route(
            "/newsletter",
            axum::routing::post(newsletter::subscribe_fr)
                .layer(subscribing.clone())
                .get(newsletter::form_fr),
        )
        .route(
            "/en/newsletter",
            axum::routing::post(newsletter::subscribe_en)
                .layer(subscribing)
                .get(newsletter::form_en),
        )
        .route(
            "/newsletter/confirm/{token}",
            get(newsletter::confirm_page).post(newsletter::confirm),
        )
        .route(
            "/newsletter/unsubscribe/{token}",
            get(newsletter::unsubscribe_page).post(newsletter::unsubscribe),
        )
        .layer(axum::middleware::map_response(move |mut response: Response| {
            let policy = policy.clone();
            async move {
                response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, policy);
                response
            }
        }))
}

/// Any other path: a page saying so (the API answers its own 404s in JSON). A path with a
/// trailing slash is sent to the same path without it, where the page is.
pub async fn not_found(uri: axum::http::Uri) -> Result<Redirect, PageError> {
    let path = uri.path();
    if path.len() > 1 && path.ends_with('/') && !path.starts_with("/api/") {
        let trimmed = path.trim_end_matches('/');
        // "//host/" or "/\\host/" would become a redirect to another site.
        if trimmed.is_empty()
            || trimmed.get(1..).is_some_and(|rest| rest.starts_with(['/', '\\']))
            || path.contains('\\')
        {
            return Err(PageError::NotFound);
        }
        let target = match uri.query() {
            Some(q) => format!("{trimmed}?{q}"),
            None => trimmed.to_owned(),
        };
        return Ok(Redirect::permanent(&target));
    }
    Err(PageError::NotFound)
}

/// Where signing in leads unless a page asked to come back: [`start`].
pub const START: &str = "/space";

/// `/space`: the signed-in person's start page, or the login page. (`/` is the public
/// portfolio.)
async fn start(viewer: Viewer) -> Redirect {
    match viewer.user.as_ref().map(|u| u.role) {
        Some(Role::Studio) => Redirect::to("/studio"),
        Some(Role::Client) => Redirect::to("/deliveries"),
        None => Redirect::to("/login"),
    }
}

/// What every page's frame needs: the words, who is looking, the tokens for scripts.
pub struct Chrome {
    pub t: &'static Texts,
    /// The studio's name, logo and what it has set up.
    pub studio: std::sync::Arc<crate::studio::Identity>,
    pub user: Option<User>,
    pub csrf: String,
    /// Which navigation entry is current.
    pub section: &'static str,
    pub title: String,
}

impl Chrome {
    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }

    pub fn is_studio(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role == Role::Studio)
    }

    /// The messages scripts show for the API's error codes, in the page's language.
    pub fn messages_json(&self) -> String {
        crate::texts::script::script_messages(self.t.lang)
    }
}

/// What a page handler can fail with; rendered as a page, never as JSON.
#[derive(Debug)]
pub enum PageError {
    /// Not signed in: to the login page, coming back here afterwards.
    SignIn {
        next: String,
    },
    Redirect(String),
    Forbidden,
    NotFound,
    Internal(String),
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Unauthenticated => PageError::SignIn { next: START.into() },
            AppError::NotFound => PageError::NotFound,
            AppError::Forbidden => PageError::Forbidden,
            other => PageError::Internal(other.to_string()),
        }
    }
}

impl From<crate::db::DbError> for PageError {
    fn from(e: crate::db::DbError) -> Self {
        PageError::Internal(e.to_string())
    }
}

impl From<crate::transfers::TransferError> for PageError {
    fn from(e: crate::transfers::TransferError) -> Self {
        AppError::from(e).into()
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError::Internal(format!("template: {e}"))
    }
}

#[derive(askama::Template)]
#[template(path = "pages/error.html")]
struct ErrorPage {
    css: String,
    fr_title: &'static str,
    fr_text: &'static str,
    en_title: &'static str,
    en_text: &'static str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        use askama::Template;
        let (status, fr_title, fr_text, en_title, en_text) = match self {
            PageError::SignIn { next } => {
                let target = format!(
                    "/login?next={}",
                    url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                return Redirect::to(&target).into_response();
            }
            PageError::Redirect(to) => return Redirect::to(&to).into_response(),
            PageError::Forbidden => (
                StatusCode::FORBIDDEN,
                texts::FR.forbidden_title,
                texts::FR.forbidden,
                texts::EN.forbidden_title,
                texts::EN.forbidden,
            ),
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                texts::FR.not_found_title,
                texts::FR.not_found,
                texts::EN.not_found_title,
                texts::EN.not_found,
            ),
            PageError::Internal(cause) => {
                tracing::error!(%cause, "page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    texts::FR.error_title,
                    texts::FR.error_generic,
                    texts::EN.error_title,
                    texts::EN.error_generic,
                )
            }
        };
        let page = ErrorPage {
            css: assets::url("app.css"),
            fr_title,
            fr_text,
            en_title,
            en_text,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => status.into_response(),
        }
    }
}

/// Renders a page template into a response.
pub fn render(page: impl askama::Template) -> Result<Response, PageError> {
    Ok(Html(page.render()?).into_response())
}
