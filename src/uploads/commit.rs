//! Recording a new durable point of an upload: offset, hash state, staged tail and the
//! parts that got there, in one transaction, only while we hold the lease.

use relais_storage::resumable::Checkpoint;

use super::UploadError;
use super::lease::Lease;
use crate::db::uploads::Commit;
use crate::db::{self, DbError};
use crate::domain::Timestamp;
use crate::state::AppState;

/// Returns the upload's new expiry.
pub(super) async fn commit(state: &AppState, lease: &Lease, point: &Checkpoint) -> Result<Timestamp, UploadError> {
    let now = state.clock.now();
    let expires_at = super::expiry(state, now);
    let mut tx = state.db.begin().await?;
    for part in &point.parts {
        db::uploads::insert_part(&mut tx, lease.id, part.number.get(), part.size, &part.etag).await?;
    }
    let c = Commit {
        from_offset: point.from,
        to_offset: point.to,
        hash_state: &point.hash_state,
        staged_len: point.staged_len,
        staged_seq: point.staged_seq,
        expires_at,
    };
    if !db::uploads::commit(&mut tx, lease.id, &lease.owner, c, now).await? {
        // Someone else holds the upload now; what we wrote is theirs to overwrite.
        return Err(UploadError::Locked);
    }
    tx.commit().await.map_err(DbError::from)?;
    Ok(expires_at)
}
