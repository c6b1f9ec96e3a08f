//! The moments a transfer changes hands: a client finishes sending (the studio is told
//! once, with what is new), the studio publishes a delivery (the client is told once),
//! and a published delivery nears its expiry (the client is reminded once).

use std::time::Duration;

use super::{TransferError, can_upload, readable};
use crate::activity::{self, Event, Kind};
use crate::db::transfers::Transfer;
use crate::db::users::User;
use crate::db::{self, DbError};
use crate::domain::{Direction, Role, Timestamp, TransferId};
use crate::mail::{self, notices};
use crate::state::AppState;

/// How long before its expiry a delivery's client is reminded.
pub const REMINDER_LEAD: Duration = Duration::from_secs(3 * 24 * 3600);

fn invalid(field: &'static str, message: &str) -> TransferError {
    TransferError::Invalid {
        field,
        message: message.to_owned(),
    }
}

fn link(state: &AppState, path: &str) -> Result<String, TransferError> {
    state
        .cfg
        .public_url
        .join(path)
        .map(String::from)
        .map_err(|e| invalid("public_url", &e.to_string()))
}

fn render_failed(e: askama::Error) -> TransferError {
    TransferError::Db(DbError::Corrupt(format!("email template: {e}")))
}

/// The uploader is done with this inbound transfer. Every studio account gets one email
/// listing the files stored since the studio was last told; nothing new, no email.
/// Returns how many files the email listed.
pub async fn complete(state: &AppState, user: &User, id: TransferId) -> Result<usize, TransferError> {
    let transfer = readable(state, user, id).await?;
    if transfer.direction != Direction::Inbound || !can_upload(user, &transfer) {
        return Err(invalid(
            "transfer",
            "only an inbound transfer you send to can be completed",
        ));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let Some(previous) = db::transfers::mark_notified(&mut tx, id, now).await? else {
        return Ok(0);
    };
    let since = previous.unwrap_or(Timestamp::MIN);
    let files: Vec<_> = db::files::list_for_transfer(&mut *tx, id)
        .await?
        .into_iter()
        // A guest's files have their own email, per batch of their link.
        .filter(|f| f.has_bytes() && f.link.is_none() && f.stored_at.is_some_and(|at| at > since))
        .collect();
    if files.is_empty() {
        return Ok(0);
    }
    let client = db::users::find(&mut *tx, transfer.client.ok_or(TransferError::NotFound)?)
        .await?
        .ok_or(TransferError::NotFound)?;
    let listed: Vec<_> = files
        .iter()
        .map(|f| notices::Listed {
            name: &f.name,
            size: f.size.unwrap_or(0),
        })
        .collect();
    let studio_name = state.studio.name().await?;
    let url = link(state, &format!("studio/transfers/{id}"))?;
    for member in db::users::active_with_role(&mut *tx, Role::Studio).await? {
        let to = notices::Recipient::of(&member);
        let email = notices::transfer_received(&to, &studio_name, &client.name, &transfer.title, &listed, &url)
            .map_err(render_failed)?;
        mail::queue(&mut tx, &state.mailer, &email, Some(member.id), now).await?;
    }
    let event = Event::about(Kind::TransferCompleted, Some(user.id), &transfer);
    activity::record(&mut *tx, &event, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    state.jobs_queued();
    Ok(files.len())
}

async fn delivery(state: &AppState, id: TransferId) -> Result<Transfer, TransferError> {
    let transfer = db::transfers::find(state.db.pool(), id)
        .await?
        .ok_or(TransferError::NotFound)?;
    if transfer.direction != Direction::Delivery {
        return Err(invalid("transfer", "only a delivery can be published"));
    }
    Ok(transfer)
}

/// Gives the client access to a delivery (the studio only). The first publication emails
/// the client; publishing again (after an unpublish, or to change the expiry) does not.
pub async fn publish(
    state: &AppState,
    studio: &User,
    id: TransferId,
    expires_at: Option<Timestamp>,
    announce: Option<bool>,
) -> Result<Transfer, TransferError> {
    let transfer = delivery(state, id).await?;
    let announce = announce.unwrap_or(transfer.published_at.is_none());
    let now = state.clock.now();
    if expires_at.is_some_and(|e| e <= now) {
        return Err(invalid("expires_at", "must be in the future"));
    }
    let files = db::files::list_for_transfer(state.db.pool(), id).await?;
    let ready = files.iter().filter(|f| f.has_bytes()).count();
    if ready == 0 {
        return Err(invalid(
            "transfer",
            "a delivery needs at least one stored file before it is published",
        ));
    }
    let client = db::users::find(state.db.pool(), transfer.client.ok_or(TransferError::NotFound)?)
        .await?
        .ok_or(TransferError::NotFound)?;
    let url = link(state, &format!("deliveries/{id}"))?;
    let studio_name = state.studio.name().await?;
    let mut tx = state.db.begin().await?;
    let first = db::transfers::publish(&mut tx, id, expires_at, announce, now).await?;
    if first {
        let to = notices::Recipient::of(&client);
        let email = notices::delivery_published(&to, &studio_name, &transfer.title, ready, expires_at, &url)
            .map_err(render_failed)?;
        mail::queue(&mut tx, &state.mailer, &email, Some(client.id), now).await?;
    }
    let event = Event::about(Kind::DeliveryPublished, Some(studio.id), &transfer);
    activity::record(&mut *tx, &event, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    state.jobs_queued();
    db::transfers::find(state.db.pool(), id)
        .await?
        .ok_or(TransferError::NotFound)
}

/// Tells the client of a delivery published silently: the publication email, once.
pub async fn announce(state: &AppState, id: TransferId) -> Result<(), TransferError> {
    let transfer = delivery(state, id).await?;
    let now = state.clock.now();
    if !transfer.is_visible_to_client(now) {
        return Err(invalid("transfer", "publish the delivery first"));
    }
    let files = db::files::list_for_transfer(state.db.pool(), id).await?;
    let ready = files.iter().filter(|f| f.has_bytes()).count();
    let client = db::users::find(state.db.pool(), transfer.client.ok_or(TransferError::NotFound)?)
        .await?
        .ok_or(TransferError::NotFound)?;
    let url = link(state, &format!("deliveries/{id}"))?;
    let studio_name = state.studio.name().await?;
    let mut tx = state.db.begin().await?;
    if !db::transfers::claim_announcement(&mut tx, id, now).await? {
        return Err(TransferError::AlreadyAnnounced);
    }
    let to = notices::Recipient::of(&client);
    let email = notices::delivery_published(&to, &studio_name, &transfer.title, ready, transfer.expires_at, &url)
        .map_err(render_failed)?;
    mail::queue(&mut tx, &state.mailer, &email, Some(client.id), now).await?;
    tx.commit().await.map_err(DbError::from)?;
    state.jobs_queued();
    Ok(())
}

/// Takes a delivery back from the client's view; its files stay.
pub async fn unpublish(state: &AppState, studio: &User, id: TransferId) -> Result<Transfer, TransferError> {
    let transfer = delivery(state, id).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    db::transfers::unpublish(&mut *tx, id, now).await?;
    let event = Event::about(Kind::DeliveryUnpublished, Some(studio.id), &transfer);
    activity::record(&mut *tx, &event, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    db::transfers::find(state.db.pool(), id)
        .await?
        .ok_or(TransferError::NotFound)
}

/// Reminds clients of deliveries that expire within [`REMINDER_LEAD`], once each. A
/// delivery published already inside that window is not reminded: its publication email
/// gave the date. Returns how many reminders were queued.
pub async fn send_expiry_reminders(state: &AppState) -> Result<usize, TransferError> {
    let now = state.clock.now();
    let mut sent = 0;
    let studio = state.studio.name().await?;
    for transfer in db::transfers::due_reminders(state.db.pool(), now, now + REMINDER_LEAD).await? {
        let (Some(published), Some(expires)) = (transfer.published_at, transfer.expires_at) else {
            continue;
        };
        let Some(client_id) = transfer.client else {
            continue;
        };
        let Some(client) = db::users::find(state.db.pool(), client_id).await? else {
            continue;
        };
        let mut tx = state.db.begin().await?;
        if !db::transfers::claim_reminder(&mut tx, transfer.id, now).await? {
            continue;
        }
        if published < expires - REMINDER_LEAD && !client.disabled {
            let to = notices::Recipient::of(&client);
            let url = link(state, &format!("deliveries/{}", transfer.id))?;
            let email =
                notices::delivery_expiring(&to, &studio, &transfer.title, expires, &url).map_err(render_failed)?;
            mail::queue(&mut tx, &state.mailer, &email, Some(client.id), now).await?;
            sent += 1;
        }
        tx.commit().await.map_err(DbError::from)?;
    }
    if sent > 0 {
        state.jobs_queued();
    }
    Ok(sent)
}
