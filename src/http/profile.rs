//! `/api/v1/me/password` and `/api/v1/me/totp[/confirm]`: one's own password and second
//! factor.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::ApiJson;
use super::auth::{Caller, Via};
use crate::auth::qr;
use crate::auth::secrets::sha256_hex;
use crate::domain::NewPassword;
use crate::http::error::AppError;
use crate::profile;
use crate::state::AppState;

/// Guessing a current password or a code from a stolen session is limited per account,
/// apart from logins so that one does not lock the other.
fn account_changes(caller: &Caller) -> String {
    format!("account-change:{}", caller.user.id)
}

#[derive(Deserialize)]
pub struct PasswordBody {
    current_password: String,
    new_password: String,
}

pub async fn change_password(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<StatusCode, AppError> {
    state.limits.check_login(&account_changes(&caller))?;
    let new = NewPassword::parse(&body.new_password).map_err(|e| AppError::validation("new_password", e))?;
    let keep = match &caller.via {
        Via::Session { secret, .. } => Some(sha256_hex(secret)),
        Via::Token => None,
    };
    profile::change_password(&state, &caller.user, &body.current_password, &new, keep.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
pub struct TotpStarted {
    totp_uri: String,
    totp_secret: String,
    qr_svg: Option<String>,
}

pub async fn start_totp(State(state): State<AppState>, caller: Caller) -> Result<axum::Json<TotpStarted>, AppError> {
    let enrolment = profile::start_totp(&state, &caller.user).await?;
    Ok(axum::Json(TotpStarted {
        qr_svg: qr::svg(&enrolment.uri),
        totp_uri: enrolment.uri,
        totp_secret: enrolment.secret,
    }))
}

#[derive(Deserialize)]
pub struct ConfirmBody {
    totp: String,
}

#[derive(Serialize)]
pub struct TotpConfirmed {
    recovery_codes: Vec<String>,
}

pub async fn confirm_totp(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ConfirmBody>,
) -> Result<axum::Json<TotpConfirmed>, AppError> {
    state.limits.check_login(&account_changes(&caller))?;
    let recovery_codes = profile::confirm_totp(&state, &caller.user, &body.totp).await?;
    Ok(axum::Json(TotpConfirmed { recovery_codes }))
}

#[derive(Deserialize)]
pub struct EmailBody {
    email: String,
    current_password: String,
}

/// `POST /api/v1/me/email`: a confirmation link goes to the new address.
pub async fn change_email(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<EmailBody>,
) -> Result<StatusCode, AppError> {
    state.limits.check_login(&account_changes(&caller))?;
    profile::request_email_change(&state, &caller.user, &body.email, &body.current_password).await?;
    Ok(StatusCode::ACCEPTED)
}

#[derive(Deserialize)]
pub struct ConfirmEmailBody {
    token: String,
}

/// `POST /api/v1/email/confirm`: the link's token is the proof; no session needed.
pub async fn confirm_email(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ConfirmEmailBody>,
) -> Result<StatusCode, AppError> {
    profile::confirm_email_change(&state, &body.token).await?;
    Ok(StatusCode::NO_CONTENT)
}
