//! A JSON extractor whose rejections are problem+json like every other error.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use crate::http::error::AppError;

pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(reject(rejection)),
        }
    }
}

fn reject(rejection: JsonRejection) -> AppError {
    let detail = rejection.body_text();
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge { detail },
        StatusCode::UNSUPPORTED_MEDIA_TYPE => AppError::BadRequest {
            code: "unsupported_media_type",
            detail: "expected Content-Type: application/json".into(),
        },
        StatusCode::UNPROCESSABLE_ENTITY => AppError::BadRequest {
            code: "invalid_body",
            detail,
        },
        _ => AppError::BadRequest {
            code: "invalid_json",
            detail,
        },
    }
}
