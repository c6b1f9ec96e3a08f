//! Guests' links: made, listed and revoked by the studio on a delivery; unlocked with
//! their PIN by the guest (see `crate::guests`).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use serde::{Deserialize, Serialize};

use super::ApiJson;
use super::auth::{ClientAddr, Reader, Studio};
use crate::domain::TransferId;
use crate::error::AppError;
use crate::guests::{self, LinkView, NewViewLink};
use crate::state::AppState;

pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/transfers/{id}/links", get(list).post(create))
        .route("/links/{id}", delete(revoke))
        .route("/links/current", get(current))
        .route(
            "/links/unlock",
            // Per address, like logins; wrong PINs are also counted per link.
            post(unlock).route_layer(super::limits::per_ip_login_layer(state.cfg.behind_proxy)),
        )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    kind: String,
    #[serde(default)]
    label: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    pin: Option<String>,
    #[serde(default)]
    expires_at: Option<i64>,
    #[serde(default)]
    permissions: Option<Vec<String>>,
    /// The language of the email to `email`: `fr` (default) or `en`.
    #[serde(default)]
    locale: Option<String>,
}

#[derive(Serialize)]
struct Created {
    id: String,
    url: String,
    /// Shown once: only its hash is kept.
    token: String,
    link: LinkView,
}

async fn create(
    State(state): State<AppState>,
    Studio(caller): Studio,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<impl IntoResponse, AppError> {
    let transfer = TransferId::parse(&id).ok_or(AppError::NotFound)?;
    if body.kind != "view" {
        return Err(AppError::validation(
            "kind",
            "only view links can be made so far (upload links are coming)",
        ));
    }
    let locale = match body.locale.as_deref() {
        None => None,
        Some(raw) => {
            Some(crate::domain::Locale::parse(raw).ok_or_else(|| AppError::validation("locale", "expected fr or en"))?)
        }
    };
    let input = NewViewLink {
        locale,
        label: body.label,
        email: body.email,
        pin: body.pin,
        expires_at: body.expires_at,
        permissions: body.permissions,
    };
    let (link, token) = guests::create_view_link(&state, &caller.user, transfer, input).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(Created {
            id: link.id.clone(),
            url: guests::url(&state, &token),
            token,
            link,
        }),
    ))
}

async fn list(
    State(state): State<AppState>,
    Studio(_): Studio,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<LinkView>>, AppError> {
    let transfer = TransferId::parse(&id).ok_or(AppError::NotFound)?;
    crate::db::transfers::find(state.db.pool(), transfer)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(axum::Json(guests::list(&state, transfer).await?))
}

async fn revoke(
    State(state): State<AppState>,
    Studio(_): Studio,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    guests::revoke(&state, &id).await.map_err(|e| match e {
        guests::GuestError::Unknown => AppError::NotFound,
        other => other.into(),
    })?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnlockBody {
    token: String,
    pin: String,
}

#[derive(Serialize)]
struct Unlocked {
    /// A bearer token for the link's routes, valid until `expires_at`.
    token: String,
    expires_at: i64,
}

async fn unlock(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    ApiJson(body): ApiJson<UnlockBody>,
) -> Result<axum::Json<Unlocked>, AppError> {
    let address = address.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
    let (token, expires_at) = guests::unlock(&state, &body.token, &body.pin, &address).await?;
    Ok(axum::Json(Unlocked { token, expires_at }))
}

#[derive(Serialize)]
struct Current {
    label: String,
    transfer: String,
    permissions: Vec<guests::Permission>,
}

/// `GET /api/v1/links/current`: what the guest's token opens (then `GET
/// /api/v1/transfers/{transfer}` lists its files).
async fn current(reader: Reader) -> Result<axum::Json<Current>, AppError> {
    match reader {
        Reader::Guest(guest) => Ok(axum::Json(Current {
            permissions: guest.permissions(),
            label: guest.label,
            transfer: guest.transfer.to_string(),
        })),
        Reader::User(_) => Err(AppError::NotFound),
    }
}
