//! Newsletter subscribers, issues and the one delivery per subscriber and issue.

use sqlx::{Any, Executor, FromRow};

use super::{DbError, Tx};
use crate::domain::{Timestamp, UserId};

const SUBSCRIBER_COLUMNS: &str = "id, email, locale, source, user_id, status, created_at, confirm_sent_at, \
     confirmed_at, confirmed_from, unsubscribed_at, unsubscribed_by, refused_at, refused_reason";

/// A subscriber as the studio sees it: the address, its state, and the proof of consent.
#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct Subscriber {
    pub id: String,
    pub email: String,
    pub locale: String,
    pub source: String,
    #[serde(skip)]
    pub user_id: Option<String>,
    pub status: String,
    pub created_at: Timestamp,
    pub confirm_sent_at: Option<Timestamp>,
    pub confirmed_at: Option<Timestamp>,
    pub confirmed_from: Option<String>,
    pub unsubscribed_at: Option<Timestamp>,
    pub unsubscribed_by: Option<String>,
    pub refused_at: Option<Timestamp>,
    pub refused_reason: Option<String>,
}

pub async fn find_by_email<'e>(
    ex: impl Executor<'e, Database = Any>,
    email: &str,
) -> Result<Option<Subscriber>, DbError> {
    let sql = format!("SELECT {SUBSCRIBER_COLUMNS} FROM newsletter_subscribers WHERE email = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(email)
        .fetch_optional(ex)
        .await?)
}

pub async fn list<'e>(ex: impl Executor<'e, Database = Any>) -> Result<Vec<Subscriber>, DbError> {
    let sql = format!("SELECT {SUBSCRIBER_COLUMNS} FROM newsletter_subscribers ORDER BY created_at, id");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(ex).await?)
}

/// Counts per status, for the studio's page.
pub async fn counts<'e>(ex: impl Executor<'e, Database = Any>) -> Result<Vec<(String, i64)>, DbError> {
    Ok(
        sqlx::query_as("SELECT status, COUNT(*) FROM newsletter_subscribers GROUP BY status ORDER BY status")
            .fetch_all(ex)
            .await?,
    )
}

/// A new request to subscribe: a pending subscriber, or the pending state again (with a
/// new confirmation link, which ends the earlier one) for an address that had left.
pub struct Pending<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub locale: &'a str,
    pub source: &'a str,
    pub user_id: Option<UserId>,
    pub token_hash: &'a str,
}

pub async fn upsert_pending(tx: &mut Tx, p: Pending<'_>, now: Timestamp) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO newsletter_subscribers (id, email, locale, source, user_id, status, created_at, \
         confirm_token_hash, confirm_sent_at) VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7, $6) \
         ON CONFLICT (email) DO UPDATE SET status = 'pending', locale = $3, source = $4, \
         user_id = COALESCE($5, newsletter_subscribers.user_id), confirm_token_hash = $7, confirm_sent_at = $6",
    )
    .bind(p.id)
    .bind(p.email)
    .bind(p.locale)
    .bind(p.source)
    .bind(p.user_id.map(|u| u.to_db()))
    .bind(now)
    .bind(p.token_hash)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A consent given in a signed-in session (the client space's toggle): confirmed at once,
/// the session standing for the confirming click.
pub async fn upsert_confirmed(
    tx: &mut Tx,
    id: &str,
    email: &str,
    locale: &str,
    user: UserId,
    from: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO newsletter_subscribers (id, email, locale, source, user_id, status, created_at, \
         confirmed_at, confirmed_from) VALUES ($1, $2, $3, 'client', $4, 'confirmed', $5, $5, $6) \
         ON CONFLICT (email) DO UPDATE SET status = 'confirmed', locale = $3, source = 'client', user_id = $4, \
         confirmed_at = $5, confirmed_from = $6, confirm_token_hash = NULL, unsubscribed_at = NULL, \
         unsubscribed_by = NULL, refused_at = NULL, refused_reason = NULL",
    )
    .bind(id)
    .bind(email)
    .bind(locale)
    .bind(user.to_db())
    .bind(now)
    .bind(from)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The address and language a pending confirmation link belongs to, without using it.
pub async fn pending_of_link<'e>(
    ex: impl Executor<'e, Database = Any>,
    token_hash: &str,
    sent_after: Timestamp,
) -> Result<Option<(String, String)>, DbError> {
    Ok(sqlx::query_as(
        "SELECT email, locale FROM newsletter_subscribers WHERE confirm_token_hash = $1 \
         AND status = 'pending' AND confirm_sent_at > $2",
    )
    .bind(token_hash)
    .bind(sent_after)
    .fetch_optional(ex)
    .await?)
}

