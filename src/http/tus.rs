//! tus 1.0 at `/api/v1/uploads`: core, creation, creation-with-upload,
//! creation-defer-length, termination, expiration, checksum (sha1, sha256).

use axum::Router;
use axum::body::Body as HttpBody;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures_util::{StreamExt, TryStreamExt};

use super::auth::Uploader;
use crate::domain::{Timestamp, UploadId};
use crate::http::error::AppError;
use crate::state::AppState;
use crate::uploads::{self, Checksum, NewUpload, PatchRequest};

const TUS_VERSION: &str = "1.0.0";
const EXTENSIONS: &str = "creation,creation-with-upload,creation-defer-length,termination,expiration,checksum";
const OFFSET_OCTET_STREAM: &str = "application/offset+octet-stream";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/uploads", post(create).options(capabilities))
        .route(
            "/uploads/{id}",
            axum::routing::head(status)
                .patch(write)
                .delete(terminate)
                .options(capabilities),
        )
        // Bodies are streamed and bounded by the upload's length, not buffered.
        .layer(DefaultBodyLimit::disable())
        .layer(middleware::from_fn(protocol))
}

/// Every answer says `Tus-Resumable`; every request but OPTIONS must speak 1.0.0.
async fn protocol(req: Request, next: Next) -> Response {
    let speaks = req.headers().get("tus-resumable").is_some_and(|v| v == TUS_VERSION);
    let mut response = if req.method() == Method::OPTIONS || speaks {
        next.run(req).await
    } else {
        AppError::TusVersion.into_response()
    };
    response
        .headers_mut()
        .insert("tus-resumable", HeaderValue::from_static(TUS_VERSION));
    response
}

async fn capabilities(State(state): State<AppState>) -> impl IntoResponse {
    (
        StatusCode::NO_CONTENT,
        [
            ("tus-version", TUS_VERSION.to_owned()),
            ("tus-extension", EXTENSIONS.to_owned()),
            ("tus-max-size", state.cfg.uploads.max_file_size.bytes().to_string()),
            ("tus-checksum-algorithm", "sha1,sha256".to_owned()),
        ],
    )
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn header_u64(headers: &HeaderMap, name: &str) -> Result<Option<u64>, AppError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Some)
            .ok_or_else(|| AppError::BadRequest {
                code: "invalid_header",
                detail: format!("{name} must be a non-negative integer"),
            }),
    }
}

fn upload_id(raw: &str) -> Result<UploadId, AppError> {
    UploadId::parse(raw).ok_or(AppError::NotFound)
}

/// `Upload-Expires` is an HTTP date.
fn http_date(at: Timestamp) -> HeaderValue {
    let when = at.to_offset_date_time().unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    when.format(&format)
        .ok()
        .and_then(|s| HeaderValue::from_str(&s).ok())
        .unwrap_or(HeaderValue::from_static(""))
}

fn body_stream(body: HttpBody) -> uploads::Body {
    body.into_data_stream().map_err(std::io::Error::other).boxed()
}

fn patch_request(headers: &HeaderMap, offset: u64) -> Result<PatchRequest, AppError> {
    Ok(PatchRequest {
        offset,
        length: header_u64(headers, "upload-length")?,
        checksum: header_str(headers, "upload-checksum")
            .map(Checksum::parse)
            .transpose()?,
        content_length: header_u64(headers, "content-length")?,
    })
}

async fn create(
    State(state): State<AppState>,
    caller: Uploader,
    headers: HeaderMap,
    body: HttpBody,
) -> Result<Response, AppError> {
    let length = match (
        header_u64(&headers, "upload-length")?,
        header_str(&headers, "upload-defer-length"),
    ) {
        (Some(length), None) => Some(length),
        (None, Some("1")) => None,
        _ => {
            return Err(AppError::BadRequest {
                code: "invalid_header",
                detail: "send Upload-Length, or Upload-Defer-Length: 1, but not both".into(),
            });
        }
    };
    let metadata = header_str(&headers, "upload-metadata").unwrap_or_default();
    let new = NewUpload { length, metadata };
    let upload = match &caller {
        Uploader::User(c) => uploads::create(&state, &c.user, new).await?,
        Uploader::Guest(dropper) => uploads::create_through_link(&state, &dropper.drop_spec()?, new).await?,
    };
    let sender = caller.sender();
    let location = format!("/api/v1/uploads/{}", upload.id);
    let mut answer = vec![(
        header::LOCATION,
        HeaderValue::from_str(&location).map_err(AppError::internal)?,
    )];

    let with_body = header_str(&headers, "content-type") == Some(OFFSET_OCTET_STREAM);
    let mut expires_at = upload.expires_at;
    if with_body || length == Some(0) {
        let request = patch_request(&headers, 0)?;
        // The upload exists whatever happens to its first bytes: answer with its place
        // and the offset actually stored, so the client can carry on with PATCH.
        let offset = match uploads::patch(&state, &sender, upload.id, request, body_stream(body)).await {
            Ok(progress) => {
                expires_at = progress.expires_at;
                progress.offset
            }
            Err(e) => {
                tracing::info!(upload = %upload.id, error = %e, "creation-with-upload kept no bytes");
                uploads::find_for(&state, &sender, upload.id)
                    .await
                    .map(|u| u.offset)
                    .unwrap_or(0)
            }
        };
        answer.push((HeaderName::from_static("upload-offset"), HeaderValue::from(offset)));
    }
    answer.push((HeaderName::from_static("upload-expires"), http_date(expires_at)));
    let mut response = StatusCode::CREATED.into_response();
    response.headers_mut().extend(answer);
    Ok(response)
}

async fn status(State(state): State<AppState>, caller: Uploader, Path(id): Path<String>) -> Result<Response, AppError> {
    let upload = uploads::status(&state, &caller.sender(), upload_id(&id)?).await?;
    let mut response = StatusCode::OK.into_response();
    let h = response.headers_mut();
    h.insert("upload-offset", HeaderValue::from(upload.offset));
    match upload.length {
        Some(length) => h.insert("upload-length", HeaderValue::from(length)),
        None => h.insert("upload-defer-length", HeaderValue::from_static("1")),
    };
    if !upload.metadata.is_empty()
        && let Ok(v) = HeaderValue::from_str(&upload.metadata)
    {
        h.insert("upload-metadata", v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("upload-expires", http_date(upload.expires_at));
    Ok(response)
}

async fn write(
    State(state): State<AppState>,
    caller: Uploader,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: HttpBody,
) -> Result<Response, AppError> {
    let id = upload_id(&id)?;
    if header_str(&headers, "content-type") != Some(OFFSET_OCTET_STREAM) {
        return Err(AppError::UnsupportedMediaType {
            detail: format!("PATCH bodies must be {OFFSET_OCTET_STREAM}"),
        });
    }
    let offset = header_u64(&headers, "upload-offset")?.ok_or(AppError::BadRequest {
        code: "invalid_header",
        detail: "Upload-Offset is required".into(),
    })?;
    let request = patch_request(&headers, offset)?;
    let progress = uploads::patch(&state, &caller.sender(), id, request, body_stream(body)).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert("upload-offset", HeaderValue::from(progress.offset));
    response
        .headers_mut()
        .insert("upload-expires", http_date(progress.expires_at));
    Ok(response)
}

async fn terminate(
    State(state): State<AppState>,
    caller: Uploader,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    uploads::terminate(&state, &caller.sender(), upload_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
