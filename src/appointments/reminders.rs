//! Reminder emails before appointments, at each lead of `reminders.before`.
//!
//! A reminder is due once its time (the start minus the lead) has come, if the start was
//! set before that time (an appointment made the day before gets no "48 h before"), the
//! appointment is not cancelled and its client is still there. Writing the reminder's
//! row (appointment, lead, start) and its email in one transaction makes it go exactly
//! once whichever node finds it first; an appointment that moves has a new start, so its
//! reminders are due again for the new time. Leads are real durations: across a change of
//! the clocks, "24 h before" is 24 hours before, shown in the appointment's local time.

use std::time::Duration;

use super::{calendar, view};
use crate::db::appointments as store;
use crate::db::{self, DbError};
use crate::domain::{Timestamp, UserId};
use crate::mail::{self, notices};
use crate::state::AppState;

/// Sends every reminder that is due; returns how many.
pub async fn send_due(state: &AppState) -> Result<usize, DbError> {
    let mut sent = 0;
    let leads = &state.cfg.reminders.lead_minutes;
    for &lead in leads {
        let now = state.clock.now();
        for appointment in store::due_reminders(state.db.pool(), lead, now).await? {
            // A shorter lead already due makes this one stale (the appointment was back
            // from a cancellation, or no node ran for a while): one reminder, the nearest.
            let stale = leads.iter().any(|&shorter| {
                shorter < lead && appointment.starts_at - Duration::from_mins(shorter.unsigned_abs()) <= now
            });
            let outcome = if stale {
                skip(state, &appointment, lead, now).await
            } else {
                remind(state, &appointment, lead, now).await
            };
            match outcome {
                Ok(true) => sent += 1,
                Ok(false) => {}
                // Another node wrote this very reminder first.
                Err(e) if e.is_unique_violation() => {}
                Err(e) => return Err(e),
            }
        }
    }
    if sent > 0 {
        state.jobs_queued();
    }
    Ok(sent)
}

/// Records a stale lead as done without an email.
async fn skip(state: &AppState, a: &store::Appointment, lead: i64, now: Timestamp) -> Result<bool, DbError> {
    let mut tx = state.db.begin().await?;
    store::insert_reminder(&mut tx, &a.id, lead, a.starts_at, "", now).await?;
    tx.commit().await?;
    Ok(false)
}

async fn remind(state: &AppState, a: &store::Appointment, lead: i64, now: Timestamp) -> Result<bool, DbError> {
    let Some(client) = UserId::parse(&a.client_id) else {
        return Ok(false);
    };
    let Some(user) = db::users::find(state.db.pool(), client).await? else {
        return Ok(false);
    };
    let shown = view(a, user.locale);
    let studio = state.studio.name().await?;
    let link = state
        .cfg
        .public_url
        .join("appointments")
        .map_err(|e| DbError::Corrupt(e.to_string()))?;
    let mut message = notices::appointment_reminder(
        &notices::Recipient::of(&user),
        &studio,
        &notices::Reminder {
            kind: &a.kind,
            when: &shown.when,
            place: a.place.as_deref(),
            notes: a.notes.as_deref(),
        },
        link.as_str(),
    )
    .map_err(|e| DbError::Corrupt(format!("reminder template: {e}")))?;
    message.calendar = Some(calendar(state, std::slice::from_ref(a)).await?);
    let mut tx = state.db.begin().await?;
    let email_id = mail::queue(&mut tx, &state.mailer, &message, Some(user.id), now).await?;
    if !store::insert_reminder(&mut tx, &a.id, lead, a.starts_at, &email_id, now).await? {
        // Cancelled or moved since it was read: nothing goes.
        return Ok(false);
    }
    tx.commit().await?;
    tracing::info!(appointment = %a.id, lead_minutes = lead, "appointment reminder queued");
    Ok(true)
}
