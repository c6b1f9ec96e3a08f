//! `POST /api/v1/invitations/accept`: the invited person chooses a password.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;

use super::ApiJson;
use crate::accounts;
use crate::domain::NewPassword;
use crate::http::error::AppError;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct AcceptBody {
    token: String,
    password: String,
}

pub async fn accept(State(state): State<AppState>, ApiJson(body): ApiJson<AcceptBody>) -> Result<StatusCode, AppError> {
    let password = NewPassword::parse(&body.password).map_err(|e| AppError::validation("password", e))?;
    accounts::accept_invitation(&state, &body.token, &password).await?;
    Ok(StatusCode::NO_CONTENT)
}
