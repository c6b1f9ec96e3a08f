//! The studio's newsletter pages: `/studio/newsletter` (subscribers with their consent,
//! import, export, the letters and what became of them) and `/studio/newsletter/{id}` (a
//! letter: write, preview in both languages, test, send). Forms talk to the API.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

use super::viewer::Viewer;
use super::{Chrome, PageError, Texts, render};
use crate::db::newsletter::{Issue, IssueStats, Subscriber};
use crate::db::{self, portfolio as store};
use crate::domain::Locale;
use crate::i18n;
use crate::newsletter::fanout;
use crate::state::AppState;

/// Subscribers shown on the page; the CSV export has every one.
const SHOWN: usize = 500;

pub struct IssueRow {
    pub id: String,
    pub subject: String,
    pub state: String,
    pub stats: Option<String>,
}

pub struct SubscriberRow {
    pub id: String,
    pub erase_confirm: String,
    pub email: String,
    pub status: &'static str,
    pub source: &'static str,
    pub since: String,
}

#[derive(Template)]
#[template(path = "pages/studio/newsletter.html")]
struct NewsletterPage {
    chrome: Chrome,
    counts: [(&'static str, &'static str, i64); 4],
    issues: Vec<IssueRow>,
    subscribers: Vec<SubscriberRow>,
    more: usize,
}

fn status_word(t: &Texts, status: &str) -> &'static str {
    match status {
        "confirmed" => t.nls_is_confirmed,
        "pending" => t.nls_is_pending,
        "unsubscribed" => t.nls_is_unsubscribed,
        _ => t.nls_is_refused,
    }
}

fn issue_state(t: &Texts, locale: Locale, issue: &Issue) -> String {
    match (issue.status.as_str(), issue.sent_at.or(issue.send_started_at)) {
        ("draft", _) => t.nls_draft.to_owned(),
        ("sending", _) => t.nls_sending.to_owned(),
        (_, Some(at)) => format!("{} · {}", t.nls_sent, i18n::date_time(locale, at)),
        _ => t.nls_sent.to_owned(),
    }
}

fn stats_line(t: &Texts, s: &IssueStats) -> String {
    t.nls_stats
        .replace("{sent}", &s.sent.to_string())
        .replace("{recipients}", &s.recipients.to_string())
        .replace("{failed}", &s.failed.to_string())
        .replace("{unsubscribed}", &s.unsubscribed.to_string())
}

pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    viewer.studio()?;
    let (t, locale) = (viewer.texts(), viewer.locale);
    let pool = state.db.pool();
    let counted = db::newsletter::counts(pool).await?;
    let count = |status: &str| counted.iter().find(|(s, _)| s == status).map(|(_, n)| *n).unwrap_or(0);
    let counts = [
        ("confirmed", t.nls_confirmed, count("confirmed")),
        ("pending", t.nls_pending, count("pending")),
        ("unsubscribed", t.nls_unsubscribed, count("unsubscribed")),
        ("refused", t.nls_refused, count("refused")),
    ];
    let mut issues = Vec::new();
    for issue in db::newsletter::list_issues(pool).await? {
        let stats = match issue.status.as_str() {
            "draft" => None,
            _ => Some(stats_line(t, &db::newsletter::stats(pool, &issue.id).await?)),
        };
        issues.push(IssueRow {
            state: issue_state(t, locale, &issue),
            id: issue.id,
            subject: issue.subject,
            stats,
        });
    }
    let mut all: Vec<Subscriber> = db::newsletter::list(pool).await?;
    all.reverse();
    let more = all.len().saturating_sub(SHOWN);
    let subscribers = all
        .into_iter()
        .take(SHOWN)
        .map(|s| SubscriberRow {
            status: status_word(t, &s.status),
            source: match s.source.as_str() {
                "site" => t.nls_source_site,
                "client" => t.nls_source_client,
                _ => t.nls_source_import,
            },
            since: i18n::date(locale, s.confirmed_at.unwrap_or(s.created_at)),
            erase_confirm: t.nls_erase_confirm.replace("{email}", &s.email),
            id: s.id,
            email: s.email,
        })
        .collect();
    render(NewsletterPage {
        chrome: viewer.chrome("newsletter", t.nls_title),
        counts,
        issues,
        subscribers,
        more,
    })
}

