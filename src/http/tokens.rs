//! Personal API tokens: `GET/POST /api/v1/tokens`, `DELETE /api/v1/tokens/{id}`.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::ApiJson;
use super::auth::Caller;
use crate::accounts;
use crate::db::{self, tokens::TokenInfo};
use crate::domain::TokenId;
use crate::http::error::{AppError, FieldError};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct CreateBody {
    name: String,
    /// How long the token works: 1 to 3650 days, one year when absent.
    #[serde(default)]
    expires_in_days: Option<u32>,
}

#[derive(Serialize)]
pub struct Created {
    id: TokenId,
    name: String,
    /// Shown once; only its hash is kept.
    token: String,
    /// When it stops working by itself.
    expires_at: crate::domain::Timestamp,
}

pub async fn list(State(state): State<AppState>, caller: Caller) -> Result<axum::Json<Vec<TokenInfo>>, AppError> {
    Ok(axum::Json(db::tokens::list(state.db.pool(), caller.user.id).await?))
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, axum::Json<Created>), AppError> {
    let name = accounts::token_label(&body.name);
    let days = accounts::token_days(body.expires_in_days);
    let (name, days) = match (name, days) {
        (Ok(n), Ok(d)) => (n, d),
        (name, days) => {
            let mut errors = Vec::new();
            if let Err(m) = name {
                errors.push(FieldError::new("name", m));
            }
            if let Err(m) = days {
                errors.push(FieldError::new("expires_in_days", m));
            }
            return Err(AppError::Validation(errors));
        }
    };
    let (id, token, expires_at) = accounts::issue_token_for(&state, caller.user.id, &name, days).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Created {
            id,
            name,
            token,
            expires_at,
        }),
    ))
}

pub async fn revoke(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    let id = TokenId::parse(&id).ok_or(AppError::NotFound)?;
    // Someone else's token id answers exactly like one that does not exist.
    if db::tokens::revoke(state.db.pool(), caller.user.id, id, state.clock.now()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound)
    }
}
