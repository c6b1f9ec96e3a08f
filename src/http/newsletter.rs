//! The newsletter's API: subscribing (public), the client's own switch, and the studio's
//! subscribers, import and issues.

use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

use super::auth::{Caller, ClientAddr, Studio};
use super::json::ApiJson;
use crate::db;
use crate::domain::{Locale, Role, Timestamp};
use crate::http::error::AppError;
use crate::newsletter::fanout::{self, Draft};
use crate::newsletter::{self, Source};
use crate::state::AppState;

pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/newsletter/subscriptions",
            post(subscribe).route_layer(super::limits::per_ip_login_layer(state.cfg.behind_proxy)),
        )
        .route("/me/newsletter", get(mine).put(set_mine))
        .route("/newsletter/subscribers", get(subscribers))
        .route("/newsletter/subscribers.csv", get(subscribers_csv))
        .route("/newsletter/subscribers/{id}", axum::routing::delete(erase_subscriber))
        .route(
            "/newsletter/subscribers/import",
            post(import).layer(DefaultBodyLimit::max(IMPORT_BODY_LIMIT)),
        )
        .route(
            "/newsletter/issues",
            get(issues)
                .post(create_issue)
                .layer(DefaultBodyLimit::max(ISSUE_BODY_LIMIT)),
        )
        .route(
            "/newsletter/issues/{id}",
            get(show_issue)
                .patch(update_issue)
                .layer(DefaultBodyLimit::max(ISSUE_BODY_LIMIT)),
        )
        .route("/newsletter/issues/{id}/preview", get(preview))
        .route("/newsletter/issues/{id}/test", post(test_send))
        .route("/newsletter/issues/{id}/send", post(send))
}

fn locale_or(raw: Option<&str>, default: Locale) -> Result<Locale, AppError> {
    match raw {
        None => Ok(default),
        Some(s) => Locale::parse(s).ok_or_else(|| AppError::validation("locale", "expected fr or en")),
    }
}

#[derive(serde::Deserialize)]
pub struct SubscribeBody {
    email: String,
    locale: Option<String>,
}

/// 202 whatever the address's state: the answer never says who is subscribed.
pub async fn subscribe(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SubscribeBody>,
) -> Result<Response, AppError> {
    let locale = locale_or(body.locale.as_deref(), Locale::Fr)?;
    newsletter::subscribe(&state, &body.email, locale, Source::Site).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"status": "confirmation_sent"}))).into_response())
}

pub async fn mine(State(state): State<AppState>, caller: Caller) -> Result<Json<serde_json::Value>, AppError> {
    let subscribed = newsletter::client_subscribed(&state, &caller.user.email).await?;
    Ok(Json(json!({ "subscribed": subscribed })))
}

#[derive(serde::Deserialize)]
pub struct MineBody {
    subscribed: bool,
}

pub async fn set_mine(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddr(ip): ClientAddr,
    ApiJson(body): ApiJson<MineBody>,
) -> Result<Json<serde_json::Value>, AppError> {
    if caller.user.role != Role::Client {
        return Err(AppError::Forbidden);
    }
    let from = ip.map(|ip| ip.to_string()).unwrap_or_default();
    newsletter::set_client_subscription(&state, &caller.user, body.subscribed, &from).await?;
    Ok(Json(json!({ "subscribed": body.subscribed })))
}

pub async fn subscribers(State(state): State<AppState>, _: Studio) -> Result<Json<serde_json::Value>, AppError> {
    let list = db::newsletter::list(state.db.pool()).await?;
    let counts: serde_json::Map<String, serde_json::Value> = db::newsletter::counts(state.db.pool())
        .await?
        .into_iter()
        .map(|(status, n)| (status, n.into()))
        .collect();
    Ok(Json(json!({ "counts": counts, "subscribers": list })))
}

/// One line per subscriber with the proof of consent, for a spreadsheet. A cell that
/// starts like a formula is quoted so that a spreadsheet shows it rather than runs it.
pub async fn subscribers_csv(State(state): State<AppState>, _: Studio) -> Result<Response, AppError> {
    let list = db::newsletter::list(state.db.pool()).await?;
    let mut out = String::from(
        "email,status,locale,source,created_at,confirmed_at,confirmed_from,unsubscribed_at,unsubscribed_by,refused_reason\r\n",
    );
    let time = |t: Option<Timestamp>| t.map(crate::i18n::iso).unwrap_or_default();
    for s in &list {
        let row = [
            s.email.clone(),
            s.status.clone(),
            s.locale.clone(),
            s.source.clone(),
            time(Some(s.created_at)),
            time(s.confirmed_at),
            s.confirmed_from.clone().unwrap_or_default(),
            time(s.unsubscribed_at),
            s.unsubscribed_by.clone().unwrap_or_default(),
            s.refused_reason.clone().unwrap_or_default(),
        ];
        let cells: Vec<String> = row.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"abonnes-subscribers.csv\"",
            ),
        ],
        out,
    )
        .into_response())
}

