//! `GET /api/v1/files/{id}/content`: one file, with ranges, as an attachment.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use relais_storage::{PresignOp, PresignRequest, keys};

use super::auth::Reader;
use crate::db;
use crate::db::downloads::{Downloader, Kind, NewDownload};
use crate::domain::FileId;
use crate::downloads::{
    self, headers::RangeRequest, headers::attachment, headers::parse_range, headers::served_type, playable,
};
use crate::guests::Permission;
use crate::http::error::AppError;
use crate::state::AppState;

/// How long a presigned download link works when downloads are sent to the bucket.
const REDIRECT_TTL: std::time::Duration = std::time::Duration::from_secs(300);

fn header_value(s: &str) -> Result<HeaderValue, AppError> {
    HeaderValue::from_str(s).map_err(AppError::internal)
}

/// The part of a file of `size` bytes the request asks for (`None`: all of it), or the 416
/// answer. `If-Range`: the range holds only if the client's copy is the current one.
pub(super) fn requested_range(
    headers: &HeaderMap,
    size: u64,
    etag: &str,
) -> Result<Result<Option<relais_storage::ByteRange>, Response>, AppError> {
    let if_range_ok = headers
        .get(header::IF_RANGE)
        .is_none_or(|v| v.as_bytes() == etag.as_bytes());
    let range_header = headers
        .get(header::RANGE)
        .and_then(|v| v.to_str().ok())
        .filter(|_| if_range_ok);
    Ok(match parse_range(range_header, size) {
        RangeRequest::Unsatisfiable => Err((
            StatusCode::RANGE_NOT_SATISFIABLE,
            [(header::CONTENT_RANGE, header_value(&format!("bytes */{size}"))?)],
        )
            .into_response()),
        RangeRequest::Partial(r) => Ok(Some(r)),
        RangeRequest::Full => Ok(None),
    })
}

/// `?play=1`: the page's audio or video player is asking; its receipt says "played".
#[derive(serde::Deserialize)]
pub struct ContentQuery {
    #[serde(default)]
    play: Option<String>,
    /// `web`: the photo's web-size JPEG (2400 px) instead of the original.
    #[serde(default)]
    size: Option<String>,
}

/// Whether `?size=` asks for web-size copies (`original`, or nothing, for originals).
fn wants_web(size: Option<&str>) -> Result<bool, AppError> {
    match size {
        None | Some("original") => Ok(false),
        Some("web") => Ok(true),
        Some(other) => Err(AppError::validation(
            "size",
            format!("unknown size {other:?} (expected original or web)"),
        )),
    }
}

/// Whether the delivery offers this size to its client and guests (the studio takes
/// every size of everything).
fn offered(reader: &Reader, transfer: &crate::db::transfers::Transfer, web: bool) -> Result<(), AppError> {
    if let Reader::User(caller) = reader
        && caller.user.role == crate::domain::Role::Studio
    {
        return Ok(());
    }
    let sizes = transfer.download_sizes;
    if transfer.direction != crate::domain::Direction::Delivery || (web && sizes.web) || (!web && sizes.original) {
        return Ok(());
    }
    Err(AppError::Forbidden)
}

/// A guest may take web-size copies when their link allows them, or allows originals.
fn guest_may_download(guest: &crate::guests::Guest, web: bool) -> Result<(), AppError> {
    if web && guest.may(Permission::DownloadWeb) {
        return Ok(());
    }
    Ok(guest.require(Permission::Download)?)
}

