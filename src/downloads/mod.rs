//! Serving stored files: one at a time with ranges, or a whole transfer as a ZIP, with a
//! receipt for every download.

pub mod archive;
pub mod headers;
mod receipt;
pub mod zip;

use relais_storage::{ByteRange, ByteStream, keys};

pub use receipt::{ArchiveLayout, recorded, recorded_archive};

use crate::activity::{self, Event, Kind as ActivityKind};
use crate::db::file_pages::Audience;
use crate::db::files::FileRecord;
use crate::db::transfers::Transfer;
use crate::db::users::User;
use crate::db::{self, downloads::Downloader, downloads::Kind, downloads::NewDownload};
use crate::domain::{FileId, UserId};
use crate::state::AppState;
use crate::transfers;

/// What serving a file or planning an archive can answer.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    #[error("not found")]
    NotFound,
    #[error("the file is still being uploaded")]
    NotReady,
    #[error(transparent)]
    Transfer(#[from] transfers::TransferError),
    #[error(transparent)]
    Blob(#[from] relais_storage::BlobError),
    #[error(transparent)]
    Db(#[from] db::DbError),
    /// A stored row that does not parse: the database, not the reader, is wrong.
    #[error("stored data does not parse: {0}")]
    Corrupt(String),
}

/// A file the caller may download, with every byte stored, and the transfer it is in.
pub async fn downloadable(state: &AppState, user: &User, id: FileId) -> Result<(FileRecord, Transfer), DownloadError> {
    let file = db::files::find(state.db.pool(), id)
        .await?
        .ok_or(DownloadError::NotFound)?;
    let transfer = transfers::readable(state, user, file.transfer).await?;
    if !transfers::can_see_file(user, &file) {
        return Err(DownloadError::NotFound);
    }
    if file.has_bytes() {
        Ok((file, transfer))
    } else {
        Err(DownloadError::NotReady)
    }
}

/// Sound and moving pictures: what the page's players ask for with `?play=1`.
pub fn playable(file: &FileRecord) -> bool {
    matches!(
        file.category,
        crate::domain::Category::Music | crate::domain::Category::Video
    ) || file.media_type.starts_with("audio/")
        || file.media_type.starts_with("video/")
}

/// The strong ETag of a file: its SHA-256, which changes exactly when the bytes do.
pub fn etag(file: &FileRecord) -> String {
    format!("\"{}\"", file.sha256.as_deref().unwrap_or_default())
}

/// The bytes of `range` of a file, counted into a receipt as they leave. `played`: the
/// page's player asked, not a download.
pub async fn file_body(
    state: &AppState,
    who: &Downloader,
    file: &FileRecord,
    range: Option<ByteRange>,
    client: Option<UserId>,
    played: bool,
    detail: &str,
) -> Result<ByteStream, DownloadError> {
    let read = state.blobs.get(&keys::file(file.id.uuid()), range).await?;
    let receipt = NewDownload {
        file: Some(file.id),
        transfer: Some(file.transfer),
        who: who.clone(),
        kind: Kind::File,
        range_start: range.map(|r| r.start),
        played,
    };
    let id = open_receipt(state, receipt, client, detail).await?;
    Ok(recorded(state, id, read.range.len(), read.body))
}

/// Starts a download's receipt. A download from the start (no `Range`) also goes in the
/// activity log; the ranged requests of a video being played or a download being resumed
/// have their receipts but would only be noise there.
pub async fn open_receipt(
    state: &AppState,
    receipt: NewDownload,
    client: Option<UserId>,
    detail: &str,
) -> Result<String, DownloadError> {
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let event = (receipt.range_start.is_none() && !receipt.played).then(|| {
        let event = Event::new(ActivityKind::Download, receipt.who.user).client(client);
        let event = match receipt.transfer {
            Some(t) => event.transfer(t),
            None => event,
        };
        match receipt.file {
            Some(f) => event.file(f),
            None => event,
        }
        .detail(detail)
    });
    let id = db::downloads::insert(&mut *tx, receipt, now).await?;
    if let Some(event) = event {
        activity::record(&mut *tx, &event, now).await?;
    }
    tx.commit().await.map_err(db::DbError::from)?;
    Ok(id)
}

/// Which files of a transfer an archive carries, and in which size.
#[derive(Debug, Default)]
pub struct ArchiveScope {
    /// A guest's archive leaves out what the studio hid from guests.
    pub for_guest: bool,
    /// A client's archive leaves out guests' files the studio has not accepted yet.
    pub hide_pending: bool,
    /// Only these files (a selection); every one when `None`.
    pub only: Option<std::collections::HashSet<FileId>>,
    /// The web-size JPEG (`large`, 2400 px) of each photo instead of the originals;
    /// files without one are left out.
    pub web: bool,
}

/// The files of a transfer that can go in its archive, laid out with unique names; each
/// entry's source is the object's key and the file it holds.
pub async fn archive_plan(
    state: &AppState,
    transfer: crate::domain::TransferId,
    threshold: u64,
    scope: &ArchiveScope,
) -> Result<zip::Plan<(archive::Source, FileId)>, DownloadError> {
    // What the studio hid from guests is not even in their ZIP; nor, for a client or a
    // guest, guests' files the studio has not accepted yet.
    let audience = if scope.for_guest {
        Audience::Guest
    } else if scope.hide_pending {
        Audience::Client
    } else {
        Audience::Studio
    };
    let mut files = Vec::new();
    for row in db::file_pages::archive_rows(state.db.pool(), transfer, audience).await? {
        let id = FileId::parse(&row.id).ok_or_else(|| DownloadError::Corrupt(format!("file id {}", row.id)))?;
        if scope.only.as_ref().is_none_or(|only| only.contains(&id)) {
            files.push((id, row));
        }
    }
    // (name, size, time, key, file) of each entry.
    let mut chosen = Vec::with_capacity(files.len());
    if scope.web {
        let variants = db::variants::for_transfer(state.db.pool(), transfer).await?;
        let is_video =
            |row: &db::file_pages::ArchiveRow| row.category == "video" || row.media_type.starts_with("video/");
        for (id, f) in files.iter().filter(|(_, f)| !is_video(f)) {
            let web = variants
                .get(&id.to_string())
                .and_then(|rows| rows.iter().find(|v| v.name == "large" && v.format == "jpeg"));
            let Some(web) = web else { continue };
            let key =
                relais_storage::BlobKey::parse(&web.object_key).map_err(|e| DownloadError::Corrupt(e.to_string()))?;
            chosen.push((web_name(&f.name), web.size.max(0) as u64, web.created_at, key, *id));
        }
    } else {
        for (id, f) in files {
            chosen.push((
                f.name,
                f.size.max(0) as u64,
                f.stored_at.unwrap_or(f.created_at),
                keys::file(id.uuid()),
                id,
            ));
        }
    }
    let names = zip::unique_names(chosen.iter().map(|c| c.0.as_str()));
    let entries = chosen
        .into_iter()
        .zip(names)
        .map(|((_, size, at, key, id), name)| (name, size, at, (archive::Source::Object(key), id)))
        .collect();
    Ok(zip::Plan::new(entries, threshold))
}

/// A photo's web-size copy is named after it, as a JPEG: `IMG_0042.CR3` → `IMG_0042.jpg`.
pub fn web_name(original: &str) -> String {
    let stem = match original.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => original,
    };
    format!("{stem}.jpg")
}