fn csv_cell(value: &str) -> String {
    let guarded = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

#[derive(serde::Deserialize)]
pub struct ImportBody {
    addresses: Addresses,
    locale: Option<String>,
}

/// A list, or text with one address per line (or separated by commas or semicolons), as
/// pasted from a spreadsheet into the page's box.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Addresses {
    List(Vec<String>),
    Text(String),
}

impl Addresses {
    fn into_list(self) -> Vec<String> {
        match self {
            Addresses::List(list) => list,
            Addresses::Text(text) => text
                .split(['\n', ',', ';'])
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
        }
    }
}

/// At most this many addresses per call (each is looked up and, if new, written with its
/// confirmation in its own transaction, within the request's time limit).
const IMPORT_MAX: usize = 2_000;
/// 2 000 long addresses, pasted.
const IMPORT_BODY_LIMIT: usize = 256 * 1024;
/// A letter's Markdown may reach 100 000 characters (`fanout::Draft`), in UTF-8 and JSON.
const ISSUE_BODY_LIMIT: usize = 512 * 1024;

pub async fn import(
    State(state): State<AppState>,
    _: Studio,
    ApiJson(body): ApiJson<ImportBody>,
) -> Result<Json<serde_json::Value>, AppError> {
    let addresses = body.addresses.into_list();
    if addresses.len() > IMPORT_MAX {
        return Err(AppError::validation(
            "addresses",
            format!("at most {IMPORT_MAX} addresses at a time"),
        ));
    }
    let locale = locale_or(body.locale.as_deref(), Locale::Fr)?;
    let asked = newsletter::import(&state, &addresses, locale).await?;
    Ok(Json(json!({ "asked": asked })))
}

pub async fn issues(State(state): State<AppState>, _: Studio) -> Result<Json<serde_json::Value>, AppError> {
    let list = db::newsletter::list_issues(state.db.pool()).await?;
    Ok(Json(json!(list)))
}

#[derive(serde::Deserialize)]
pub struct IssueBody {
    subject: String,
    markdown: String,
    picture_item: Option<String>,
}

impl IssueBody {
    fn draft(&self) -> Result<Draft, AppError> {
        Draft::parse(&self.subject, &self.markdown, self.picture_item.as_deref()).map_err(|e| match e {
            newsletter::NewsletterError::Invalid(m) => AppError::validation("issue", m),
            other => other.into(),
        })
    }
}

async fn with_stats(state: &AppState, issue: db::newsletter::Issue) -> Result<serde_json::Value, AppError> {
    let stats = db::newsletter::stats(state.db.pool(), &issue.id).await?;
    let mut value = json!(issue);
    value["stats"] = json!(stats);
    Ok(value)
}

pub async fn create_issue(
    State(state): State<AppState>,
    _: Studio,
    ApiJson(body): ApiJson<IssueBody>,
) -> Result<Response, AppError> {
    let issue = fanout::create(&state, &body.draft()?).await?;
    Ok((StatusCode::CREATED, Json(with_stats(&state, issue).await?)).into_response())
}

pub async fn show_issue(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, AppError> {
    let issue = fanout::issue(&state, &id).await?;
    Ok(Json(with_stats(&state, issue).await?))
}

pub async fn update_issue(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<IssueBody>,
) -> Result<Json<serde_json::Value>, AppError> {
    let issue = fanout::update(&state, &id, &body.draft()?).await?;
    Ok(Json(with_stats(&state, issue).await?))
}

/// The issue as a subscriber gets it, in both languages.
pub async fn preview(
    State(state): State<AppState>,
    Studio(caller): Studio,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, AppError> {
    let issue = fanout::issue(&state, &id).await?;
    let mut out = serde_json::Map::new();
    for locale in [Locale::Fr, Locale::En] {
        let m = fanout::preview(&state, &issue, locale, &caller.user.email).await?;
        out.insert(
            locale.as_str().to_owned(),
            json!({"subject": m.subject, "html": m.html, "text": m.text}),
        );
    }
    Ok(Json(serde_json::Value::Object(out)))
}

pub async fn test_send(
    State(state): State<AppState>,
    Studio(caller): Studio,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    fanout::test_send(&state, &id, &caller.user).await?;
    Ok(StatusCode::ACCEPTED)
}

pub async fn send(State(state): State<AppState>, _: Studio, Path(id): Path<String>) -> Result<Response, AppError> {
    let issue = fanout::send(&state, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(with_stats(&state, issue).await?)).into_response())
}

/// Erases a subscriber for good (a request to be forgotten): 204.
pub async fn erase_subscriber(
    State(state): State<AppState>,
    Studio(caller): Studio,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    if !db::newsletter::erase(state.db.pool(), &id).await? {
        return Err(AppError::NotFound);
    }
    tracing::info!(by = %caller.user.id, "newsletter subscriber erased");
    Ok(StatusCode::NO_CONTENT)
}