pub async fn content(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
    Query(query): Query<ContentQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let id = FileId::parse(&id).ok_or(AppError::NotFound)?;
    if wants_web(query.size.as_deref())? {
        return web_copy(&state, &reader, id).await;
    }
    let asks_to_play = query.play.is_some_and(|p| p == "1");
    let (file, transfer, who, detail) = match &reader {
        Reader::User(caller) => {
            let (file, transfer) = downloads::downloadable(&state, &caller.user, id).await?;
            let detail = file.name.clone();
            (file, transfer, Downloader::user(caller.user.id), detail)
        }
        Reader::Guest(guest) => {
            let file = guest.file(&state, id).await?;
            // A guest who may only look still hears and watches in the page's players.
            let playing = asks_to_play && playable(&file);
            guest.require(if playing {
                Permission::View
            } else {
                Permission::Download
            })?;
            // `Guest::file` gives only stored files of the link's delivery.
            let transfer = guest.transfer(file.transfer)?;
            let detail = format!("{} — {}", file.name, guest.label);
            (file, transfer, Downloader::link(&guest.link_id), detail)
        }
    };
    // Only sound and moving pictures are "played"; anything else asked that way is still
    // a download, and receipted as one.
    let played = playable(&file) && asks_to_play;
    if !played {
        offered(&reader, &transfer, false)?;
    }
    // The page's player gets a video's web copy when there is one (every browser plays
    // it); a download always gets the untouched original.
    if played
        && let Some(web) = db::variants::for_file(state.db.pool(), file.id)
            .await?
            .into_iter()
            .find(|v| v.name == "web" && v.format == "mp4")
    {
        return play_web_copy(&state, &headers, &file, &web, &transfer, who, &detail).await;
    }
    let size = file.size.unwrap_or_default();
    let etag = downloads::etag(&file);
    let disposition = attachment(&file.name);

    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, header_value(&etag)?)]).into_response());
    }
    if state.cfg.downloads.redirect_to_bucket
        && let Some(presigner) = state.blobs.clone().presigner()
    {
        let request = PresignRequest {
            key: keys::file(file.id.uuid()),
            op: PresignOp::Get {
                content_disposition: Some(disposition),
            },
            expires_in: REDIRECT_TTL,
        };
        let url = presigner.presign(&request).await?;
        let receipt = NewDownload {
            file: Some(file.id),
            transfer: Some(file.transfer),
            who,
            kind: Kind::Redirect,
            range_start: None,
            played,
        };
        downloads::open_receipt(&state, receipt, transfer.client, &detail).await?;
        return Ok((
            StatusCode::FOUND,
            [
                (header::LOCATION, header_value(url.as_str())?),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            ],
        )
            .into_response());
    }

    let range = match requested_range(&headers, size, &etag)? {
        Ok(range) => range,
        Err(unsatisfiable) => return Ok(unsatisfiable),
    };
    let body = downloads::file_body(&state, &who, &file, range, transfer.client, played, &detail).await?;
    let (status, length) = match range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.len()),
        None => (StatusCode::OK, size),
    };
    let mut response = Response::new(Body::from_stream(body));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, header_value(served_type(&file.media_type))?);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    h.insert(header::CONTENT_DISPOSITION, header_value(&disposition)?);
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::ETAG, header_value(&etag)?);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    // Even opened directly, a user file can run nothing.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; media-src 'self'; img-src 'self'; sandbox"),
    );
    if let Some(r) = range {
        h.insert(
            header::CONTENT_RANGE,
            header_value(&format!("bytes {}-{}/{size}", r.start, r.end - 1))?,
        );
    }
    Ok(response)
}

