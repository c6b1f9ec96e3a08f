//! The studio's newsletter: double opt-in subscriptions kept as proof of consent, issues
//! written in Markdown, sent once to every confirmed subscriber at a bounded rate, and
//! left in one click (RFC 8058).
//!
//! Secrets: a confirmation link is a random token whose hash is stored (a newer request
//! replaces it); every message sent carries its own random unsubscribe token, stored
//! hashed with the delivery it belongs to, so a link also says which issue made someone
//! leave. The token is the only credential either link needs.

pub mod fanout;
pub mod render;

use std::time::Duration;

use crate::auth::secrets::{random_token, sha256_hex};
use crate::db::{self, DbError};
use crate::domain::{Email, Locale};
use crate::mail::{self, notices};
use crate::state::AppState;

/// How long a confirmation link stays valid.
pub const CONFIRM_VALIDITY: Duration = Duration::from_secs(7 * 24 * 3600);

/// A confirmation is not sent again to the same address sooner than this, nor more than
/// `MAX_CONFIRMATIONS` times a month: a stranger cannot fill someone's mailbox (or spoil
/// the studio's sending reputation) by submitting the form in a loop.
const RESEND_AFTER: Duration = Duration::from_secs(3600);
const MAX_CONFIRMATIONS: i64 = 3;
const CONFIRMATIONS_WINDOW: Duration = Duration::from_secs(30 * 24 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum NewsletterError {
    #[error("{0}")]
    Invalid(String),
    #[error("this link is invalid, already used or expired")]
    InvalidLink,
    #[error("this issue has already been sent")]
    AlreadySent,
    #[error("no such issue")]
    NoSuchIssue,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("cannot render the email: {0}")]
    Template(#[from] askama::Error),
}

/// Where a consent came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The public site's form.
    Site,
    /// The studio's import: the address still has to confirm.
    Import,
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Site => "site",
            Source::Import => "import",
        }
    }
}

