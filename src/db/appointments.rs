//! Appointments, the reminders sent for them and the clients' calendar feeds.

use sqlx::{Any, Executor, FromRow};

use super::{DbError, Tx};
use crate::domain::{Timestamp, UserId};

const COLUMNS: &str = "id, client_id, ext_id, kind, starts_at, ends_at, time_zone, place, notes, cancelled_at, \
     scheduled_at, sequence, version, digest, created_at, updated_at";

#[derive(Debug, Clone, FromRow)]
pub struct Appointment {
    pub id: String,
    pub client_id: String,
    pub ext_id: Option<String>,
    pub kind: String,
    pub starts_at: Timestamp,
    pub ends_at: Option<Timestamp>,
    pub time_zone: String,
    pub place: Option<String>,
    pub notes: Option<String>,
    pub cancelled_at: Option<Timestamp>,
    pub scheduled_at: Timestamp,
    pub sequence: i64,
    pub version: Option<i64>,
    pub digest: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What an appointment says, as written by the studio or the quote site.
pub struct Fields<'a> {
    pub client: UserId,
    pub kind: &'a str,
    pub starts_at: Timestamp,
    pub ends_at: Option<Timestamp>,
    pub time_zone: &'a str,
    pub place: Option<&'a str>,
    pub notes: Option<&'a str>,
    pub cancelled: bool,
}

pub async fn insert(
    tx: &mut Tx,
    id: &str,
    ext: Option<(&str, i64, &str)>,
    f: &Fields<'_>,
    now: Timestamp,
) -> Result<(), DbError> {
    let (ext_id, version, digest) = match ext {
        Some((e, v, d)) => (Some(e), Some(v), Some(d)),
        None => (None, None, None),
    };
    sqlx::query(
        "INSERT INTO appointments (id, client_id, ext_id, kind, starts_at, ends_at, time_zone, place, notes, \
         cancelled_at, scheduled_at, sequence, version, digest, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $13, $11, $11)",
    )
    .bind(id)
    .bind(f.client.to_db())
    .bind(ext_id)
    .bind(f.kind)
    .bind(f.starts_at)
    .bind(f.ends_at)
    .bind(f.time_zone)
    .bind(f.place)
    .bind(f.notes)
    .bind(f.cancelled.then_some(now))
    .bind(now)
    .bind(version)
    .bind(digest)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Rewrites an appointment. A new start, a new client or a cancellation lifted is
/// "scheduled" now (leads already past then are not reminded), and every change raises
/// the calendar's SEQUENCE. With `ext`, only a newer version writes (the check is in the
/// statement, so two versions sent at once cannot leave the older one); returns whether
/// it wrote.
pub async fn update(
    tx: &mut Tx,
    current: &Appointment,
    ext: Option<(i64, &str)>,
    f: &Fields<'_>,
    now: Timestamp,
) -> Result<bool, DbError> {
    let rescheduled = f.starts_at != current.starts_at
        || f.client.to_db() != current.client_id
        || (current.cancelled_at.is_some() && !f.cancelled);
    let scheduled_at = if rescheduled { now } else { current.scheduled_at };
    let cancelled_at = match (f.cancelled, current.cancelled_at) {
        (true, Some(at)) => Some(at),
        (true, None) => Some(now),
        (false, _) => None,
    };
    let (version, digest) = match ext {
        Some((v, d)) => (Some(v), Some(d.to_owned())),
        None => (current.version, current.digest.clone()),
    };
    let done = sqlx::query(
        "UPDATE appointments SET kind = $1, starts_at = $2, ends_at = $3, time_zone = $4, place = $5, notes = $6, \
         cancelled_at = $7, scheduled_at = $8, sequence = sequence + 1, version = $9, digest = $10, updated_at = $11, \
         client_id = $13 WHERE id = $12 AND ($14 = 0 OR version IS NULL OR version < $9)",
    )
    .bind(f.kind)
    .bind(f.starts_at)
    .bind(f.ends_at)
    .bind(f.time_zone)
    .bind(f.place)
    .bind(f.notes)
    .bind(cancelled_at)
    .bind(scheduled_at)
    .bind(version)
    .bind(digest)
    .bind(now)
    .bind(&current.id)
    .bind(f.client.to_db())
    .bind(i64::from(ext.is_some()))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn find<'e>(ex: impl Executor<'e, Database = Any>, id: &str) -> Result<Option<Appointment>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM appointments WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(ex)
        .await?)
}

pub async fn find_ext<'e>(ex: impl Executor<'e, Database = Any>, ext: &str) -> Result<Option<Appointment>, DbError> {
    let sql = format!("SELECT {COLUMNS} FROM appointments WHERE ext_id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(ext)
        .fetch_optional(ex)
        .await?)
}

