//! A PATCH body into storage: the body is read under the lease and handed to the storage
//! crate's resumable writer, while its checkpoints are recorded as they come, so that
//! receiving never waits for the database. The upload layer does not know which backend
//! it writes to.

use relais_storage::keys;
use relais_storage::resumable::{self, Checkpoints, Ended, Options, Resume, Writer};

use super::commit::commit;
use super::lease::Lease;
use super::prepare::{Prepared, past_end, prepare};
use super::reader::{BodyReader, Next};
use super::{Body, PatchRequest, Progress, UploadError, finish};
use crate::db::uploads::UploadRow;
use crate::domain::Timestamp;
use crate::state::AppState;

fn resume_of(upload: &UploadRow, hash: resumable::RunningSha256) -> Resume {
    Resume {
        staging: upload.id.uuid(),
        key: keys::file(upload.file.uuid()),
        offset: upload.offset,
        hash,
        multipart: upload.multipart_id.clone().map(relais_storage::MultipartId),
        part_size: upload.part_size,
        staged_len: upload.staged_len,
        staged_seq: upload.staged_seq,
    }
}

pub(super) async fn write(
    state: &AppState,
    lease: &Lease,
    upload: UploadRow,
    req: PatchRequest,
    body: Body,
) -> Result<Progress, UploadError> {
    // Beating from the start: reading a staged tail back or joining a long file's parts
    // can take longer than a lease.
    let mut heartbeat = lease.heartbeat(state);
    if lease.file_trashed() {
        // Put in the trash while this request waited for the upload.
        return Err(UploadError::NotFound);
    }
    let upload = lease.current(upload);
    // Another request may have recorded more, or finished the upload, in the meantime.
    if let Some(answer) = super::settled(&upload, &req) {
        return answer;
    }
    let Prepared {
        upload,
        length,
        ceiling,
        room,
        hash,
    } = prepare(state, upload, &req).await?;
    let verify = req.checksum.is_some();
    let options = Options {
        // With a checksum nothing is recorded before the whole body is verified.
        checkpoints: !verify,
        scratch: state.cfg.data_dir.join("tmp"),
    };
    let (mut writer, checkpoints) = Writer::open(state.blobs.clone(), resume_of(&upload, hash), options).await?;
    let mut reader = BodyReader::new(state, &mut heartbeat, body, room, req.checksum);

    let receive = async {
        let end = loop {
            match reader.next().await? {
                Next::Chunk(chunk) => writer.write(chunk).await?,
                other => break other,
            }
        };
        match end {
            Next::TooLarge => return Err(past_end(ceiling)),
            // Asked to let go before the body could be checked: nothing of it is kept,
            // and the client is told to try again (tus clients retry a 423).
            Next::Stopped if verify => return Err(UploadError::Locked),
            // A body cut short cannot be checked against its checksum: it is discarded
            // whole.
            Next::End if reader.checksum_matches() => {}
            _ if verify => return Err(UploadError::ChecksumMismatch),
            _ => {}
        }
        let finishing = length == Some(writer.offset());
        Ok::<_, UploadError>(writer.finish(finishing).await?)
    };
    // If recording fails (the lease is lost), receiving stops with it.
    let joined = tokio::try_join!(receive, record(state, lease, checkpoints, length, upload.expires_at));
    let (ended, expires_at) = match joined {
        Ok(done) => done,
        Err(e) => {
            // Every thread stopped before the lease is let go: no late write of this
            // request can land over the next writer's bytes.
            writer.abandon().await;
            return Err(e);
        }
    };
    let Ended { offset, hash } = ended;
    let completed = match length {
        Some(total) if offset == total => Some(finish::complete(state, &upload, total, hash).await?),
        _ => None,
    };
    Ok(Progress {
        offset,
        expires_at,
        completed,
    })
}

/// Records every checkpoint in order; answers the upload's expiry after the last one.
/// The body's last checkpoint lets the lease go in the same statement, unless it ends the
/// upload: the file is then published under the lease.
async fn record(
    state: &AppState,
    lease: &Lease,
    mut checkpoints: Checkpoints,
    length: Option<u64>,
    mut expires_at: Timestamp,
) -> Result<Timestamp, UploadError> {
    while let Some(point) = checkpoints.next().await {
        let release = point.last && length != Some(point.to);
        expires_at = commit(state, lease, &point, release).await?;
        if let Some(tail) = &point.obsolete
            && let Err(e) = state.blobs.delete(tail).await
        {
            // No recorded state points to it any more.
            tracing::warn!(upload = %lease.id, error = %e, "cannot delete a merged tail; the reaper will");
        }
    }
    Ok(expires_at)
}
