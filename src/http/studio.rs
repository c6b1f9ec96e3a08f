//! The studio's identity: `GET`/`PATCH /api/v1/studio` (name, taglines, contact address),
//! `PUT`/`DELETE /api/v1/studio/logo`, and the public `/logo` every page shows.

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::ApiJson;
use super::auth::Studio;
use crate::db;
use crate::http::error::{AppError, FieldError};
use crate::state::AppState;
use crate::studio::{Changes, Identity, LOGO_MAX_BYTES, LogoError, check_logo};

#[derive(serde::Deserialize)]
pub struct LogoQuery {
    v: Option<String>,
}

#[derive(Serialize)]
pub struct StudioView {
    name: String,
    tagline: Option<String>,
    tagline_en: Option<String>,
    contact_email: Option<String>,
    /// The logo's address, absent without a logo.
    logo: Option<String>,
    /// False while the name is only the fallback (nobody has named the studio yet).
    named: bool,
}

impl From<&Identity> for StudioView {
    fn from(i: &Identity) -> Self {
        Self {
            name: i.name.clone(),
            tagline: i.tagline.clone(),
            tagline_en: i.tagline_en.clone(),
            contact_email: i.contact_email.clone(),
            logo: i.logo_url(),
            named: i.named,
        }
    }
}

pub async fn get(State(state): State<AppState>, _: Studio) -> Result<axum::Json<StudioView>, AppError> {
    Ok(axum::Json(StudioView::from(&*state.studio.identity().await?)))
}

pub async fn update(
    State(state): State<AppState>,
    _: Studio,
    ApiJson(changes): ApiJson<Changes>,
) -> Result<axum::Json<StudioView>, AppError> {
    // What is stored now, not this node's copy: a field left out keeps its real value.
    let current = state.studio.reload().await?;
    let update = changes
        .apply(&current)
        .map_err(|errors| AppError::Validation(errors.into_iter().map(|(f, m)| FieldError::new(f, m)).collect()))?;
    state.studio.save(&update, state.clock.now()).await?;
    Ok(axum::Json(StudioView::from(&*state.studio.identity().await?)))
}

/// `PUT /api/v1/studio/logo`: the picture as the body. Its type comes from its bytes and
/// its size from its header; nothing is decoded.
pub async fn put_logo(State(state): State<AppState>, _: Studio, body: Body) -> Result<StatusCode, AppError> {
    let bytes = axum::body::to_bytes(body, LOGO_MAX_BYTES)
        .await
        .map_err(|_| AppError::PayloadTooLarge {
            detail: LogoError::TooLarge.to_string(),
        })?;
    let logo = check_logo(&bytes).map_err(|e| match e {
        LogoError::TooLarge => AppError::PayloadTooLarge { detail: e.to_string() },
        LogoError::NotAnImage => AppError::UnsupportedMediaType { detail: e.to_string() },
        LogoError::TooManyPixels => AppError::Unprocessable {
            code: "image_too_large",
            detail: e.to_string(),
        },
    })?;
    if state.studio.save_logo(Some(&logo), state.clock.now()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(unnamed())
    }
}

pub async fn delete_logo(State(state): State<AppState>, _: Studio) -> Result<StatusCode, AppError> {
    if state.studio.save_logo(None, state.clock.now()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(unnamed())
    }
}

/// A logo never stands in for the studio's name: the name comes first.
fn unnamed() -> AppError {
    AppError::Conflict {
        code: "studio_unnamed",
        detail: "name the studio before giving it a logo".into(),
    }
}

fn header_value(s: &str) -> Result<HeaderValue, AppError> {
    HeaderValue::from_str(s).map_err(AppError::internal)
}

/// `GET /logo`: public (it heads the public site). The URL the pages use carries the
/// logo's hash, so that one may be cached for good; any other is revalidated by ETag.
pub async fn logo(
    State(state): State<AppState>,
    Query(asked): Query<LogoQuery>,
    request: HeaderMap,
) -> Result<Response, AppError> {
    let logo = db::studio::logo(state.db.pool()).await?.ok_or(AppError::NotFound)?;
    let etag = format!("\"{}\"", logo.hash);
    if request
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes() == etag.as_bytes())
    {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, header_value(&etag)?)]).into_response());
    }
    // Judged against the served bytes' own hash: an old URL never keeps the new picture
    // for good under its name, nor the other way round.
    let immutable = asked
        .v
        .as_deref()
        .is_some_and(|v| v.len() >= 8 && logo.hash.starts_with(v));
    let mut response = logo.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, header_value(&logo.content_type)?);
    headers.insert(header::ETAG, header_value(&etag)?);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if immutable {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        }),
    );
    Ok(response)
}