/// A client's appointments that end after `since`, soonest first.
pub async fn of_client<'e>(
    ex: impl Executor<'e, Database = Any>,
    client: UserId,
    since: Timestamp,
) -> Result<Vec<Appointment>, DbError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM appointments WHERE client_id = $1 AND COALESCE(ends_at, starts_at) >= $2 \
         ORDER BY starts_at, id"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(client.to_db())
        .bind(since)
        .fetch_all(ex)
        .await?)
}

/// Appointments whose reminder `lead` before the start has come, that were scheduled
/// before that moment, are not cancelled, whose client is not in the trash, and that got
/// no reminder for this lead and this start yet.
pub async fn due_reminders<'e>(
    ex: impl Executor<'e, Database = Any>,
    lead_minutes: i64,
    now: Timestamp,
) -> Result<Vec<Appointment>, DbError> {
    let sql = format!(
        "SELECT {} FROM appointments a JOIN users u ON u.id = a.client_id \
         WHERE a.cancelled_at IS NULL AND u.deleted_at IS NULL AND u.disabled_at IS NULL \
         AND a.starts_at > $1 AND a.starts_at - $2 <= $1 AND a.scheduled_at <= a.starts_at - $2 \
         AND NOT EXISTS (SELECT 1 FROM appointment_reminders r WHERE r.appointment_id = a.id \
                         AND r.lead_minutes = $3 AND r.starts_at = a.starts_at) \
         ORDER BY a.starts_at LIMIT 500",
        COLUMNS
            .split(", ")
            .map(|c| format!("a.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(lead_minutes * 60_000)
        .bind(lead_minutes)
        .fetch_all(ex)
        .await?)
}

pub async fn insert_reminder(
    tx: &mut Tx,
    appointment: &str,
    lead_minutes: i64,
    starts_at: Timestamp,
    email_id: &str,
    now: Timestamp,
) -> Result<bool, DbError> {
    // Written only if the appointment is still as it was read (not cancelled or moved a
    // moment ago); the caller rolls back otherwise.
    let done = sqlx::query(
        "INSERT INTO appointment_reminders (appointment_id, lead_minutes, starts_at, email_id, created_at) \
         SELECT id, $2, starts_at, $4, $5 FROM appointments WHERE id = $1 AND starts_at = $3 AND cancelled_at IS NULL",
    )
    .bind(appointment)
    .bind(lead_minutes)
    .bind(starts_at)
    .bind(email_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the client's feed token (the old address stops working).
pub async fn set_feed<'e>(
    ex: impl Executor<'e, Database = Any>,
    user: UserId,
    token_hash: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO calendar_feeds (user_id, token_hash, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (user_id) DO UPDATE SET token_hash = $2, created_at = $3",
    )
    .bind(user.to_db())
    .bind(token_hash)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(())
}

pub async fn revoke_feed<'e>(ex: impl Executor<'e, Database = Any>, user: UserId) -> Result<(), DbError> {
    sqlx::query("DELETE FROM calendar_feeds WHERE user_id = $1")
        .bind(user.to_db())
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn feed_created<'e>(
    ex: impl Executor<'e, Database = Any>,
    user: UserId,
) -> Result<Option<Timestamp>, DbError> {
    let row: Option<(Timestamp,)> = sqlx::query_as("SELECT created_at FROM calendar_feeds WHERE user_id = $1")
        .bind(user.to_db())
        .fetch_optional(ex)
        .await?;
    Ok(row.map(|(at,)| at))
}

/// The client whose feed this is, if the account is still usable.
pub async fn user_of_feed<'e>(
    ex: impl Executor<'e, Database = Any>,
    token_hash: &str,
) -> Result<Option<String>, DbError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT f.user_id FROM calendar_feeds f JOIN users u ON u.id = f.user_id \
         WHERE f.token_hash = $1 AND u.deleted_at IS NULL AND u.disabled_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(ex)
    .await?;
    Ok(row.map(|(id,)| id))
}

/// Everything of a client's appointments, for their erasure.
pub async fn erase_client(tx: &mut Tx, user: &str) -> Result<(), DbError> {
    for sql in [
        "DELETE FROM appointment_reminders WHERE appointment_id IN (SELECT id FROM appointments WHERE client_id = $1)",
        "DELETE FROM appointments WHERE client_id = $1",
        "DELETE FROM calendar_feeds WHERE user_id = $1",
    ] {
        sqlx::query(sql).bind(user).execute(&mut **tx).await?;
    }
    Ok(())
}
