//! Forgotten passwords: `POST /api/v1/password/forgot` (always 202, whether or not the
//! address has an account) and `POST /api/v1/password/reset`.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::ApiJson;
use crate::accounts;
use crate::domain::NewPassword;
use crate::http::error::AppError;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct ForgotBody {
    email: String,
}

pub async fn forgot(State(state): State<AppState>, ApiJson(body): ApiJson<ForgotBody>) -> Result<StatusCode, AppError> {
    // Its own bucket: asking for links to someone's address must not lock their logins.
    state
        .limits
        .check_login(&format!("password-reset:{}", body.email.trim().to_lowercase()))?;
    // Looked up, linked and mailed in a job: this answer takes the same time whether or
    // not the address has an account.
    crate::jobs::password_reset::queue(&state, &body.email).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize)]
pub struct ResetBody {
    token: String,
    password: String,
}

pub async fn reset(State(state): State<AppState>, ApiJson(body): ApiJson<ResetBody>) -> Result<StatusCode, AppError> {
    let password = NewPassword::parse(&body.password).map_err(|e| AppError::validation("password", e))?;
    accounts::reset_password(&state, &body.token, &password).await?;
    Ok(StatusCode::NO_CONTENT)
}
