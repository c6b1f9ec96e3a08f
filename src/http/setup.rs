//! `POST /api/v1/setup`: the first-run link creates the first studio account.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::ApiJson;
use crate::auth::qr;
use crate::http::error::AppError;
use crate::setup;
use crate::state::AppState;

/// Every field defaults to empty, so that a missing one is reported with the others.
#[derive(Deserialize)]
#[serde(default)]
#[derive(Default)]
pub struct SetupBody {
    token: String,
    /// The studio's name (clients and visitors see it).
    studio_name: String,
    /// The owner's own name.
    name: String,
    email: String,
    password: String,
}

/// What the browser shows once: the TOTP enrolment and the recovery codes.
#[derive(Serialize)]
pub struct Created {
    email: String,
    totp_uri: String,
    totp_secret: String,
    qr_svg: Option<String>,
    recovery_codes: Vec<String>,
}

pub async fn create(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SetupBody>,
) -> Result<(StatusCode, axum::Json<Created>), AppError> {
    let form = setup::FirstStudio {
        token: &body.token,
        studio_name: &body.studio_name,
        name: &body.name,
        email: &body.email,
        password: &body.password,
    };
    let account = setup::create_first_studio(&state, form).await?;
    let secret = url::Url::parse(&account.totp_uri)
        .ok()
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == "secret")
                .map(|(_, v)| v.into_owned())
        })
        .unwrap_or_default();
    Ok((
        StatusCode::CREATED,
        axum::Json(Created {
            email: account.user.email.clone(),
            qr_svg: qr::svg(&account.totp_uri),
            totp_uri: account.totp_uri,
            totp_secret: secret,
            recovery_codes: account.recovery_codes,
        }),
    ))
}
