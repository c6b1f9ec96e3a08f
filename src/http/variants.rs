//! `GET /api/v1/files/{id}/variants/{name}[?format=webp]`: the web sizes of a photo, to
//! whoever may read the file. URLs carry the variant's generation (`v`); with the current
//! one the answer is cacheable for good, without it the browser revalidates, so a replaced
//! variant shows at once everywhere.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use relais_storage::BlobKey;
use serde::Deserialize;

use super::auth::{Caller, Reader};
use crate::db::variants::VariantRow;
use crate::domain::FileId;
use crate::http::error::AppError;
use crate::state::AppState;
use crate::{db, transfers};

#[derive(Deserialize)]
pub struct VariantQuery {
    format: Option<String>,
    v: Option<String>,
}

/// The generation tag of a variant: the unique part of its object key.
pub fn tag(row: &VariantRow) -> &str {
    row.object_key
        .rsplit('/')
        .next()
        .and_then(|name| name.split(['-', '.']).nth(1))
        .unwrap_or_default()
}

/// The URL of a variant as pages and the API give it out.
pub fn url(file: FileId, row: &VariantRow) -> String {
    let format = if row.format == "webp" { "&format=webp" } else { "" };
    format!("/api/v1/files/{file}/variants/{}?v={}{format}", row.name, tag(row))
}

pub async fn get(
    State(state): State<AppState>,
    reader: Reader,
    Path((id, name)): Path<(String, String)>,
    Query(q): Query<VariantQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let id = FileId::parse(&id).ok_or(AppError::NotFound)?;
    // `large` is the web-size copy (2400 px): a download in all but name, given to those
    // who may take web sizes of a delivery that offers them. Smaller sizes are for looking.
    let web_offered = |transfer: &db::transfers::Transfer| {
        transfer.direction != crate::domain::Direction::Delivery || transfer.download_sizes.web
    };
    match &reader {
        Reader::User(caller) => {
            let file = db::files::find(state.db.pool(), id).await?.ok_or(AppError::NotFound)?;
            let transfer = transfers::readable(&state, &caller.user, file.transfer).await?;
            if !transfers::can_see_file(&caller.user, &file) {
                return Err(AppError::NotFound);
            }
            if name == "large" && caller.user.role != crate::domain::Role::Studio && !web_offered(&transfer) {
                return Err(AppError::Forbidden);
            }
        }
        Reader::Guest(guest) => {
            guest.require(crate::guests::Permission::View)?;
            let file = guest.file(&state, id).await?;
            if name == "large" {
                let may =
                    guest.may(crate::guests::Permission::DownloadWeb) || guest.may(crate::guests::Permission::Download);
                if !may || !web_offered(&guest.transfer(file.transfer)?) {
                    return Err(AppError::Forbidden);
                }
            }
        }
    }
    let format = match q.format.as_deref() {
        None | Some("jpeg") | Some("jpg") => "jpeg",
        Some("webp") => "webp",
        Some(_) => return Err(AppError::validation("format", "expected jpeg or webp")),
    };
    let row = db::variants::for_file(state.db.pool(), id)
        .await?
        .into_iter()
        .find(|v| v.name == name && v.format == format)
        .ok_or(AppError::NotFound)?;
    let cache = if q.v.as_deref() == Some(tag(&row)) {
        "private, max-age=31536000, immutable"
    } else {
        "private, no-cache"
    };
    serve(&state, &row, &headers, cache).await
}

/// A variant's bytes with its ETag (its generation and format) and the caller's cache
/// policy, or 304 when the browser has it; shared by the private and the public routes.
pub(super) async fn serve(
    state: &AppState,
    row: &VariantRow,
    headers: &HeaderMap,
    cache: &'static str,
) -> Result<Response, AppError> {
    let etag = format!("\"{}-{}\"", tag(row), row.format);
    let etag_value = HeaderValue::from_str(&etag).map_err(AppError::internal)?;
    if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response());
    }
    let key = BlobKey::parse(&row.object_key).map_err(AppError::internal)?;
    let read = state.blobs.get(&key, None).await?;
    let mut response = Response::new(Body::from_stream(read.body));
    let h = response.headers_mut();
    let content_type = if row.format == "webp" {
        "image/webp"
    } else {
        "image/jpeg"
    };
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(row.size.max(0) as u64));
    h.insert(header::ETAG, etag_value);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Ok(response)
}

/// A poster image is read whole (it is small); anything larger is refused.
pub const POSTER_LIMIT: usize = 25 * 1024 * 1024;

/// `PUT /api/v1/files/{id}/poster`: a video's custom poster, from whoever may add files to
/// its transfer. It replaces the previous poster (automatic or custom) at once.
pub async fn put_poster(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    body: Body,
) -> Result<axum::Json<super::transfers::FileView>, AppError> {
    let id = FileId::parse(&id).ok_or(AppError::NotFound)?;
    let file = db::files::find(state.db.pool(), id).await?.ok_or(AppError::NotFound)?;
    let transfer = transfers::readable(&state, &caller.user, file.transfer).await?;
    if !transfers::can_upload(&caller.user, &transfer) {
        return Err(AppError::Forbidden);
    }
    if file.category != crate::domain::Category::Video && !file.media_type.starts_with("video/") {
        return Err(AppError::validation("file", "only a video has a poster"));
    }
    let bytes = axum::body::to_bytes(body, POSTER_LIMIT)
        .await
        .map_err(|_| AppError::PayloadTooLarge {
            detail: format!("a poster is at most {} MiB", POSTER_LIMIT / (1024 * 1024)),
        })?;
    // The same bounds as every decode: the header first, then the shared memory budget.
    let max_pixels = state.cfg.media.max_pixels;
    crate::media::image::within(&bytes, max_pixels).map_err(|e| AppError::validation("poster", e))?;
    let pixels = crate::media::image::pixels_hint(&bytes).unwrap_or(0);
    let mib = crate::media::decode_cost_mib(bytes.len() as u64, pixels)
        .ok_or_else(|| AppError::validation("poster", crate::media::over_budget(bytes.len() as u64, pixels)))?;
    let _permit = state.media_budget.acquire_many(mib).await.map_err(AppError::internal)?;
    let made = tokio::task::spawn_blocking(move || crate::media::image::make(&bytes, max_pixels))
        .await
        .map_err(AppError::internal)?
        .map_err(|e| AppError::validation("poster", e))?;
    crate::media::save_variants(&state.db, state.blobs.as_ref(), &state.clock, id, &made, Some("custom"))
        .await
        .map_err(AppError::internal)?;
    let file = db::files::find(state.db.pool(), id).await?.ok_or(AppError::NotFound)?;
    let variants = db::variants::for_file(state.db.pool(), id).await?;
    Ok(axum::Json(super::transfers::FileView::new(file, &variants)))
}
