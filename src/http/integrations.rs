//! The studio's management of integrations: `GET/POST /api/v1/integrations`,
//! `POST /api/v1/integrations/{id}/rotation`, `DELETE /api/v1/integrations/{id}` and the
//! call log `GET /api/v1/integrations/calls`. The signed routes the quote site calls are
//! in `integration`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::ApiJson;
use super::auth::Studio;
use crate::db::{self, integrations::Call, integrations::Integration};
use crate::domain::Timestamp;
use crate::http::error::AppError;
use crate::integration;
use crate::state::AppState;

/// How many calls the log shows.
const CALLS_SHOWN: i64 = 200;

pub async fn list(State(state): State<AppState>, _: Studio) -> Result<axum::Json<Vec<Integration>>, AppError> {
    Ok(axum::Json(db::integrations::list(&state.db, state.clock.now()).await?))
}

#[derive(Deserialize)]
pub struct CreateBody {
    name: String,
}

/// A secret, shown this once.
#[derive(Serialize)]
pub struct Issued {
    id: String,
    secret: String,
    /// After a rotation: when the previous secret stops working.
    #[serde(skip_serializing_if = "Option::is_none")]
    previous_valid_until: Option<Timestamp>,
}

pub async fn create(
    State(state): State<AppState>,
    _: Studio,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, axum::Json<Issued>), AppError> {
    let (id, secret) = integration::create(&state, &body.name).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Issued {
            id,
            secret: secret.expose(),
            previous_valid_until: None,
        }),
    ))
}

pub async fn rotate(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
) -> Result<axum::Json<Issued>, AppError> {
    let (secret, until) = integration::rotate(&state, &id).await?;
    Ok(axum::Json(Issued {
        id,
        secret: secret.expose(),
        previous_valid_until: Some(until),
    }))
}

pub async fn revoke(State(state): State<AppState>, _: Studio, Path(id): Path<String>) -> Result<StatusCode, AppError> {
    integration::revoke(&state, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn calls(State(state): State<AppState>, _: Studio) -> Result<axum::Json<Vec<Call>>, AppError> {
    Ok(axum::Json(
        db::integrations::recent_calls(&state.db, CALLS_SHOWN).await?,
    ))
}