pub struct PictureOption {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "pages/studio/newsletter_issue.html")]
struct IssuePage {
    chrome: Chrome,
    issue: Issue,
    draft: bool,
    state: String,
    stats: Option<String>,
    pictures: Vec<PictureOption>,
    test_label: String,
    send_label: String,
    send_confirm: String,
    recipients: i64,
}

/// The photos of published albums, to pick one for a letter.
async fn pictures(state: &AppState, locale: Locale, chosen: Option<&str>) -> Result<Vec<PictureOption>, PageError> {
    let mut out = Vec::new();
    for album in store::albums(state.db.pool(), true).await? {
        let title = crate::portfolio::public::localized(&album.title, &album.title_en, locale).to_owned();
        let items = store::items(state.db.pool(), store::SetRef::Album(album.id)).await?;
        for (n, item) in items.iter().enumerate() {
            let caption = crate::portfolio::public::localized(&item.caption, &item.caption_en, locale);
            let id = item.id.to_string();
            out.push(PictureOption {
                selected: chosen == Some(id.as_str()),
                label: if caption.is_empty() {
                    format!("{title} — {}", n + 1)
                } else {
                    format!("{title} — {caption}")
                },
                id,
            });
        }
    }
    Ok(out)
}

pub async fn issue(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let user = viewer.studio()?.clone();
    let (t, locale) = (viewer.texts(), viewer.locale);
    let issue = fanout::issue(&state, &id).await.map_err(|_| PageError::NotFound)?;
    let pool = state.db.pool();
    let recipients = db::newsletter::counts(pool)
        .await?
        .into_iter()
        .find(|(s, _)| s == "confirmed")
        .map(|(_, n)| n)
        .unwrap_or(0);
    let (send_label, who) = match recipients {
        0 => (t.nls_send_none.to_owned(), t.nls_who.replace("{count}", "0")),
        1 => (t.nls_send_one.to_owned(), t.nls_who_one.to_owned()),
        n => (
            t.nls_send.replace("{count}", &n.to_string()),
            t.nls_who.replace("{count}", &n.to_string()),
        ),
    };
    let draft = issue.status == "draft";
    let stats = match draft {
        true => None,
        false => Some(stats_line(t, &db::newsletter::stats(pool, &issue.id).await?)),
    };
    render(IssuePage {
        chrome: viewer.chrome("newsletter", issue.subject.clone()),
        state: issue_state(t, locale, &issue),
        pictures: pictures(&state, locale, issue.picture_item.as_deref()).await?,
        test_label: t.nls_test.replace("{email}", &user.email),
        send_label: send_label.clone(),
        send_confirm: t
            .nls_send_confirm
            .replace("{subject}", &issue.subject)
            .replace("{who}", &who),
        recipients,
        draft,
        stats,
        issue,
    })
}

/// The letter as a subscriber in that language gets it, for the page's frame. Its own
/// policy: the message's inline styles and the site's pictures, no script at all, and it
/// may only be framed by Relais' own pages.
pub async fn preview(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((id, lang)): Path<(String, String)>,
) -> Result<Response, PageError> {
    let user = viewer.studio()?.clone();
    let locale = Locale::parse(&lang).ok_or(PageError::NotFound)?;
    let issue = fanout::issue(&state, &id).await.map_err(|_| PageError::NotFound)?;
    let message = fanout::preview(&state, &issue, locale, &user.email)
        .await
        .map_err(crate::http::error::AppError::from)?;
    let origin = state.cfg.public_url.origin().ascii_serialization();
    let policy = format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' {origin} data:; frame-ancestors 'self'; \
         sandbox"
    );
    let mut response = Html(message.html).into_response();
    let h = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&policy) {
        h.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok(response)
}
