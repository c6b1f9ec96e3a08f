//! Deleting through a trash. A deleted file, transfer or client answers 404 everywhere at
//! once (every read filters the `deleted_at` stamp), stays restorable for
//! `trash.keep_days`, then the housekeeping purges its objects and rows for good.

use relais_storage::{BlobError, BlobKey, keys};

use crate::db::{self, DbError};
use crate::domain::{DAY, Direction, FileId, Role, Timestamp, TransferId, UserId};
use crate::state::AppState;
use crate::{db::users::User, transfers};

/// What deleting, restoring or purging can answer.
#[derive(Debug, thiserror::Error)]
pub enum TrashError {
    #[error("not found")]
    NotFound,
    #[error("only the studio may do this")]
    Forbidden,
    #[error("a client's own upload space and the portfolio are not deleted as a whole; delete their files")]
    NotDeletable,
    #[error(transparent)]
    Transfer(#[from] crate::transfers::TransferError),
    #[error("discarding an unfinished upload: {0}")]
    Upload(#[from] crate::uploads::UploadError),
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Writes the trash entry of what `tx` just stamped (kind, id, label), and commits both
/// together: the item is gone and listed in the trash at the same instant.
async fn file_away(
    state: &AppState,
    mut tx: db::Tx,
    (kind, item, label): (&str, &str, &str),
    weight: (i64, i64),
    by: Option<UserId>,
    now: Timestamp,
) -> Result<(), TrashError> {
    let purge_after = now + DAY * state.cfg.trash_days;
    db::trash::insert(&mut tx, kind, item, label, weight, by, now, purge_after).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// The studio deletes any file; a client the files they sent to their own inbound
/// transfers (what they were given is the studio's to remove).
pub async fn delete_file(state: &AppState, caller: &User, id: FileId) -> Result<(), TrashError> {
    let file = db::files::find(state.db.pool(), id)
        .await?
        .ok_or(TrashError::NotFound)?;
    let transfer = transfers::readable(state, caller, file.transfer).await?;
    if caller.role == Role::Client && (transfer.direction != Direction::Inbound || file.uploader != Some(caller.id)) {
        return Err(TrashError::Forbidden);
    }
    trash_file(state, Some(caller.id), &file).await
}

async fn trash_file(state: &AppState, by: Option<UserId>, file: &db::files::FileRecord) -> Result<(), TrashError> {
    let id = file.id;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    if !db::trash::stamp_file(&mut tx, id, now).await? {
        return Err(TrashError::NotFound);
    }
    let size = file.size.unwrap_or(0) as i64;
    file_away(state, tx, ("file", &id.to_db(), &file.name), (1, size), by, now).await
}

/// The studio deletes a delivery or an inbound transfer, with its files. A client's own
/// upload space (their default inbound transfer) is not deleted as a whole: its files are.
pub async fn delete_transfer(state: &AppState, caller: &User, id: TransferId) -> Result<(), TrashError> {
    if caller.role != Role::Studio {
        return Err(TrashError::Forbidden);
    }
    let transfer = db::transfers::find(state.db.pool(), id)
        .await?
        .ok_or(TrashError::NotFound)?;
    if transfer.is_default || transfer.direction == Direction::Portfolio {
        return Err(TrashError::NotDeletable);
    }
    trash_transfer(state, Some(caller.id), &transfer).await
}

async fn trash_transfer(
    state: &AppState,
    by: Option<UserId>,
    transfer: &db::transfers::Transfer,
) -> Result<(), TrashError> {
    let id = transfer.id;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let weight = db::trash::weight(&mut tx, db::trash::FILES_OF_TRANSFER, &id.to_db()).await?;
    if !db::trash::stamp_transfer(&mut tx, id, now).await? {
        return Err(TrashError::NotFound);
    }
    file_away(state, tx, ("transfer", &id.to_db(), &transfer.title), weight, by, now).await
}

/// The studio deletes a client: the account (it can no longer sign in, its sessions and
/// tokens stop working), its transfers and files.
pub async fn delete_client(state: &AppState, caller: &User, id: UserId) -> Result<(), TrashError> {
    if caller.role != Role::Studio {
        return Err(TrashError::Forbidden);
    }
    let client = db::users::find(state.db.pool(), id)
        .await?
        .ok_or(TrashError::NotFound)?;
    if client.role != Role::Client {
        return Err(TrashError::NotFound);
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let weight = db::trash::weight(&mut tx, db::trash::FILES_OF_CLIENT, &id.to_db()).await?;
    if !db::trash::stamp_client(&mut tx, id, now).await? {
        return Err(TrashError::NotFound);
    }
    file_away(
        state,
        tx,
        ("client", &id.to_db(), &client.name),
        weight,
        Some(caller.id),
        now,
    )
    .await
}

/// Brings an item back as it was when deleted, with what went with it.
pub async fn restore(state: &AppState, caller: &User, id: &str) -> Result<(), TrashError> {
    if caller.role != Role::Studio {
        return Err(TrashError::Forbidden);
    }
    let mut tx = state.db.begin().await?;
    let entry = db::trash::find(&mut tx, id).await?.ok_or(TrashError::NotFound)?;
    db::trash::unstamp(&mut tx, &entry.kind, &entry.item_id, entry.deleted_at).await?;
    db::trash::remove(&mut tx, &entry.id).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// Removes for good what has been in the trash past its time. Returns the entries purged.
pub async fn purge_due(state: &AppState) -> Result<u64, TrashError> {
    let now = state.clock.now();
    let mut purged = 0;
    for entry in db::trash::due(state.db.pool(), now).await? {
        purge(state, &entry).await?;
        purged += 1;
    }
    Ok(purged)
}

/// Erases one item of the trash now, without waiting for its grace period: what a client
/// who asks to be forgotten is owed, or a mistake the studio wants gone.
pub async fn purge_now(state: &AppState, caller: &User, id: &str) -> Result<(), TrashError> {
    if caller.role != Role::Studio {
        return Err(TrashError::Forbidden);
    }
    let mut tx = state.db.begin().await?;
    let entry = db::trash::find(&mut tx, id).await?.ok_or(TrashError::NotFound)?;
    tx.commit().await.map_err(DbError::from)?;
    purge(state, &entry).await?;
    tracing::info!(by = %caller.id, "erased from the trash before its time");
    Ok(())
}

/// Objects first (the file, its variants, an unfinished upload's parts), then the rows:
/// a crash between the two leaves rows whose objects are gone, which the next purge
/// finishes, never objects nobody knows of.
async fn purge(state: &AppState, entry: &db::trash::Entry) -> Result<(), TrashError> {
    for file in db::trash::files_of(state.db.pool(), entry).await? {
        let Some(id) = FileId::parse(&file) else { continue };
        if let Some(upload) = db::uploads::of_file_even_trashed(state.db.pool(), id).await?
            && upload.completed_at.is_none()
        {
            crate::uploads::terminate::discard(state, &upload).await?;
        }
        for key in db::trash::variant_keys(state.db.pool(), &file).await? {
            if let Ok(key) = BlobKey::parse(&key) {
                state.blobs.delete(&key).await?;
            }
        }
        state.blobs.delete(&keys::file(id.uuid())).await?;
        db::files::delete(state.db.pool(), id).await?;
    }
    let mut tx = state.db.begin().await?;
    db::trash::delete_item(&mut tx, entry).await?;
    tx.commit().await.map_err(DbError::from)?;
    tracing::info!(kind = %entry.kind, item = %entry.item_id, "purged from the trash");
    Ok(())
}

/// The studio's optional retention rules, run by the housekeeping: deliveries
/// `retention.delivery_days` after they expired, and inbound files
/// `retention.inbound_days` after the studio downloaded them whole, go to the trash (and
/// from there, after its grace period, for good). Returns how many items went.
pub async fn apply_retention(state: &AppState) -> Result<u64, TrashError> {
    let now = state.clock.now();
    let mut moved = 0;
    if let Some(days) = state.cfg.retention.delivery_days {
        let before = now - DAY * days;
        for id in db::trash::expired_deliveries(state.db.pool(), before).await? {
            let Some(transfer) = db::transfers::find(state.db.pool(), id).await? else {
                continue;
            };
            trash_transfer(state, None, &transfer).await?;
            moved += 1;
        }
    }
    if let Some(days) = state.cfg.retention.inbound_days {
        let before = now - DAY * days;
        for id in db::trash::inbound_downloaded_before(state.db.pool(), before).await? {
            let Some(file) = db::files::find(state.db.pool(), id).await? else {
                continue;
            };
            trash_file(state, None, &file).await?;
            moved += 1;
        }
    }
    Ok(moved)
}
