//! HTTP: router assembly, cross-cutting layers, one module per resource.

pub mod activity;
mod appointments;
mod arrangement;
pub mod auth;
mod billing;
mod clients;
mod cors;
mod deadline;
mod direct;
mod downloads;
pub mod error;
mod file_list;
mod guests;
mod health;
mod integration;
mod integrations;
mod invitations;
mod json;
pub mod limits;
mod list_pages;
mod login_guard;
mod media;
mod metering;
pub mod metrics;
mod newsletter;
pub mod pages;
mod passwords;
mod portfolio;
mod profile;
mod selections;
pub mod server;
mod session;
mod setup;
mod studio;
mod tokens;
mod transfers;
mod trash;
mod tus;
pub mod variants;

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Request, header};
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{delete, get, patch, post, put};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use self::deadline::Deadline;
use crate::http::error::AppError;
use crate::state::AppState;

pub use json::ApiJson;

/// JSON bodies of the API are small; routes that take files set their own limit.
const JSON_BODY_LIMIT: usize = 64 * 1024;

static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

pub fn router(state: AppState) -> Router {
    let short = Deadline(state.cfg.http.request_timeout);
    let files = Deadline(state.cfg.http.file_timeout);
    let login = post(session::login).route_layer(limits::per_ip_login_layer(state.cfg.behind_proxy));
    let api = Router::new()
        .route("/session", login.get(session::current).delete(session::logout))
        .route("/me", get(session::me).patch(session::update_me))
        .route("/me/password", post(profile::change_password))
        .route("/me/email", post(profile::change_email))
        .route("/email/confirm", post(profile::confirm_email))
        .route("/me/totp", post(profile::start_totp))
        .route("/me/totp/confirm", post(profile::confirm_totp))
        .route("/tokens", get(tokens::list).post(tokens::create))
        .route("/tokens/{id}", delete(tokens::revoke))
        .route(
            "/invitations/accept",
            post(invitations::accept).route_layer(limits::per_ip_login_layer(state.cfg.behind_proxy)),
        )
        .route(
            "/setup",
            post(setup::create).route_layer(limits::per_ip_login_layer(state.cfg.behind_proxy)),
        )
        .route(
            "/password/forgot",
            post(passwords::forgot).route_layer(limits::per_ip_login_layer(state.cfg.behind_proxy)),
        )
        .route(
            "/password/reset",
            post(passwords::reset).route_layer(limits::per_ip_login_layer(state.cfg.behind_proxy)),
        )
        .route("/clients", get(clients::list).post(clients::create))
        .route("/clients/{id}", patch(clients::update).delete(trash::delete_client))
        .route("/clients/{id}/invitation", post(clients::reinvite))
        .route("/clients/{id}/export", get(downloads::client_export))
        .route("/activity", get(activity::list))
        .route("/studio", get(studio::get).patch(studio::update))
        .route("/billing", get(billing::statement))
        .route("/documents/{id}/content", get(billing::document))
        .route("/integrations", get(integrations::list).post(integrations::create))
        .route("/integrations/calls", get(integrations::calls))
        .route("/integrations/{id}", delete(integrations::revoke))
        .route("/integrations/{id}/rotation", post(integrations::rotate))
        .route("/transfers", get(transfers::list).post(transfers::create))
        .route(
            "/transfers/{id}",
            get(transfers::show)
                .patch(arrangement::arrange)
                .delete(trash::delete_transfer),
        )
        .route(
            "/transfers/{id}/order",
            put(arrangement::order).layer(DefaultBodyLimit::max(arrangement::ORDER_BODY_LIMIT)),
        )
        .route("/transfers/{id}/files", get(file_list::files))
        .route("/transfers/{id}/archive", get(downloads::archive))
        .route("/transfers/{id}/complete", post(transfers::complete))
        .route(
            "/transfers/{id}/publication",
            put(transfers::publish).delete(transfers::unpublish),
        )
        .route("/transfers/{id}/announcement", post(transfers::announce))
        .route("/files/{id}/downloads", get(transfers::receipts))
        .route("/files/{id}/process", post(transfers::reprocess))
        .route("/files/{id}/accept", post(transfers::accept))
        .route("/files/{id}/web-copy", post(transfers::remake_web_copy))
        .route("/files/{id}/variants/{name}", get(variants::get))
        .route(
            "/files/{id}",
            get(transfers::file)
                .patch(transfers::patch_file)
                .delete(trash::delete_file),
        )
        .route("/trash", get(trash::list))
        .route("/trash/{id}", delete(trash::purge))
        .route("/trash/{id}/restore", post(trash::restore))
        .route("/files/{id}/content", get(downloads::content))
        .merge(portfolio::routes())
        .merge(newsletter::routes(&state))
        .merge(appointments::routes())
        .merge(guests::routes(&state))
        .merge(selections::routes())
        .merge(direct::routes())
        .layer(from_fn_with_state(short, deadline::within))
        // Routes that take a file get the time to receive it on a slow line.
        .route(
            "/studio/logo",
            put(studio::put_logo)
                .delete(studio::delete_logo)
                .layer(DefaultBodyLimit::max(crate::studio::LOGO_MAX_BYTES))
                .layer(from_fn_with_state(files, deadline::within)),
        )
        .route(
            "/files/{id}/poster",
            put(variants::put_poster)
                .layer(DefaultBodyLimit::max(variants::POSTER_LIMIT))
                .layer(from_fn_with_state(files, deadline::within)),
        )
        .merge(integration::routes(state.cfg.behind_proxy, short, files))
        // No limit on the whole: a PATCH that stops making progress ends by itself.
        .merge(tus::routes())
        .fallback(not_found)
        .layer(from_fn_with_state(state.clone(), cors::cors));

    let hsts = state
        .cfg
        .is_https()
        .then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    let pages = crate::http::pages::routes(&state)
        .route("/media/{item}/{name}", get(media::get))
        .route("/logo", get(studio::logo))
        .route("/calendar/{file}", get(appointments::feed))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(metrics::on_main(&state))
        .fallback(crate::http::pages::not_found)
        .layer(from_fn_with_state(short, deadline::within));
    Router::new()
        .nest("/api/v1", api)
        .merge(pages)
        .layer(DefaultBodyLimit::max(JSON_BODY_LIMIT))
        .layer(from_fn_with_state(
            state.cfg.behind_proxy,
            limits::warn_of_an_unannounced_proxy,
        ))
        .layer(from_fn_with_state(state.metrics.clone(), metering::count))
        .layer(
            ServiceBuilder::new()
                .layer(from_fn_with_state(state.cfg.behind_proxy, drop_unusable_request_id))
                .layer(SetRequestIdLayer::new(REQUEST_ID.clone(), MakeRequestUuid))
                .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                    let id = req
                        .headers()
                        .get(&REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    let path = loggable_path(req.uri().path());
                    tracing::info_span!("request", method = %req.method(), path = %path, id = %id)
                }))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID.clone()))
                .layer(CatchPanicLayer::custom(|_| {
                    AppError::internal("handler panicked").into_response()
                }))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::X_CONTENT_TYPE_OPTIONS,
                    HeaderValue::from_static("nosniff"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::REFERRER_POLICY,
                    HeaderValue::from_static("same-origin"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
                ))
                .layer(SetResponseHeaderLayer::if_not_present(
                    header::STRICT_TRANSPORT_SECURITY,
                    move |_: &_| hsts.clone(),
                )),
        )
        .with_state(state)
}

