//! A client's data in one ZIP, for them (the right of access and portability): a JSON file
//! with their account, transfers and files, downloads, activity, emails, quotes, invoices
//! and payments, then every file of their transfers. Streamed like any archive.

use relais_storage::keys;
use serde_json::{Value, json};

use crate::db;
use crate::domain::{Role, Timestamp, UserId};
use crate::downloads::archive::Source;
use crate::downloads::zip::{self, Plan};
use crate::state::AppState;

/// A download receipt as exported: file, transfer, kind, bytes, complete, when.
type Receipt = (Option<String>, Option<String>, String, i64, i64, Timestamp);

/// The name of the data file, first in the archive.
pub const DATA_FILE: &str = "donnees-data.json";

/// What exporting a client's data can answer.
#[derive(Debug, thiserror::Error)]
pub enum GdprError {
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] db::DbError),
    #[error("encoding the data file: {0}")]
    Encode(#[from] serde_json::Error),
}

/// The archive's name and layout.
pub async fn export(state: &AppState, client: UserId) -> Result<(String, Plan<(Source, ())>), GdprError> {
    let user = db::users::find(state.db.pool(), client)
        .await?
        .filter(|u| u.role == Role::Client)
        .ok_or(GdprError::NotFound)?;
    let pool = state.db.pool();
    let mut transfers = Vec::new();
    let mut files = Vec::new();
    for transfer in db::transfers::list(pool, Some(client)).await? {
        let records = db::files::list_for_transfer(pool, transfer.id).await?;
        let mut listed = Vec::new();
        for f in records.into_iter().filter(|f| f.has_bytes()) {
            listed.push(json!({
                "id": f.id, "name": f.name, "size": f.size, "sha256": f.sha256,
                "media_type": f.media_type, "category": f.category.as_str(),
                "created_at": f.created_at, "stored_at": f.stored_at,
            }));
            files.push((format!("{} – {}", transfer.title, f.name), f));
        }
        transfers.push(json!({
            "id": transfer.id, "title": transfer.title, "direction": transfer.direction.as_str(),
            "created_at": transfer.created_at, "published_at": transfer.published_at,
            "expires_at": transfer.expires_at, "files": listed,
        }));
    }
    let downloads: Vec<Receipt> = sqlx::query_as(
        "SELECT file_id, transfer_id, kind, bytes_sent, complete, started_at FROM downloads \
         WHERE user_id = $1 ORDER BY started_at",
    )
    .bind(client.to_db())
    .fetch_all(pool)
    .await
    .map_err(db::DbError::from)?;
    let emails: Vec<(String, String, String, Timestamp, Option<Timestamp>)> = sqlx::query_as(
        "SELECT kind, subject, to_address, created_at, sent_at FROM emails WHERE user_id = $1 ORDER BY created_at",
    )
    .bind(client.to_db())
    .fetch_all(pool)
    .await
    .map_err(db::DbError::from)?;
    let activity = db::activity::recent(pool, Some(client), None, 100_000).await?;
    let statement = crate::billing::statement(&state.db, client).await?;
    let appointments = db::appointments::of_client(pool, client, Timestamp::EPOCH).await?;
    let subscription = db::newsletter::find_by_email(pool, &user.email).await?;
    let data = json!({
        "exported_at": state.clock.now(),
        "studio": state.studio.name().await?,
        "account": user,
        "transfers": transfers,
        "downloads": downloads.into_iter().map(|(file, transfer, kind, bytes, complete, at)| json!({
            "file": file, "transfer": transfer, "kind": kind, "bytes": bytes, "complete": complete != 0, "at": at,
        })).collect::<Vec<Value>>(),
        "emails": emails.into_iter().map(|(kind, subject, to, at, sent)| json!({
            "kind": kind, "subject": subject, "to": to, "queued_at": at, "sent_at": sent,
        })).collect::<Vec<Value>>(),
        "activity": activity.into_iter().map(|e| json!({
            "at": e.at, "kind": e.kind, "by": e.actor_name, "transfer": e.transfer_id, "file": e.file_id, "detail": e.detail,
        })).collect::<Vec<Value>>(),
        "billing": statement,
        "appointments": appointments.iter().map(|a| crate::appointments::view(a, user.locale)).collect::<Vec<_>>(),
        "newsletter": subscription,
    });
    let data = bytes::Bytes::from(serde_json::to_vec_pretty(&data)?);
    let now = state.clock.now();
    let names = zip::unique_names(std::iter::once(DATA_FILE).chain(files.iter().map(|(n, _)| n.as_str())));
    let mut names = names.into_iter();
    let mut entries = vec![(
        names.next().unwrap_or_else(|| DATA_FILE.to_owned()),
        data.len() as u64,
        now,
        (Source::Inline(data), ()),
    )];
    for ((_, f), name) in files.iter().zip(names) {
        entries.push((
            name,
            f.size.unwrap_or(0),
            f.stored_at.unwrap_or(f.created_at),
            (Source::Object(keys::file(f.id.uuid())), ()),
        ));
    }
    let archive = format!("{} – {}.zip", state.studio.name().await?, user.name);
    Ok((archive, Plan::new(entries, zip::ZIP64_THRESHOLD)))
}
