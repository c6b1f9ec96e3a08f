//! What follows a file becoming `stored`, whichever way its bytes came (tus through Relais
//! or straight to the bucket). It runs inside the transaction that stores the file, so the
//! follow-ups exist exactly when the file does: the media pipeline's job is queued here.

use crate::activity::{self, Event, Kind};
use crate::db::{self, DbError, Tx};
use crate::domain::{FileId, Timestamp};

/// Marks the file stored with its size and SHA-256 and records the upload.
pub(crate) async fn mark(tx: &mut Tx, file: FileId, size: u64, sha256: &str, now: Timestamp) -> Result<(), DbError> {
    db::files::mark_stored(&mut **tx, file, size, sha256, now).await?;
    crate::media::queue(tx, file, now).await?;
    let Some(record) = db::files::find(&mut **tx, file).await? else {
        return Ok(());
    };
    let Some(transfer) = db::transfers::find(&mut **tx, record.transfer).await? else {
        return Ok(());
    };
    let event = Event::new(Kind::Upload, record.uploader)
        .client(transfer.client)
        .transfer(transfer.id)
        .file(file)
        .detail(record.name);
    activity::record(&mut **tx, &event, now).await
}
