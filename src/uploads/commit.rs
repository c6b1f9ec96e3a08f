//! Recording a new durable point of an upload: offset, hash state, staged tail and the
//! parts that got there, in one transaction, only while we hold the lease.

use relais_storage::resumable::Checkpoint;

use super::UploadError;
use super::lease::Lease;
use crate::db::uploads::Commit;
use crate::db::{self, DbError};
use crate::domain::Timestamp;
use crate::state::AppState;

/// Returns the upload's new expiry. With `release`, the same statement lets the lease go.
pub(super) async fn commit(
    state: &AppState,
    lease: &Lease,
    point: &Checkpoint,
    release: bool,
) -> Result<Timestamp, UploadError> {
    let now = state.clock.now();
    let expires_at = super::expiry(state, now);
    let c = Commit {
        from_offset: point.from,
        to_offset: point.to,
        hash_state: &point.hash_state,
        staged_len: point.staged_len,
        staged_seq: point.staged_seq,
        expires_at,
    };
    let recorded = if point.parts.is_empty() {
        // One statement: no transaction to open and close around it.
        db::uploads::commit(state.db.pool(), lease.id, &lease.owner, c, release, now).await?
    } else {
        let mut tx = state.db.begin().await?;
        for part in &point.parts {
            db::uploads::insert_part(&mut tx, lease.id, part.number.get(), part.size, &part.etag).await?;
        }
        let recorded = db::uploads::commit(&mut *tx, lease.id, &lease.owner, c, release, now).await?;
        if recorded {
            tx.commit().await.map_err(DbError::from)?;
        }
        recorded
    };
    if !recorded {
        // Someone else holds the upload now; what we wrote is theirs to overwrite.
        return Err(UploadError::Locked);
    }
    if release {
        lease.mark_released();
    }
    Ok(expires_at)
}
