//! Writing and sending issues: drafts, the test send, and the job that gives every
//! confirmed subscriber exactly one message of an issue.
//!
//! The fan-out writes, per subscriber and in one transaction, the delivery row (its
//! primary key is the issue and the subscriber), the message in the outbox and its
//! delivery job. Killed half-way, it starts again with the subscribers that have no
//! delivery yet; two nodes running it at once collide on the primary key and one backs
//! off. The messages then leave at `newsletter.rate_per_minute` (see `mail::job`).

use async_trait::async_trait;

use super::NewsletterError;
use super::render::{self, Message};
use crate::auth::secrets::{random_token, sha256_hex};
use crate::db::newsletter::Issue;
use crate::db::{self, DbError};
use crate::domain::{Locale, Timestamp};
use crate::jobs::{JobError, JobHandler};
use crate::state::AppState;

pub const KIND: &str = "newsletter_fanout";

/// Subscribers written per transaction.
const BATCH: i64 = 200;

#[derive(serde::Serialize, serde::Deserialize)]
struct Payload {
    issue_id: String,
}

/// A draft's fields, checked.
pub struct Draft {
    pub subject: String,
    pub markdown: String,
    pub picture_item: Option<String>,
}

impl Draft {
    pub fn parse(subject: &str, markdown: &str, picture_item: Option<&str>) -> Result<Self, NewsletterError> {
        let subject = subject.trim();
        if subject.is_empty() || subject.chars().count() > 200 || subject.chars().any(char::is_control) {
            return Err(NewsletterError::Invalid(
                "the subject takes 1 to 200 printable characters".into(),
            ));
        }
        if markdown.trim().is_empty() || markdown.len() > 100_000 {
            return Err(NewsletterError::Invalid(
                "the text takes 1 to 100 000 characters".into(),
            ));
        }
        let picture_item = match picture_item.map(str::trim).filter(|s| !s.is_empty()) {
            Some(id) => Some(
                crate::domain::ItemId::parse(id)
                    .ok_or_else(|| NewsletterError::Invalid("not a portfolio item".into()))?
                    .to_string(),
            ),
            None => None,
        };
        Ok(Self {
            subject: subject.to_owned(),
            markdown: markdown.to_owned(),
            picture_item,
        })
    }
}

pub async fn create(state: &AppState, draft: &Draft) -> Result<Issue, NewsletterError> {
    let id = uuid::Uuid::now_v7().to_string();
    db::newsletter::insert_issue(
        state.db.pool(),
        &id,
        &draft.subject,
        &draft.markdown,
        draft.picture_item.as_deref(),
        state.clock.now(),
    )
    .await?;
    issue(state, &id).await
}

pub async fn update(state: &AppState, id: &str, draft: &Draft) -> Result<Issue, NewsletterError> {
    let existing = issue(state, id).await?;
    if existing.status != "draft" {
        return Err(NewsletterError::AlreadySent);
    }
    let now = state.clock.now();
    if !db::newsletter::update_draft(
        state.db.pool(),
        id,
        &draft.subject,
        &draft.markdown,
        draft.picture_item.as_deref(),
        now,
    )
    .await?
    {
        return Err(NewsletterError::AlreadySent);
    }
    issue(state, id).await
}

pub async fn issue(state: &AppState, id: &str) -> Result<Issue, NewsletterError> {
    db::newsletter::find_issue(state.db.pool(), id)
        .await?
        .ok_or(NewsletterError::NoSuchIssue)
}

/// The picture's address, from anywhere: mail clients fetch it from the public site.
fn picture_url(state: &AppState, issue: &Issue) -> Option<String> {
    let item = issue.picture_item.as_deref()?;
    state
        .cfg
        .public_url
        .join(&format!("media/{item}/medium.jpg"))
        .ok()
        .map(String::from)
}

/// The issue as a subscriber in `locale` would get it (for the page's preview and the
/// test send), with an unsubscribe link that leads nowhere.
pub async fn preview(
    state: &AppState,
    issue: &Issue,
    locale: Locale,
    to: &str,
) -> Result<crate::mail::Composed, NewsletterError> {
    let studio = state.studio.name().await?;
    let unsubscribe = state
        .cfg
        .public_url
        .join("newsletter/unsubscribe/preview")
        .map_err(|e| NewsletterError::Invalid(e.to_string()))?;
    let picture = picture_url(state, issue);
    Ok(render::compose(&Message {
        locale,
        to_address: to,
        studio: &studio,
        subject: &issue.subject,
        markdown: &issue.markdown,
        picture: picture.as_deref(),
        unsubscribe: unsubscribe.as_str(),
    })?)
}

/// Sends the issue, in the studio's language, to the studio's own address, marked as a
/// test and outside the subscribers' pace.
pub async fn test_send(state: &AppState, id: &str, to: &db::users::User) -> Result<(), NewsletterError> {
    let issue = issue(state, id).await?;
    let mut message = preview(state, &issue, to.locale, &to.email).await?;
    message.kind = "newsletter_test";
    message.subject = crate::texts::mail::for_locale(to.locale).test_subject(&message.subject);
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    crate::mail::queue(&mut tx, &state.mailer, &message, Some(to.id), now).await?;
    tx.commit().await.map_err(DbError::from)?;
    state.jobs_queued();
    Ok(())
}

