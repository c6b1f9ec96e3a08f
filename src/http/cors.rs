//! Cross-origin access to the API for the origins in `cors_origins` (an upload form on
//! the studio's own site): bearer tokens only, never cookies, with the tus headers
//! readable and sendable. Written here rather than taken from tower-http because a plain
//! `OPTIONS` is tus capability discovery and must reach its handler; only a request
//! carrying `Access-Control-Request-Method` is a preflight.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::state::AppState;

const ALLOW_METHODS: &str = "GET, HEAD, POST, PATCH, PUT, DELETE, OPTIONS";
const ALLOW_HEADERS: &str = "authorization, content-type, range, if-range, x-requested-with, x-http-method-override, \
     tus-resumable, upload-length, upload-offset, upload-metadata, upload-defer-length, upload-checksum";
const EXPOSE_HEADERS: &str = "location, etag, content-range, content-disposition, tus-resumable, tus-version, \
     tus-extension, tus-max-size, tus-checksum-algorithm, upload-offset, upload-length, upload-metadata, \
     upload-defer-length, upload-expires";

pub async fn cors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let origin = req.headers().get(header::ORIGIN).cloned();
    let allowed = origin
        .as_ref()
        .and_then(|o| o.to_str().ok())
        .is_some_and(|o| state.cfg.cors_origins.iter().any(|a| a == o));
    let preflight =
        req.method() == Method::OPTIONS && req.headers().contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);

    let mut response = if preflight {
        let mut r = StatusCode::NO_CONTENT.into_response();
        if allowed {
            let h = r.headers_mut();
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(ALLOW_METHODS),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(ALLOW_HEADERS),
            );
            h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("3600"));
        }
        r
    } else {
        next.run(req).await
    };
    let h = response.headers_mut();
    h.append(header::VARY, HeaderValue::from_static("origin"));
    if let (true, Some(origin)) = (allowed, origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
    }
    response
}
