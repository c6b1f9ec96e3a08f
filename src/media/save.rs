//! Storing a picture's variants: the objects first, then their rows and the file's status
//! in one transaction, then the objects they replace are deleted.

use bytes::Bytes;
use relais_storage::{BlobKey, BlobStore, keys};
use sha2::{Digest, Sha256};

use super::image;
use crate::clock::Clock;
use crate::db::variants::NewVariant;
use crate::db::{self, Db, DbError};
use crate::domain::FileId;

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Storage(#[from] relais_storage::BlobError),
}

/// Stores the variants under new keys, then records them, the file's status and (for a
/// poster) its source in one transaction; the objects they replace are deleted after.
/// A reader therefore never meets a recorded variant without bytes, and every URL given
/// out after the commit names the new generation: a replaced poster shows everywhere at
/// once.
pub async fn save_variants(
    db: &Db,
    blobs: &dyn BlobStore,
    clock: &Clock,
    file: FileId,
    made: &image::Made,
    poster: Option<&str>,
) -> Result<(), SaveError> {
    let tag = uuid::Uuid::new_v4().simple().to_string();
    let mut stored = Vec::new();
    for v in &made.variants {
        for (format, ext, data) in [("jpeg", "jpg", &v.jpeg), ("webp", "webp", &v.webp)] {
            let name = format!("{}-{}.{ext}", v.name, &tag[..12]);
            let key =
                keys::derived(file.uuid(), &name).ok_or_else(|| DbError::Corrupt(format!("variant key {name}")))?;
            blobs.put(&key, Bytes::copy_from_slice(data)).await?;
            let digest = crate::auth::secrets::hex(&Sha256::digest(data));
            stored.push((v, format, key, data.len() as u64, digest));
        }
    }
    let now = clock.now();
    let mut tx = db.begin().await?;
    // A file deleted while its pictures were made gets none; a frame taken automatically
    // never replaces a poster someone chose, even one chosen while the frame was made.
    if !db::files::lock_live(&mut tx, db.backend(), file).await?
        || (poster == Some("auto") && db::files::poster(&mut *tx, file).await?.as_deref() == Some("custom"))
    {
        drop(tx);
        for (_, _, key, _, _) in &stored {
            let _ = blobs.delete(key).await;
        }
        return Ok(());
    }
    let mut replaced = Vec::new();
    for (v, format, key, size, digest) in &stored {
        let row = NewVariant {
            name: v.name,
            format,
            width: v.width,
            height: v.height,
            size: *size,
            object_key: key.as_str(),
            sha256: digest,
        };
        replaced.extend(db::variants::upsert(&mut tx, file, row, now).await?);
    }
    match poster {
        // A poster stands for the video: the file keeps no picture size of its own.
        Some(source) => {
            db::files::set_poster(&mut *tx, file, source).await?;
            db::files::mark_ready(&mut *tx, file, None, now).await?;
        }
        None => db::files::mark_ready(&mut *tx, file, Some((made.width, made.height)), now).await?,
    }
    tx.commit().await.map_err(DbError::from)?;
    for key in replaced {
        if let Ok(key) = BlobKey::parse(&key) {
            let _ = blobs.delete(&key).await;
        }
    }
    Ok(())
}