/// Someone asks to subscribe `email`: a pending subscriber and a confirmation email, in
/// one transaction. The answer never says whether the address was known (the form is
/// public); an address already confirmed gets nothing, an address that left gets a new
/// confirmation, and a confirmation is not sent twice within ten minutes.
pub async fn subscribe(state: &AppState, email: &str, locale: Locale, source: Source) -> Result<(), NewsletterError> {
    let email = Email::parse(email).map_err(|e| NewsletterError::Invalid(e.to_string()))?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if let Some(known) = db::newsletter::find_by_email(&mut *tx, email.as_str()).await? {
        let recently = known.confirm_sent_at.is_some_and(|at| at > now - RESEND_AFTER);
        let skip = match known.status.as_str() {
            "confirmed" => true,
            "pending" => recently,
            // Someone who left is not asked again by an import; only their own request
            // brings them back (and until they confirm, their leaving stays on record).
            "unsubscribed" => source == Source::Import || recently,
            // A mailbox the receiving server refused would refuse this too.
            _ => true,
        };
        if skip {
            return Ok(());
        }
    }
    let sent = db::newsletter::confirmations_since(&mut *tx, email.as_str(), now - CONFIRMATIONS_WINDOW).await?;
    if sent >= MAX_CONFIRMATIONS {
        return Ok(());
    }
    let token = random_token("");
    let id = uuid::Uuid::now_v7().to_string();
    db::newsletter::upsert_pending(
        &mut tx,
        db::newsletter::Pending {
            id: &id,
            email: email.as_str(),
            locale: locale.as_str(),
            source: source.as_str(),
            user_id: None,
            token_hash: &sha256_hex(&token),
        },
        now,
    )
    .await?;
    let link = state
        .cfg
        .public_url
        .join(&format!("newsletter/confirm/{token}"))
        .map_err(|e| NewsletterError::Invalid(e.to_string()))?;
    let to = notices::Recipient {
        locale,
        address: email.as_str(),
        name: "",
    };
    let studio = state.studio.name().await?;
    let days = CONFIRM_VALIDITY.as_secs() / 86_400;
    let message = notices::confirm_subscription(&to, &studio, source == Source::Import, days, link.as_str())?;
    mail::queue(&mut tx, &state.mailer, &message, None, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    state.jobs_queued();
    tracing::info!(source = source.as_str(), "newsletter subscription requested");
    Ok(())
}

/// Whom a confirmation link is for (the page shown before its button), if it still works.
pub async fn pending_target(state: &AppState, token: &str) -> Result<(String, Locale), NewsletterError> {
    let now = state.clock.now();
    let (email, locale) =
        db::newsletter::pending_of_link(state.db.pool(), &sha256_hex(token.trim()), now - CONFIRM_VALIDITY)
            .await?
            .ok_or(NewsletterError::InvalidLink)?;
    Ok((email, Locale::parse(&locale).unwrap_or(Locale::Fr)))
}

/// The confirming click. `from` is the client address it came from, kept as the proof.
pub async fn confirm(state: &AppState, token: &str, from: &str) -> Result<Locale, NewsletterError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let confirmed =
        db::newsletter::confirm(&mut tx, &sha256_hex(token.trim()), now - CONFIRM_VALIDITY, from, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    let (_, locale) = confirmed.ok_or(NewsletterError::InvalidLink)?;
    tracing::info!("newsletter subscription confirmed");
    Ok(Locale::parse(&locale).unwrap_or(Locale::Fr))
}

/// What an unsubscribe link leads to, for its page.
pub struct LinkTarget {
    pub email: String,
    pub locale: Locale,
    pub subscribed: bool,
}

/// Looks a link up without changing anything (the page shown before the button).
pub async fn link_target(state: &AppState, token: &str) -> Result<LinkTarget, NewsletterError> {
    let (_, target) = subscriber_of(state, token).await?;
    Ok(target)
}

async fn subscriber_of(state: &AppState, token: &str) -> Result<(String, LinkTarget), NewsletterError> {
    let subscriber = db::newsletter::subscriber_of_link(state.db.pool(), &sha256_hex(token.trim()))
        .await?
        .ok_or(NewsletterError::InvalidLink)?;
    let target = LinkTarget {
        email: subscriber.email,
        locale: Locale::parse(&subscriber.locale).unwrap_or(Locale::Fr),
        subscribed: matches!(subscriber.status.as_str(), "pending" | "confirmed"),
    };
    Ok((subscriber.id, target))
}

/// Unsubscribes whoever the link was sent to, at once. `how` is `one_click` (the mailbox
/// provider's POST) or `page` (the button on the page). Using a link twice is fine.
pub async fn unsubscribe(state: &AppState, token: &str, how: &str) -> Result<LinkTarget, NewsletterError> {
    let (id, target) = subscriber_of(state, token).await?;
    if db::newsletter::unsubscribe(state.db.pool(), &id, how, state.clock.now()).await? {
        tracing::info!(how, "newsletter unsubscription");
    }
    Ok(LinkTarget {
        subscribed: false,
        ..target
    })
}

/// Whether a client's own address receives the newsletter.
pub async fn client_subscribed(state: &AppState, email: &str) -> Result<bool, NewsletterError> {
    Ok(db::newsletter::find_by_email(state.db.pool(), email)
        .await?
        .is_some_and(|s| s.status == "confirmed"))
}

/// The client space's toggle. Signed in to an address they proved by accepting their
/// invitation, the client's switch is the confirming click itself.
pub async fn set_client_subscription(
    state: &AppState,
    user: &db::users::User,
    on: bool,
    from: &str,
) -> Result<(), NewsletterError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if on {
        let id = uuid::Uuid::now_v7().to_string();
        let proof = format!("client space ({from})");
        db::newsletter::upsert_confirmed(&mut tx, &id, &user.email, user.locale.as_str(), user.id, &proof, now).await?;
    } else if let Some(known) = db::newsletter::find_by_email(&mut *tx, &user.email).await? {
        db::newsletter::unsubscribe(&mut *tx, &known.id, "client", now).await?;
    }
    tx.commit().await.map_err(DbError::from)?;
    tracing::info!(client = %user.id, on, "newsletter toggled in the client space");
    Ok(())
}

/// The studio's import: every address not already known is asked to confirm (paced like
/// a newsletter). Returns how many were asked.
pub async fn import(state: &AppState, addresses: &[String], locale: Locale) -> Result<usize, NewsletterError> {
    let mut asked = 0;
    for raw in addresses {
        let Ok(email) = Email::parse(raw) else { continue };
        let before = db::newsletter::find_by_email(state.db.pool(), email.as_str()).await?;
        if before.is_some() {
            continue;
        }
        subscribe(state, email.as_str(), locale, Source::Import).await?;
        asked += 1;
    }
    Ok(asked)
}
