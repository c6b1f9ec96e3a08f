//! The studio's client accounts: `GET/POST /api/v1/clients`, `PATCH /api/v1/clients/{id}`,
//! `POST /api/v1/clients/{id}/invitation`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::ApiJson;
use super::auth::Studio;
use super::list_pages::Paged;
use crate::accounts;
use crate::db::{self, users::User};
use crate::domain::{Locale, UserId};
use crate::http::error::AppError;
use crate::state::AppState;

#[derive(Serialize)]
pub struct ClientView {
    #[serde(flatten)]
    user: User,
    stored_bytes: u64,
    /// Invited but has not chosen a password yet.
    invitation_pending: bool,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    limit: Option<String>,
    cursor: Option<String>,
}

/// `GET /api/v1/clients[?q=…][&limit=N&cursor=C]`: by name; a page at a time with `limit`
/// (the next page's address in the `Link` header).
pub async fn list(
    State(state): State<AppState>,
    _: Studio,
    Query(query): Query<ListQuery>,
) -> Result<(axum::http::HeaderMap, axum::Json<Vec<ClientView>>), AppError> {
    let paged = Paged::parse(query.limit.as_deref(), query.cursor.as_deref(), 2)?;
    let after = paged.after.as_ref().map(|k| (k[0].as_str(), k[1].as_str()));
    let mut clients =
        db::users::clients_page(state.db.pool(), query.q.trim(), after, paged.limit.map(|l| l + 1)).await?;
    let more = paged.limit.is_some_and(|l| clients.len() > l as usize);
    clients.truncate(paged.limit.map_or(usize::MAX, |l| l as usize));
    let headers = match clients.last() {
        Some((_, key)) if more => {
            let search = query.q.trim();
            let filter: Vec<(&str, String)> = if search.is_empty() {
                Vec::new()
            } else {
                vec![("q", search.to_owned())]
            };
            paged.next_link("/api/v1/clients", &filter, key)
        }
        _ => axum::http::HeaderMap::new(),
    };
    let views = clients.into_iter().map(|(c, _)| ClientView {
        user: c.user,
        stored_bytes: c.stored_bytes,
        invitation_pending: c.invited_pending,
    });
    Ok((headers, axum::Json(views.collect())))
}

#[derive(Deserialize)]
pub struct CreateBody {
    email: String,
    name: String,
    #[serde(default)]
    locale: Option<String>,
}

/// Creates the account and emails the invitation in one go.
pub async fn create(
    State(state): State<AppState>,
    Studio(caller): Studio,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, axum::Json<User>), AppError> {
    let locale = match body.locale.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => Locale::Fr,
        Some(l) => Locale::parse(l).ok_or_else(|| AppError::validation("locale", "expected fr or en"))?,
    };
    let user = accounts::create_client(&state, Some(caller.user.id), &body.email, &body.name, locale).await?;
    Ok((StatusCode::CREATED, axum::Json(user)))
}

fn client_id(id: &str) -> Result<UserId, AppError> {
    UserId::parse(id).ok_or(AppError::NotFound)
}

/// Either or both: `{"disabled": bool}`, `{"quota": bytes | null}` (null: no quota).
#[derive(Deserialize)]
pub struct UpdateBody {
    disabled: Option<bool>,
    /// Present and null clears the quota; absent leaves it.
    #[serde(default, deserialize_with = "present")]
    quota: Option<Option<u64>>,
    /// Whether the client may make links for their own guests.
    #[serde(default)]
    may_share: Option<bool>,
}

/// Tells "absent" (`None`) from "null" (`Some(None)`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<u64>>, D::Error> {
    Option::<u64>::deserialize(d).map(Some)
}

pub async fn update(
    State(state): State<AppState>,
    Studio(caller): Studio,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateBody>,
) -> Result<axum::Json<User>, AppError> {
    let id = client_id(&id)?;
    if body.disabled.is_none() && body.quota.is_none() && body.may_share.is_none() {
        return Err(AppError::validation("disabled", "give disabled, quota or may_share"));
    }
    let mut user = None;
    if let Some(may) = body.may_share {
        let client = crate::db::users::find(state.db.pool(), id)
            .await?
            .filter(|u| u.role == crate::domain::Role::Client)
            .ok_or(AppError::NotFound)?;
        crate::db::users::set_may_share(state.db.pool(), id, may, state.clock.now()).await?;
        user = Some(client);
    }
    if let Some(quota) = body.quota {
        user = Some(accounts::set_client_quota(&state, caller.user.id, id, quota).await?);
    }
    if let Some(disabled) = body.disabled {
        user = Some(accounts::set_client_disabled(&state, caller.user.id, id, disabled).await?);
    }
    user.map(axum::Json).ok_or(AppError::NotFound)
}

pub async fn reinvite(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    accounts::reinvite(&state, client_id(&id)?).await?;
    Ok(StatusCode::ACCEPTED)
}
