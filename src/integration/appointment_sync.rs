//! The quote site's appointments: written as its other records are (see `sync`), on the
//! appointment's own table, with the checks an appointment needs (a client still there).

use super::sync::{Applied, Parent, SyncError, outcome};
use crate::db::ledger::{self, Stored};
use crate::db::{self, Tx};
use crate::domain::Timestamp;
use crate::domain::quote_site::{AppointmentRecord, ExtId};

/// An appointment: its client must be known; a newer version replaces it (its start
/// "scheduled" anew when it moves, so reminders follow), an older one is acknowledged.
pub async fn appointment(
    tx: &mut Tx,
    ext: &ExtId,
    r: &AppointmentRecord,
    now: Timestamp,
) -> Result<Applied, SyncError> {
    let Some(client) = ledger::client_account(&mut **tx, r.client.as_str()).await? else {
        return Err(SyncError::UnknownParent {
            parent: Parent::Client,
            id: r.client.as_str().to_owned(),
        });
    };
    // A client in the trash, or erased, takes no appointment.
    if db::users::find(&mut **tx, client).await?.is_none() {
        return Err(SyncError::ClientDeleted);
    }
    let digest = r.draft.digest(r.client.as_str());
    let existing = crate::db::appointments::find_ext(&mut **tx, ext.as_str()).await?;
    let before = existing.as_ref().and_then(|a| {
        Some(Stored {
            version: a.version?,
            digest: a.digest.clone()?,
        })
    });
    let fields = r.draft.fields(client);
    let written = match &existing {
        None => {
            let id = uuid::Uuid::now_v7().to_string();
            crate::db::appointments::insert(tx, &id, Some((ext.as_str(), r.version, &digest)), &fields, now).await?;
            true
        }
        Some(a) if a.version.is_none_or(|v| v < r.version) => {
            crate::db::appointments::update(tx, a, Some((r.version, &digest)), &fields, now).await?
        }
        Some(_) => false,
    };
    let after = crate::db::appointments::find_ext(&mut **tx, ext.as_str())
        .await?
        .and_then(|a| {
            Some(Stored {
                version: a.version?,
                digest: a.digest?,
            })
        });
    Ok(Applied {
        id: ext.as_str().to_owned(),
        result: outcome(before.as_ref(), written, after.as_ref(), r.version, &digest),
        version: after.map(|s| s.version).unwrap_or(r.version),
        account: Some(client.to_string()),
    })
}
