//! The studio's daily digest (`digest.at`): what clients did in the 24 hours before —
//! deliveries opened, files downloaded, files sent — in one email to each studio account,
//! once a day whichever node gets there first, and none on a quiet day.

use sqlx::FromRow;

use crate::activity::{self, Event, Kind};
use crate::db::transfers::Transfer;
use crate::db::users::User;
use crate::db::{self, DbError};
use crate::domain::{DAY, Direction, Role, Timestamp};
use crate::mail::{self, notices};
use crate::state::AppState;
use crate::texts::mail::{self as mail_texts, DigestLine};

/// Notes that a client opened a delivery's page, once a day per delivery (the digest's
/// "opened"; the activity log shows it too).
pub async fn opened(state: &AppState, client: &User, transfer: &Transfer) -> Result<(), DbError> {
    if client.role != Role::Client || transfer.direction != Direction::Delivery {
        return Ok(());
    }
    let now = state.clock.now();
    let (seen,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM activity WHERE kind = 'delivery_opened' AND actor_id = $1 AND transfer_id = $2 \
         AND at > $3",
    )
    .bind(client.id.to_db())
    .bind(transfer.id.to_db())
    .bind(now - DAY)
    .fetch_one(state.db.pool())
    .await?;
    if seen == 0 {
        let event = Event::about(Kind::DeliveryOpened, Some(client.id), transfer);
        activity::record(state.db.pool(), &event, now).await?;
    }
    Ok(())
}

#[derive(FromRow)]
struct Line {
    client: String,
    kind: String,
    title: String,
    n: i64,
}

impl Line {
    /// This line as the catalogue words it.
    fn as_words(&self) -> DigestLine<'_> {
        let (client, title, count) = (self.client.as_str(), self.title.as_str(), self.n);
        match self.kind.as_str() {
            "delivery_opened" => DigestLine::Opened { client, title },
            "download" => DigestLine::Downloads { client, title, count },
            _ => DigestLine::Sent { client, title, count },
        }
    }
}

/// Sends today's digest if its time has come and no node sent it yet. Returns whether an
/// email went out.
pub async fn send_if_due(state: &AppState) -> Result<bool, DbError> {
    let Some((hour, minute)) = state.cfg.digest_at else {
        return Ok(false);
    };
    let now = state.clock.now();
    let Some(today) = now.to_jiff().map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date()) else {
        return Ok(false);
    };
    let due = today
        .at(i8::try_from(hour).unwrap_or(0), i8::try_from(minute).unwrap_or(0), 0, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map_or(Timestamp::MAX, |z| z.timestamp().into());
    if now < due {
        return Ok(false);
    }
    let day = today.to_string();
    let done: Option<(String,)> = sqlx::query_as("SELECT day FROM digests WHERE day = $1")
        .bind(&day)
        .fetch_optional(state.db.pool())
        .await?;
    if done.is_some() {
        return Ok(false);
    }
    let lines: Vec<Line> = sqlx::query_as(
        "SELECT u.name AS client, a.kind AS kind, COALESCE(t.title, '') AS title, COUNT(*) AS n \
         FROM activity a JOIN users u ON u.id = a.actor_id AND u.role = 'client' \
         LEFT JOIN transfers t ON t.id = a.transfer_id \
         WHERE a.at >= $1 AND a.at < $2 AND a.kind IN ('delivery_opened', 'download', 'upload') \
         GROUP BY u.id, u.name, a.kind, t.title ORDER BY u.name, u.id, a.kind, t.title",
    )
    .bind(due - DAY)
    .bind(due)
    .fetch_all(state.db.pool())
    .await?;
    let studio = state.studio.name().await?;
    let link = state
        .cfg
        .public_url
        .join("studio/activity")
        .map_err(|e| DbError::Corrupt(e.to_string()))?;
    let mut tx = state.db.begin().await?;
    let claimed = sqlx::query("INSERT INTO digests (day, sent_at, events) VALUES ($1, $2, $3)")
        .bind(&day)
        .bind(now)
        .bind(lines.iter().map(|l| l.n).sum::<i64>())
        .execute(&mut *tx)
        .await
        .map_err(DbError::from);
    match claimed {
        // Another node made today's digest first.
        Err(e) if e.is_unique_violation() => return Ok(false),
        Err(e) => return Err(e),
        Ok(_) => {}
    }
    if lines.is_empty() {
        tx.commit().await?;
        return Ok(false);
    }
    for account in db::users::active_with_role(&mut *tx, Role::Studio).await? {
        let t = mail_texts::for_locale(account.locale);
        let items = lines.iter().map(|l| t.digest_line(l.as_words())).collect();
        let email = notices::daily_digest(&notices::Recipient::of(&account), &studio, items, link.as_str())
            .map_err(|e| DbError::Corrupt(format!("digest template: {e}")))?;
        mail::queue(&mut tx, &state.mailer, &email, Some(account.id), now).await?;
    }
    tx.commit().await?;
    state.jobs_queued();
    tracing::info!(%day, "daily digest queued");
    Ok(true)
}