/// Starts sending a draft to every confirmed subscriber; a second call (or a second
/// person at the same moment) gets `AlreadySent`.
pub async fn send(state: &AppState, id: &str) -> Result<Issue, NewsletterError> {
    issue(state, id).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !db::newsletter::start_sending(&mut *tx, id, now).await? {
        return Err(NewsletterError::AlreadySent);
    }
    crate::jobs::enqueue(
        &mut *tx,
        KIND,
        &Payload {
            issue_id: id.to_owned(),
        },
        10,
        now,
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    state.jobs_queued();
    tracing::info!(issue = %id, "newsletter sending started");
    issue(state, id).await
}

pub struct Fanout {
    pub state: AppState,
}

#[async_trait]
impl JobHandler for Fanout {
    fn kind(&self) -> &'static str {
        KIND
    }

    async fn run(&self, payload: &str) -> Result<(), JobError> {
        let payload: Payload =
            serde_json::from_str(payload).map_err(|e| JobError::Fatal(format!("bad payload: {e}")))?;
        let state = &self.state;
        let Some(issue) = db::newsletter::find_issue(state.db.pool(), &payload.issue_id).await? else {
            return Err(JobError::Fatal(format!("issue {} no longer exists", payload.issue_id)));
        };
        let studio = state.studio.name().await?;
        let picture = picture_url(state, &issue);
        let rendered =
            render_once(state, &issue, &studio, picture.as_deref()).map_err(|e| JobError::Fatal(e.to_string()))?;
        loop {
            let batch = db::newsletter::awaiting(state.db.pool(), &issue.id, BATCH).await?;
            if batch.is_empty() {
                break;
            }
            let now = state.clock.now();
            write_batch(state, &issue, &rendered, &batch, now)
                .await
                .map_err(|e| match e {
                    // Another node wrote some of these first: start again from what is left.
                    NewsletterError::Db(db) if db.is_unique_violation() => JobError::Retry(db.to_string()),
                    other => JobError::Retry(other.to_string()),
                })?;
            state.jobs_queued();
        }
        db::newsletter::mark_fanned_out(state.db.pool(), &issue.id, state.clock.now()).await?;
        tracing::info!(issue = %issue.id, "newsletter fanned out");
        Ok(())
    }
}

/// Stands for a message's own unsubscribe token in the letter rendered once per language;
/// letters, digits and dashes only, so no escaping ever changes it.
const TOKEN_SLOT: &str = "RELAIS-UNSUBSCRIBE-TOKEN";

/// The issue rendered once per language, outside any transaction (Markdown and the
/// sanitiser run twice per issue, not once per subscriber).
pub(super) struct Rendered {
    fr: crate::mail::Composed,
    en: crate::mail::Composed,
}

pub(super) fn render_once(
    state: &AppState,
    issue: &Issue,
    studio: &str,
    picture: Option<&str>,
) -> Result<Rendered, NewsletterError> {
    let unsubscribe = state
        .cfg
        .public_url
        .join(&format!("newsletter/unsubscribe/{TOKEN_SLOT}"))
        .map_err(|e| NewsletterError::Invalid(e.to_string()))?;
    let one = |locale| {
        render::compose(&Message {
            locale,
            to_address: "",
            studio,
            subject: &issue.subject,
            markdown: &issue.markdown,
            picture,
            unsubscribe: unsubscribe.as_str(),
        })
    };
    Ok(Rendered {
        fr: one(Locale::Fr)?,
        en: one(Locale::En)?,
    })
}

async fn write_batch(
    state: &AppState,
    issue: &Issue,
    rendered: &Rendered,
    batch: &[(String, String, String)],
    now: Timestamp,
) -> Result<(), NewsletterError> {
    let messages: Vec<(&String, crate::mail::Composed, String)> = batch
        .iter()
        .map(|(subscriber, email, locale)| {
            let token = random_token("");
            let template = match Locale::parse(locale) {
                Some(Locale::En) => &rendered.en,
                _ => &rendered.fr,
            };
            let mut message = template.clone();
            message.to_address = email.clone();
            message.text = message.text.replace(TOKEN_SLOT, &token);
            message.html = message.html.replace(TOKEN_SLOT, &token);
            message.list_unsubscribe = message.list_unsubscribe.map(|u| u.replace(TOKEN_SLOT, &token));
            (subscriber, message, sha256_hex(&token))
        })
        .collect();
    let mut tx = state.db.begin().await?;
    for (subscriber, message, token_hash) in &messages {
        let email_id = crate::mail::queue(&mut tx, &state.mailer, message, None, now).await?;
        db::newsletter::insert_delivery(&mut tx, &issue.id, subscriber, &email_id, token_hash, now).await?;
    }
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}