/// A video's web copy for the page's player: ranges (the player seeks), its own ETag, a
/// "played" receipt.
async fn play_web_copy(
    state: &AppState,
    headers: &HeaderMap,
    file: &crate::db::files::FileRecord,
    web: &crate::db::variants::VariantRow,
    transfer: &crate::db::transfers::Transfer,
    who: Downloader,
    detail: &str,
) -> Result<Response, AppError> {
    let size = web.size.max(0) as u64;
    let etag = format!("\"web-{}\"", super::variants::tag(web));
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, header_value(&etag)?)]).into_response());
    }
    let range = match requested_range(headers, size, &etag)? {
        Ok(range) => range,
        Err(unsatisfiable) => return Ok(unsatisfiable),
    };
    let key = relais_storage::BlobKey::parse(&web.object_key).map_err(AppError::internal)?;
    let read = state.blobs.get(&key, range).await?;
    let receipt = NewDownload {
        file: Some(file.id),
        transfer: Some(file.transfer),
        who,
        kind: Kind::File,
        range_start: range.map(|r| r.start),
        played: true,
    };
    let receipt = downloads::open_receipt(state, receipt, transfer.client, detail).await?;
    let body = downloads::recorded(state, receipt, read.range.len(), read.body);
    let (status, length) = match range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.len()),
        None => (StatusCode::OK, size),
    };
    let mut response = Response::new(Body::from_stream(body));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("video/mp4"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    let name = format!("{}.mp4", downloads::web_name(&file.name).trim_end_matches(".jpg"));
    h.insert(header::CONTENT_DISPOSITION, header_value(&attachment(&name))?);
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::ETAG, header_value(&etag)?);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; media-src 'self'; img-src 'self'; sandbox"),
    );
    if let Some(r) = range {
        h.insert(
            header::CONTENT_RANGE,
            header_value(&format!("bytes {}-{}/{size}", r.start, r.end - 1))?,
        );
    }
    Ok(response)
}

/// One photo's web-size JPEG, as an attachment named after the photo.
async fn web_copy(state: &AppState, reader: &Reader, id: FileId) -> Result<Response, AppError> {
    let (file, transfer, who, detail) = match reader {
        Reader::User(caller) => {
            let (file, transfer) = downloads::downloadable(state, &caller.user, id).await?;
            let detail = downloads::web_name(&file.name);
            (file, transfer, Downloader::user(caller.user.id), detail)
        }
        Reader::Guest(guest) => {
            guest_may_download(guest, true)?;
            let file = guest.file(state, id).await?;
            let transfer = guest.transfer(file.transfer)?;
            let detail = format!("{} — {}", downloads::web_name(&file.name), guest.label);
            (file, transfer, Downloader::link(&guest.link_id), detail)
        }
    };
    offered(reader, &transfer, true)?;
    let variants = db::variants::for_file(state.db.pool(), file.id).await?;
    let photo_web = variants
        .iter()
        .find(|v| v.name == "large" && v.format == "jpeg")
        .filter(|_| !file.is_video());
    let Some(web) = photo_web else {
        return Err(AppError::Conflict {
            code: "no_web_size",
            detail: "this file has no web-size copy (only photos have one, once processed)".into(),
        });
    };
    let key = relais_storage::BlobKey::parse(&web.object_key).map_err(AppError::internal)?;
    let read = state.blobs.get(&key, None).await?;
    // A receipt like any download's (of the link, for a guest), complete once every byte
    // of the copy left.
    let receipt = NewDownload {
        file: Some(file.id),
        transfer: Some(file.transfer),
        who,
        kind: Kind::File,
        range_start: None,
        played: false,
    };
    let receipt = downloads::open_receipt(state, receipt, transfer.client, &detail).await?;
    let body = downloads::recorded(state, receipt, web.size.max(0) as u64, read.body);
    let mut response = Response::new(Body::from_stream(body));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(web.size.max(0) as u64));
    h.insert(
        header::CONTENT_DISPOSITION,
        header_value(&attachment(&downloads::web_name(&file.name)))?,
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
    Ok(response)
}

#[derive(serde::Deserialize)]
pub struct ArchiveQuery {
    /// `web`: the photos' web-size JPEGs instead of the originals.
    #[serde(default)]
    size: Option<String>,
}

/// `GET /api/v1/transfers/{id}/archive` (`?size=web`): every stored file of the transfer
/// in one ZIP (or every photo's web-size copy), streamed as it is made, with its exact
/// length announced.
pub async fn archive(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
    Query(query): Query<ArchiveQuery>,
) -> Result<Response, AppError> {
    let id = crate::domain::TransferId::parse(&id).ok_or(AppError::NotFound)?;
    let scope = downloads::ArchiveScope {
        web: wants_web(query.size.as_deref())?,
        ..Default::default()
    };
    archive_of(&state, &reader, id, scope, None).await
}