/// Confirmation emails sent to `email` since `since`.
pub async fn confirmations_since<'e>(
    ex: impl Executor<'e, Database = Any>,
    email: &str,
    since: Timestamp,
) -> Result<i64, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM emails WHERE to_address = $1 AND created_at > $2 \
         AND kind IN ('newsletter_confirm', 'newsletter_import')",
    )
    .bind(email)
    .bind(since)
    .fetch_one(ex)
    .await?;
    Ok(n)
}

/// Confirms the pending subscriber whose link this is, if it was sent after `sent_after`.
/// Returns the subscriber's address and language.
pub async fn confirm(
    tx: &mut Tx,
    token_hash: &str,
    sent_after: Timestamp,
    from: &str,
    now: Timestamp,
) -> Result<Option<(String, String)>, DbError> {
    let found: Option<(String, String, String)> = sqlx::query_as(
        "SELECT id, email, locale FROM newsletter_subscribers WHERE confirm_token_hash = $1 \
         AND status = 'pending' AND confirm_sent_at > $2",
    )
    .bind(token_hash)
    .bind(sent_after)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((id, email, locale)) = found else {
        return Ok(None);
    };
    sqlx::query(
        "UPDATE newsletter_subscribers SET status = 'confirmed', confirmed_at = $1, confirmed_from = $2, \
         confirm_token_hash = NULL WHERE id = $3 AND status = 'pending'",
    )
    .bind(now)
    .bind(from)
    .bind(&id)
    .execute(&mut **tx)
    .await?;
    Ok(Some((email, locale)))
}

/// Unsubscribes the address; returns whether it was subscribed (or on its way to be).
pub async fn unsubscribe<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    by: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE newsletter_subscribers SET status = 'unsubscribed', unsubscribed_at = $1, unsubscribed_by = $2, \
         confirm_token_hash = NULL WHERE id = $3 AND status IN ('pending', 'confirmed')",
    )
    .bind(now)
    .bind(by)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The receiving server refused the address for good: nothing more is sent to it.
pub async fn mark_refused_by_email<'e>(
    ex: impl Executor<'e, Database = Any>,
    email_id: &str,
    reason: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE newsletter_subscribers SET status = 'refused', refused_at = $1, refused_reason = $2 \
         WHERE id = (SELECT subscriber_id FROM newsletter_deliveries WHERE email_id = $3) AND status = 'confirmed'",
    )
    .bind(now)
    .bind(reason)
    .bind(email_id)
    .execute(ex)
    .await?;
    Ok(())
}

/// The subscriber an unsubscribe link names, by the link's hash.
pub async fn subscriber_of_link<'e>(
    ex: impl Executor<'e, Database = Any>,
    unsubscribe_hash: &str,
) -> Result<Option<Subscriber>, DbError> {
    let sql = format!(
        "SELECT {SUBSCRIBER_COLUMNS} FROM newsletter_subscribers WHERE id = \
         (SELECT subscriber_id FROM newsletter_deliveries WHERE unsubscribe_hash = $1)"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(unsubscribe_hash)
        .fetch_optional(ex)
        .await?)
}

/// Whether the message `email_id` of an issue is still wanted: its subscriber has not
/// left (or been refused) since the issue was fanned out.
pub async fn delivery_wanted<'e>(ex: impl Executor<'e, Database = Any>, email_id: &str) -> Result<bool, DbError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM newsletter_deliveries d JOIN newsletter_subscribers s ON s.id = d.subscriber_id \
         WHERE d.email_id = $1 AND s.status = 'confirmed'",
    )
    .bind(email_id)
    .fetch_one(ex)
    .await?;
    Ok(n > 0)
}

const ISSUE_COLUMNS: &str =
    "id, subject, markdown, picture_item, status, created_at, updated_at, send_started_at, sent_at";

#[derive(Debug, Clone, FromRow, serde::Serialize)]
pub struct Issue {
    pub id: String,
    pub subject: String,
    pub markdown: String,
    pub picture_item: Option<String>,
    pub status: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub send_started_at: Option<Timestamp>,
    pub sent_at: Option<Timestamp>,
}

pub async fn insert_issue<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    subject: &str,
    markdown: &str,
    picture_item: Option<&str>,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO newsletter_issues (id, subject, markdown, picture_item, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, 'draft', $5, $5)",
    )
    .bind(id)
    .bind(subject)
    .bind(markdown)
    .bind(picture_item)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(())
}

/// Rewrites a draft; false when the issue is not a draft (any more).
pub async fn update_draft<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    subject: &str,
    markdown: &str,
    picture_item: Option<&str>,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE newsletter_issues SET subject = $1, markdown = $2, picture_item = $3, updated_at = $4 \
         WHERE id = $5 AND status = 'draft'",
    )
    .bind(subject)
    .bind(markdown)
    .bind(picture_item)
    .bind(now)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find_issue<'e>(ex: impl Executor<'e, Database = Any>, id: &str) -> Result<Option<Issue>, DbError> {
    let sql = format!("SELECT {ISSUE_COLUMNS} FROM newsletter_issues WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(ex)
        .await?)
}