/// A request id from the proxy in front (`behind_proxy`) is kept, one id across both
/// logs, when it looks like one; a client's own, or anything else, is replaced by ours
/// rather than copied into the log.
async fn drop_unusable_request_id(
    axum::extract::State(behind_proxy): axum::extract::State<bool>,
    mut req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let usable = req.headers().get(&REQUEST_ID).is_none_or(|v| {
        behind_proxy
            && (1..=64).contains(&v.len())
            && v.as_bytes()
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(b))
    });
    if !usable {
        req.headers_mut().remove(&REQUEST_ID);
    }
    next.run(req).await
}

async fn not_found() -> AppError {
    AppError::NotFound
}

/// How long health checks may wait on a dependency before calling it down.
pub(crate) const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// Paths whose last segment is a secret (a link's token): logged without it.
const SECRET_PATHS: &[&str] = &[
    "/invitation/",
    "/password/reset/",
    "/email/confirm/",
    "/setup/",
    "/newsletter/confirm/",
    "/newsletter/unsubscribe/",
    "/calendar/",
    // Guests' links: the token is the whole credential.
    "/l/",
];

/// The request path as logs keep it: a link's token blanked, so whoever reads the logs
/// cannot use the link.
fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    match SECRET_PATHS.iter().find(|prefix| path.starts_with(*prefix)) {
        Some(prefix) => format!("{prefix}…").into(),
        None => path.into(),
    }
}

#[cfg(test)]
mod path_tests {
    #[test]
    fn link_tokens_never_reach_the_logs() {
        assert_eq!(
            super::loggable_path("/newsletter/unsubscribe/Tc_qn1gi3"),
            "/newsletter/unsubscribe/…"
        );
        assert_eq!(super::loggable_path("/calendar/abc.ics"), "/calendar/…");
        assert_eq!(super::loggable_path("/l/lnk_Secret0123"), "/l/…");
        assert_eq!(super::loggable_path("/api/v1/transfers"), "/api/v1/transfers");
    }
}
