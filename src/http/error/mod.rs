//! `AppError`: the one place that decides what a caller may see of a failure. Every
//! error becomes `application/problem+json` (RFC 9457) with a stable `code`; server
//! faults become an opaque body and their cause goes to the log, never to the client.

mod from_domain;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use relais_storage::BlobError;
use serde::Serialize;

use crate::auth::AuthError;
use crate::db::DbError;

/// tus answers a checksum mismatch with this non-standard status.
const CHECKSUM_MISMATCH: StatusCode = match StatusCode::from_u16(460) {
    Ok(s) => s,
    Err(_) => StatusCode::BAD_REQUEST,
};

pub use crate::domain::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("the request has invalid fields")]
    Validation(Vec<FieldError>),
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    #[error("authentication required")]
    Unauthenticated,
    /// A signed request whose signature is missing, wrong or outside the time window:
    /// one answer for all, so a caller learns nothing about which.
    #[error("the webhook signature is missing, invalid or outside the 5-minute window")]
    InvalidSignature,
    #[error(transparent)]
    Auth(AuthError),
    #[error("you are not allowed to do this")]
    Forbidden,
    #[error("missing or wrong CSRF token")]
    Csrf,
    #[error("not found")]
    NotFound,
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("{detail}")]
    Unprocessable { code: &'static str, detail: String },
    #[error("{detail}")]
    PayloadTooLarge { detail: String },
    #[error("{detail}")]
    UnsupportedMediaType { detail: String },
    #[error("this upload has expired")]
    Gone,
    /// A guest's link that needs (the right) PIN first.
    #[error("{detail}")]
    LinkLocked { code: &'static str, detail: String },
    /// A guest's link that no longer opens anything: revoked, expired, or its delivery is.
    #[error("{detail}")]
    LinkGone { code: &'static str, detail: String },
    #[error("another request is writing to this upload; retry shortly")]
    Locked,
    /// The client's idea of the offset is not ours; `current` goes in `Upload-Offset`.
    #[error("the upload is at offset {current}")]
    OffsetMismatch { current: u64 },
    #[error("the checksum of the received bytes does not match Upload-Checksum; they were discarded")]
    ChecksumMismatch,
    /// Only tus 1.0.0 is spoken.
    #[error("unsupported Tus-Resumable version (this server speaks 1.0.0)")]
    TusVersion,
    /// The disk is full: the request is fine and can be sent again once room is made.
    #[error("the server's storage is full; try again once room is made")]
    InsufficientStorage,
    /// The request (its body included) took longer than its route allows.
    #[error("the request took longer than {after_secs} s and was stopped; send it again")]
    RequestTimeout { after_secs: u64 },
    #[error("too many requests; retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// A dependency (database, storage) is down; worth retrying later.
    #[error("{code}")]
    Unavailable { code: &'static str, cause: String },
    #[error("internal error")]
    Internal(String),
}

#[derive(Serialize)]
struct Problem<'a> {
    #[serde(rename = "type")]
    kind: String,
    title: &'a str,
    status: u16,
    code: &'a str,
    detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<&'a [FieldError]>,
    /// Seconds to wait before trying again (also in `Retry-After`), for pages to say it.
    #[serde(skip_serializing_if = "Option::is_none")]
    retry_after: Option<u64>,
}

impl AppError {
    pub fn validation(field: &str, message: impl ToString) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::Internal(cause.to_string())
    }

    /// The HTTP status and the stable, machine-readable code.
    pub fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::Validation(_) => (StatusCode::UNPROCESSABLE_ENTITY, "validation_failed"),
            AppError::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "authentication_required"),
            AppError::InvalidSignature => (StatusCode::UNAUTHORIZED, "invalid_signature"),
            AppError::Auth(e) => match e {
                AuthError::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
                AuthError::TotpRequired => (StatusCode::UNAUTHORIZED, "totp_required"),
                AuthError::TotpInvalid => (StatusCode::UNAUTHORIZED, "totp_invalid"),
                AuthError::AccountDisabled => (StatusCode::FORBIDDEN, "account_disabled"),
                AuthError::Db(_) | AuthError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
            },
            AppError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::Csrf => (StatusCode::FORBIDDEN, "csrf_failed"),
            AppError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Conflict { code, .. } => (StatusCode::CONFLICT, code),
            AppError::Unprocessable { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
            AppError::PayloadTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            AppError::UnsupportedMediaType { .. } => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            AppError::Gone => (StatusCode::GONE, "upload_expired"),
            AppError::LinkLocked { code, .. } => (StatusCode::UNAUTHORIZED, code),
            AppError::LinkGone { code, .. } => (StatusCode::GONE, code),
            AppError::Locked => (StatusCode::LOCKED, "upload_locked"),
            AppError::OffsetMismatch { .. } => (StatusCode::CONFLICT, "offset_mismatch"),
            // tus's own status for a checksum mismatch.
            AppError::ChecksumMismatch => (CHECKSUM_MISMATCH, "checksum_mismatch"),
            AppError::TusVersion => (StatusCode::PRECONDITION_FAILED, "unsupported_tus_version"),
            AppError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            AppError::RequestTimeout { .. } => (StatusCode::REQUEST_TIMEOUT, "request_timeout"),
            AppError::InsufficientStorage => (StatusCode::INSUFFICIENT_STORAGE, "insufficient_storage"),
            AppError::Unavailable { code, .. } => (StatusCode::SERVICE_UNAVAILABLE, code),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal_error"),
        }
    }

    fn public_detail(&self, status: StatusCode) -> String {
        if status.is_server_error() {
            match self {
                AppError::Unavailable { .. } => "A service Relais depends on is unavailable; try again shortly.".into(),
                AppError::InsufficientStorage => self.to_string(),
                _ => "An internal error occurred. It has been logged.".into(),
            }
        } else {
            self.to_string()
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        if status.is_server_error() {
            // The cause is for the operator's eyes only.
            let cause = match &self {
                AppError::Unavailable { cause, .. } | AppError::Internal(cause) => cause.clone(),
                other => format!("{other:?}"),
            };
            tracing::error!(code, %cause, "request failed");
        }
        let errors = match &self {
            AppError::Validation(list) => Some(list.as_slice()),
            _ => None,
        };
        let problem = Problem {
            kind: format!("/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            code,
            detail: self.public_detail(status),
            errors,
            retry_after: match &self {
                AppError::RateLimited { retry_after_secs } => Some((*retry_after_secs).max(1)),
                _ => None,
            },
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match self {
            AppError::RateLimited { retry_after_secs } => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs.max(1)));
            }
            AppError::OffsetMismatch { current } => {
                headers.insert("upload-offset", HeaderValue::from(current));
            }
            AppError::TusVersion => {
                headers.insert("tus-version", HeaderValue::from_static("1.0.0"));
            }
            // The rest of a body that took too long is not worth reading.
            AppError::RequestTimeout { .. } => {
                headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            _ => {}
        }
        response
    }
}

