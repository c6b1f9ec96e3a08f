//! The mail outbox.

use std::time::Duration;

use sqlx::{Any, Executor, FromRow};

use super::DbError;
use crate::domain::{Timestamp, UserId};

#[derive(Debug, Clone, FromRow)]
pub struct OutgoingEmail {
    pub id: String,
    pub kind: String,
    pub to_address: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub message_id: String,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
    pub list_unsubscribe: Option<String>,
    pub calendar: Option<String>,
    /// The time slot a paced message was given (see `mail::PACED_KINDS`).
    pub slot_at: Option<Timestamp>,
}

pub struct NewEmail<'a> {
    pub id: &'a str,
    pub kind: &'a str,
    pub user_id: Option<UserId>,
    pub to_address: &'a str,
    pub to_name: Option<&'a str>,
    pub subject: &'a str,
    pub text_body: &'a str,
    pub html_body: &'a str,
    pub message_id: &'a str,
    pub list_unsubscribe: Option<&'a str>,
    pub calendar: Option<&'a str>,
}

pub async fn insert<'e>(
    ex: impl Executor<'e, Database = Any>,
    email: NewEmail<'_>,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO emails (id, kind, user_id, to_address, to_name, subject, text_body, html_body, message_id, \
         created_at, list_unsubscribe, calendar) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(email.id)
    .bind(email.kind)
    .bind(email.user_id.map(|u| u.to_db()))
    .bind(email.to_address)
    .bind(email.to_name)
    .bind(email.subject)
    .bind(email.text_body)
    .bind(email.html_body)
    .bind(email.message_id)
    .bind(now)
    .bind(email.list_unsubscribe)
    .bind(email.calendar)
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn find<'e>(ex: impl Executor<'e, Database = Any>, id: &str) -> Result<Option<OutgoingEmail>, DbError> {
    Ok(sqlx::query_as(
        "SELECT id, kind, to_address, to_name, subject, text_body, html_body, message_id, created_at, sent_at, \
         list_unsubscribe, calendar, slot_at FROM emails WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(ex)
    .await?)
}

/// Records the sending and keeps only a copy of the bodies whose secret links are
/// blanked out (see `mail::scrub_links`): the outbox is no store of usable links.
pub async fn mark_sent<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    text_body: &str,
    html_body: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE emails SET sent_at = $1, last_error = NULL, text_body = $2, html_body = $3, list_unsubscribe = NULL \
         WHERE id = $4",
    )
    .bind(now)
    .bind(text_body)
    .bind(html_body)
    .bind(id)
    .execute(ex)
    .await?;
    Ok(())
}

/// Sent bodies older than `before` are emptied; who was sent what, and when, stays.
pub async fn purge_sent_bodies<'e>(ex: impl Executor<'e, Database = Any>, before: Timestamp) -> Result<u64, DbError> {
    let done = sqlx::query(
        "UPDATE emails SET text_body = '', html_body = '', calendar = NULL WHERE sent_at IS NOT NULL AND sent_at < $1 \
         AND (text_body <> '' OR html_body <> '' OR calendar IS NOT NULL)",
    )
    .bind(before)
    .execute(ex)
    .await?;
    Ok(done.rows_affected())
}

pub async fn record_error<'e>(ex: impl Executor<'e, Database = Any>, id: &str, error: &str) -> Result<(), DbError> {
    sqlx::query("UPDATE emails SET last_error = $1 WHERE id = $2")
        .bind(error)
        .bind(id)
        .execute(ex)
        .await?;
    Ok(())
}

/// Gives a paced message the next free slot of `channel`, `interval_ms` milliseconds after
/// the one before (or now, when the channel has been quiet), and returns it. One
/// statement, so nodes sharing the database never hand out the same slot.
pub async fn take_slot(
    tx: &mut super::Tx,
    id: &str,
    channel: &str,
    interval_ms: i64,
    now: Timestamp,
) -> Result<Timestamp, DbError> {
    sqlx::query(
        "INSERT INTO mail_pace (channel, next_at) VALUES ($1, $2 + $3) \
         ON CONFLICT (channel) DO UPDATE SET next_at = CASE WHEN mail_pace.next_at > $2 \
         THEN mail_pace.next_at + $3 ELSE $2 + $3 END",
    )
    .bind(channel)
    .bind(now)
    .bind(interval_ms)
    .execute(&mut **tx)
    .await?;
    let (next,): (Timestamp,) = sqlx::query_as("SELECT next_at FROM mail_pace WHERE channel = $1")
        .bind(channel)
        .fetch_one(&mut **tx)
        .await?;
    // The statement above moved the channel one interval past this message's slot.
    let slot = (next - Duration::from_millis(interval_ms.unsigned_abs())).max(now);
    sqlx::query("UPDATE emails SET slot_at = $1 WHERE id = $2")
        .bind(slot)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(slot)
}

/// What a message recorded as sent carries until the server confirms it. A process killed
/// between the record and the dot leaves it: that message went nowhere and is never tried
/// again (no second copy), and this note says which one it was.
pub const UNCONFIRMED: &str = "unconfirmed: the sending stopped before the mail server took the message";

/// Marks a message as sent before its last byte leaves (see `mail::dialog`); false when
/// someone else already did. `mark_sent` clears the `UNCONFIRMED` note once the server
/// has answered.
pub async fn record_sending<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    let done = sqlx::query("UPDATE emails SET sent_at = $1, last_error = $2 WHERE id = $3 AND sent_at IS NULL")
        .bind(now)
        .bind(UNCONFIRMED)
        .bind(id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The server refused the message after all: it was not sent. Only our own record
/// (`recorded_at`) is undone.
pub async fn undo_sending<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: &str,
    recorded_at: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE emails SET sent_at = NULL, last_error = NULL WHERE id = $1 AND sent_at = $2")
        .bind(id)
        .bind(recorded_at)
        .execute(ex)
        .await?;
    Ok(())
}
