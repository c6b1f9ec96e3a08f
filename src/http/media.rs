//! `GET /media/{item}/{size}.{jpg|webp}` and `GET /media/{item}/video`: what the public
//! portfolio pages show, to anyone, for items of a published album or a live story only.
//! Pictures are the web variants (never the original, whose metadata may hold GPS); a
//! video streams with ranges for `<video>`. Unpublishing takes effect at once here; the
//! one-day cache lifetime bounds how long a browser keeps a copy it already has.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use relais_storage::keys;
use serde::Deserialize;

use super::downloads::requested_range;
use super::variants::{serve, tag};
use crate::domain::ItemId;
use crate::downloads::headers::{attachment, served_type};
use crate::http::error::AppError;
use crate::portfolio::public::visible_item;
use crate::state::AppState;

const CACHED: &str = "public, max-age=86400";
const REVALIDATE: &str = "public, no-cache";

#[derive(Deserialize)]
pub struct MediaQuery {
    v: Option<String>,
}

fn value(s: &str) -> Result<HeaderValue, AppError> {
    HeaderValue::from_str(s).map_err(AppError::internal)
}

fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
}

pub async fn get(
    State(state): State<AppState>,
    Path((item, name)): Path<(String, String)>,
    Query(q): Query<MediaQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let item = ItemId::parse(&item).ok_or(AppError::NotFound)?;
    let media = visible_item(&state, item).await?.ok_or(AppError::NotFound)?;
    if name == "video" {
        if !media.is_video() {
            return Err(AppError::NotFound);
        }
        // The web copy when it exists: the portfolio's visitors use every browser.
        let web = media.variant("web", "mp4").cloned();
        return video(&state, &media.file, web.as_ref(), &headers).await;
    }
    let (size, format) = match name.rsplit_once('.') {
        Some((size, "jpg")) => (size, "jpeg"),
        Some((size, "webp")) => (size, "webp"),
        _ => return Err(AppError::NotFound),
    };
    let row = media.variant(size, format).ok_or(AppError::NotFound)?;
    let cache = if q.v.as_deref() == Some(tag(row)) {
        CACHED
    } else {
        REVALIDATE
    };
    serve(&state, row, &headers, cache).await
}

async fn video(
    state: &AppState,
    file: &crate::db::files::FileRecord,
    web: Option<&crate::db::variants::VariantRow>,
    headers: &HeaderMap,
) -> Result<Response, AppError> {
    let (size, etag, key, kind) = match web {
        Some(web) => (
            web.size.max(0) as u64,
            format!("\"web-{}\"", tag(web)),
            relais_storage::BlobKey::parse(&web.object_key).map_err(AppError::internal)?,
            "video/mp4",
        ),
        None => (
            file.size.ok_or(AppError::NotFound)?,
            crate::downloads::etag(file),
            keys::file(file.id.uuid()),
            served_type(&file.media_type),
        ),
    };
    if not_modified(headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, value(&etag)?)]).into_response());
    }
    let range = match requested_range(headers, size, &etag)? {
        Ok(range) => range,
        Err(unsatisfiable) => return Ok(unsatisfiable),
    };
    let read = state.blobs.get(&key, range).await?;
    let (status, length) = match range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.len()),
        None => (StatusCode::OK, size),
    };
    let mut response = Response::new(Body::from_stream(read.body));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, value(kind)?);
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if let Some(r) = range {
        h.insert(
            header::CONTENT_RANGE,
            value(&format!("bytes {}-{}/{size}", r.start, r.end - 1))?,
        );
    }
    // `<video>` plays an attachment all the same; opened directly it downloads, and the
    // sandbox means it can run nothing either way.
    h.insert(header::CONTENT_DISPOSITION, value(&attachment(&file.name))?);
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; media-src 'self'; sandbox"),
    );
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    h.insert(header::ETAG, value(&etag)?);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(REVALIDATE));
    Ok(response)
}