impl From<DbError> for AppError {
    fn from(err: DbError) -> Self {
        match &err {
            DbError::Sqlx(sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed)
            | DbError::Connect { .. } => AppError::Unavailable {
                code: "database_unavailable",
                cause: err.to_string(),
            },
            _ => AppError::Internal(err.to_string()),
        }
    }
}

impl From<AuthError> for AppError {
    fn from(err: AuthError) -> Self {
        match err {
            AuthError::Db(db) => db.into(),
            AuthError::Internal(cause) => AppError::Internal(cause),
            other => AppError::Auth(other),
        }
    }
}

impl From<BlobError> for AppError {
    fn from(err: BlobError) -> Self {
        match err {
            BlobError::NotFound { .. } => AppError::NotFound,
            e if e.is_disk_full() => {
                tracing::error!(error = %e, "storage is full");
                AppError::InsufficientStorage
            }
            BlobError::InvalidRange => AppError::BadRequest {
                code: "invalid_range",
                detail: err.to_string(),
            },
            e if e.is_transient() => AppError::Unavailable {
                code: "storage_unavailable",
                cause: e.to_string(),
            },
            e @ (BlobError::Unauthorized { .. } | BlobError::NoSuchBucket { .. }) => AppError::Unavailable {
                code: "storage_unavailable",
                cause: e.to_string(),
            },
            e => AppError::Internal(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body_of(err: AppError) -> (StatusCode, serde_json::Value, Option<String>) {
        let response = err.into_response();
        let status = response.status();
        let ctype = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.expect("body");
        assert_eq!(ctype.as_deref(), Some("application/problem+json"));
        (status, serde_json::from_slice(&bytes).expect("json"), ctype)
    }

    #[tokio::test]
    async fn server_errors_never_show_their_cause() {
        let (status, body, _) = body_of(AppError::internal("password authentication failed for user relais")).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(body["code"], "internal_error");
        assert!(!body.to_string().contains("password authentication"), "{body}");
    }

    #[tokio::test]
    async fn validation_errors_list_each_field() {
        let err = AppError::Validation(vec![
            FieldError::new("email", "not an email address"),
            FieldError::new("name", "empty"),
        ]);
        let (status, body, _) = body_of(err).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["errors"][1]["field"], "name");
        assert_eq!(body["status"], 422);
    }
}
