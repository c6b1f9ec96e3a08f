//! Ending uploads that will not finish: `DELETE` (tus termination) and expiry.

use relais_storage::keys;

use super::lease::Lease;
use super::{Sender, UploadError, find_for};
use crate::db;
use crate::db::uploads::UploadRow;
use crate::domain::UploadId;
use crate::state::AppState;

/// Drops whatever storage holds for the upload, then the file and upload rows.
pub(crate) async fn discard(state: &AppState, upload: &UploadRow) -> Result<(), UploadError> {
    let multipart = upload.multipart_id.clone().map(relais_storage::MultipartId);
    relais_storage::resumable::discard(
        &state.blobs,
        upload.id.uuid(),
        &keys::file(upload.file.uuid()),
        multipart.as_ref(),
        upload.staged_seq,
    )
    .await?;
    db::files::delete(state.db.pool(), upload.file).await?;
    Ok(())
}

pub async fn terminate(state: &AppState, caller: &Sender, id: UploadId) -> Result<(), UploadError> {
    let upload = find_for(state, caller, id).await?;
    if upload.completed_at.is_some() {
        // The file is stored and stays: only the finished upload resource goes.
        db::uploads::delete(state.db.pool(), id).await?;
        return Ok(());
    }
    let lease = Lease::acquire(state, id).await?;
    // The staged tail to drop is the one recorded last, perhaps by a writer just gone.
    let upload = lease.current(upload);
    if upload.completed_at.is_some() {
        // Finished while we waited: the file is stored and stays, as above.
        db::uploads::delete(state.db.pool(), id).await?;
        lease.release(state).await;
        return Ok(());
    }
    let result = discard(state, &upload).await;
    lease.release(state).await;
    result
}

/// Reaps uploads that have received nothing for longer than their expiry. Returns how
/// many went; one that is being written to right now is left alone.
pub async fn reap_expired(state: &AppState) -> Result<u64, UploadError> {
    let mut reaped = 0;
    for upload in db::uploads::expired(state.db.pool(), state.clock.now(), 100).await? {
        if upload.completed_at.is_some() {
            // A finished upload no longer needs to answer HEAD; its file stays.
            db::uploads::delete(state.db.pool(), upload.id).await?;
            continue;
        }
        let Ok(lease) = Lease::acquire(state, upload.id).await else {
            continue;
        };
        let (id, upload) = (upload.id, lease.current(upload));
        if upload.expires_at >= state.clock.now() || upload.completed_at.is_some() {
            // Written to, or finished, between the list and the lease: not expired after all.
            lease.release(state).await;
            continue;
        }
        let result = discard(state, &upload).await;
        lease.release(state).await;
        match result {
            Ok(()) => reaped += 1,
            Err(e) => tracing::warn!(upload = %id, error = %e, "cannot reap expired upload"),
        }
    }
    Ok(reaped)
}