pub async fn list_issues<'e>(ex: impl Executor<'e, Database = Any>) -> Result<Vec<Issue>, DbError> {
    let sql = format!("SELECT {ISSUE_COLUMNS} FROM newsletter_issues ORDER BY created_at DESC, id");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(ex).await?)
}

/// Moves a draft to "sending"; false when it was not a draft (sent twice, or by two
/// people at once: only one wins).
pub async fn start_sending<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE newsletter_issues SET status = 'sending', send_started_at = $1, updated_at = $1 \
         WHERE id = $2 AND status = 'draft'",
    )
    .bind(now)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn mark_fanned_out<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE newsletter_issues SET status = 'sent', sent_at = $1, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

/// Confirmed subscribers who have no delivery of this issue yet, a batch at a time.
pub async fn awaiting<'e>(
    ex: impl Executor<'e, Database = Any>,
    issue: &str,
    limit: i64,
) -> Result<Vec<(String, String, String)>, DbError> {
    Ok(sqlx::query_as(
        "SELECT s.id, s.email, s.locale FROM newsletter_subscribers s WHERE s.status = 'confirmed' \
         AND NOT EXISTS (SELECT 1 FROM newsletter_deliveries d WHERE d.issue_id = $1 AND d.subscriber_id = s.id) \
         ORDER BY s.id LIMIT $2",
    )
    .bind(issue)
    .bind(limit)
    .fetch_all(ex)
    .await?)
}

pub async fn insert_delivery(
    tx: &mut Tx,
    issue: &str,
    subscriber: &str,
    email_id: &str,
    unsubscribe_hash: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO newsletter_deliveries (issue_id, subscriber_id, email_id, unsubscribe_hash, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(issue)
    .bind(subscriber)
    .bind(email_id)
    .bind(unsubscribe_hash)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// What became of an issue's messages.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct IssueStats {
    pub recipients: i64,
    pub sent: i64,
    pub failed: i64,
    /// Recipients who unsubscribed after the issue started going out.
    pub unsubscribed: i64,
}

pub async fn stats<'e>(ex: impl Executor<'e, Database = Any>, issue: &str) -> Result<IssueStats, DbError> {
    // Failed: refused by the receiving server, or an error on the last try (a message
    // still being retried counts until it goes through).
    let (recipients, sent, failed, unsubscribed): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), \
         COALESCE(SUM(CASE WHEN e.sent_at IS NOT NULL THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN e.sent_at IS NULL AND e.last_error IS NOT NULL \
                  AND e.last_error NOT LIKE 'skipped%' THEN 1 ELSE 0 END), 0), \
         COALESCE(SUM(CASE WHEN s.unsubscribed_at >= i.send_started_at THEN 1 ELSE 0 END), 0) \
         FROM newsletter_deliveries d \
         JOIN newsletter_issues i ON i.id = d.issue_id \
         JOIN newsletter_subscribers s ON s.id = d.subscriber_id \
         JOIN emails e ON e.id = d.email_id \
         WHERE d.issue_id = $1",
    )
    .bind(issue)
    .fetch_one(ex)
    .await?;
    Ok(IssueStats {
        recipients,
        sent,
        failed,
        unsubscribed,
    })
}

/// After an account's address changed: its subscription moves to the new address, unless
/// that address has one of its own (which then stands, and the old one goes).
pub async fn follow_account(conn: &mut sqlx::AnyConnection, user: UserId) -> Result<(), DbError> {
    let taken: (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM newsletter_subscribers WHERE email = (SELECT email FROM users WHERE id = $1) \
         AND (user_id IS NULL OR user_id <> $1)",
    )
    .bind(user.to_db())
    .fetch_one(&mut *conn)
    .await?;
    let sql = if taken.0 > 0 {
        "DELETE FROM newsletter_subscribers WHERE user_id = $1"
    } else {
        "UPDATE newsletter_subscribers SET email = (SELECT email FROM users WHERE id = $1) WHERE user_id = $1"
    };
    sqlx::query(sql).bind(user.to_db()).execute(&mut *conn).await?;
    Ok(())
}

/// Erases a subscriber (and their deliveries): the studio's erasure, or a client's.
pub async fn erase<'e>(ex: impl Executor<'e, Database = Any>, id: &str) -> Result<bool, DbError> {
    let done = sqlx::query("DELETE FROM newsletter_subscribers WHERE id = $1")
        .bind(id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Erases whatever subscription an account has, by its link or its address.
pub async fn erase_account(tx: &mut Tx, user: &str) -> Result<(), DbError> {
    sqlx::query(
        "DELETE FROM newsletter_subscribers WHERE user_id = $1 OR email = (SELECT email FROM users WHERE id = $1)",
    )
    .bind(user)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