/// A selection's files in one ZIP (the studio's export, or a person's own lists).
pub(super) async fn selection_archive(
    state: &AppState,
    reader: &Reader,
    id: crate::domain::TransferId,
    files: std::collections::HashSet<FileId>,
    locale: crate::domain::Locale,
) -> Result<Response, AppError> {
    let scope = downloads::ArchiveScope {
        only: Some(files),
        ..Default::default()
    };
    let suffix = crate::texts::share::ShareTexts::for_locale(locale).selection_archive;
    archive_of(state, reader, id, scope, Some(suffix)).await
}

async fn archive_of(
    state: &AppState,
    reader: &Reader,
    id: crate::domain::TransferId,
    mut scope: downloads::ArchiveScope,
    suffix: Option<&str>,
) -> Result<Response, AppError> {
    let state = state.clone();
    let (transfer, who, detail) = match &reader {
        Reader::User(caller) => {
            let transfer = crate::transfers::readable(&state, &caller.user, id).await?;
            let detail = transfer.title.clone();
            (transfer, Downloader::user(caller.user.id), detail)
        }
        Reader::Guest(guest) => {
            guest_may_download(guest, scope.web)?;
            let transfer = guest.transfer(id)?;
            let detail = format!("{} — {}", transfer.title, guest.label);
            (transfer, Downloader::link(&guest.link_id), detail)
        }
    };
    offered(reader, &transfer, scope.web)?;
    scope.for_guest = matches!(reader, Reader::Guest(_));
    scope.hide_pending = matches!(reader, Reader::User(c) if c.user.role != crate::domain::Role::Studio);
    let plan = downloads::archive_plan(&state, id, downloads::zip::ZIP64_THRESHOLD, &scope).await?;
    let total = plan.total_len;
    let receipt = NewDownload {
        file: None,
        transfer: Some(id),
        who: who.clone(),
        kind: Kind::Archive,
        range_start: None,
        played: false,
    };
    let receipt = downloads::open_receipt(&state, receipt, transfer.client, &detail).await?;
    let layout = downloads::ArchiveLayout {
        transfer: id,
        who,
        started_at: state.clock.now(),
        files: plan
            .entries
            .iter()
            .map(|e| {
                let range = e.data_range();
                (e.source.1, range.start, range.end)
            })
            .collect(),
    };
    // The archive says whose and what it is: "Claire et Louis – Musique pour le film.zip"
    // for what a client sent; a delivery also names the studio it comes from, "Studio
    // Lumière – Claire et Louis – Photos du mariage.zip".
    let owner = match transfer.client {
        Some(client) => db::users::find(state.db.pool(), client).await?.map(|u| u.name),
        None => None,
    };
    let mut parts = Vec::new();
    if transfer.direction == crate::domain::Direction::Delivery {
        parts.push(state.studio.name().await?);
    }
    parts.extend(owner);
    parts.push(transfer.title.clone());
    parts.extend(suffix.map(str::to_owned));
    if scope.web {
        parts.push("web".to_owned());
    }
    let name = format!("{}.zip", parts.join(" – "));
    let stream = downloads::archive::stream(state.clone(), plan);
    let body = downloads::recorded_archive(&state, receipt, total, layout, stream);
    let mut response = Response::new(Body::from_stream(body));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(total));
    h.insert(header::CONTENT_DISPOSITION, header_value(&attachment(&name))?);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

/// `GET /api/v1/clients/{id}/export` (studio): everything Relais holds about one client,
/// as one ZIP streamed like any archive (the data file first, then their files).
pub async fn client_export(
    State(state): State<AppState>,
    super::auth::Studio(_): super::auth::Studio,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id = crate::domain::UserId::parse(&id).ok_or(AppError::NotFound)?;
    let (name, plan) = crate::gdpr::export(&state, id).await?;
    let total = plan.total_len;
    let body = downloads::archive::stream(state.clone(), plan);
    let mut response = Response::new(Body::from_stream(body));
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(total));
    h.insert(header::CONTENT_DISPOSITION, header_value(&attachment(&name))?);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}
