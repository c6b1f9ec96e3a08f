//! Guests' links: made, listed and revoked by the studio on a delivery; unlocked with
//! their PIN by the guest (see `crate::guests`).

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post};
use serde::{Deserialize, Serialize};

use super::ApiJson;
use super::auth::{Caller, ClientAddr, Reader, Uploader};
use crate::domain::{Timestamp, TransferId};
use crate::guests::{self, LinkRequest, LinkView};
use crate::http::error::AppError;
use crate::state::AppState;

pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/transfers/{id}/links", get(list).post(create))
        .route("/links/{id}", delete(revoke))
        .route("/links/current", get(current))
        .route("/links/current/complete", post(complete))
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
    expires_at: Option<Timestamp>,
    #[serde(default)]
    permissions: Option<Vec<String>>,
    #[serde(default)]
    max_files: Option<u64>,
    #[serde(default)]
    max_bytes: Option<u64>,
    #[serde(default)]
    categories: Option<Vec<String>>,
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
    /// The URL as a QR code (SVG), to print or project; shown once too.
    qr_svg: Option<String>,
    link: LinkView,
}

async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<impl IntoResponse, AppError> {
    let transfer = TransferId::parse(&id).ok_or(AppError::NotFound)?;
    let locale = match body.locale.as_deref() {
        None => None,
        Some(raw) => {
            Some(crate::domain::Locale::parse(raw).ok_or_else(|| AppError::validation("locale", "expected fr or en"))?)
        }
    };
    let input = LinkRequest {
        kind: body.kind,
        max_files: body.max_files,
        max_bytes: body.max_bytes,
        categories: body.categories,
        locale,
        label: body.label,
        email: body.email,
        pin: body.pin,
        expires_at: body.expires_at,
        permissions: body.permissions,
    };
    let (link, token) = guests::create_link(&state, &caller.user, transfer, input).await?;
    let url = guests::url(&state, &token);
    Ok((
        StatusCode::CREATED,
        axum::Json(Created {
            id: link.id.clone(),
            qr_svg: crate::auth::qr::svg(&url),
            url,
            token,
            link,
        }),
    ))
}

/// The studio lists every link of a transfer; a client the links they made on theirs.
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Vec<LinkView>>, AppError> {
    let transfer = TransferId::parse(&id).ok_or(AppError::NotFound)?;
    if caller.user.role == crate::domain::Role::Studio {
        crate::db::transfers::find(state.db.pool(), transfer)
            .await?
            .ok_or(AppError::NotFound)?;
        return Ok(axum::Json(guests::list(&state, transfer).await?));
    }
    crate::transfers::readable(&state, &caller.user, transfer).await?;
    Ok(axum::Json(
        guests::list_made_by(&state, transfer, caller.user.id).await?,
    ))
}

async fn revoke(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, AppError> {
    guests::revoke(&state, &caller.user, &id).await.map_err(|e| match e {
        guests::GuestError::Unknown => AppError::NotFound,
        other => other.into(),
    })?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UnlockBody {
    token: String,
    #[serde(default)]
    pin: Option<String>,
    /// Upload links: the name (and address, for a receipt) their files will carry.
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

#[derive(Serialize)]
struct Unlocked {
    /// A bearer token for the link's routes, valid until `expires_at`.
    token: String,
    expires_at: Timestamp,
}

async fn unlock(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    ApiJson(body): ApiJson<UnlockBody>,
) -> Result<axum::Json<Unlocked>, AppError> {
    let address = address.map_or_else(|| "unknown".to_owned(), |a| a.to_string());
    let opening = guests::Opening {
        pin: body.pin.as_deref(),
        name: body.name.as_deref(),
        email: body.email.as_deref(),
    };
    let (token, expires_at) = guests::unlock(&state, &body.token, opening, &address).await?;
    Ok(axum::Json(Unlocked { token, expires_at }))
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Current {
    View {
        label: String,
        transfer: String,
        permissions: Vec<guests::Permission>,
    },
    Upload {
        label: String,
        /// The name their files carry, when they gave one opening the link.
        name: Option<String>,
        max_files: Option<u64>,
        max_bytes: Option<u64>,
        categories: Option<Vec<&'static str>>,
        /// What this guest's session sent (nothing for the link's own token, which
        /// everyone holding it shares).
        files: Vec<SentFile>,
    },
}

#[derive(Serialize)]
struct SentFile {
    id: String,
    name: String,
    size: Option<u64>,
    status: &'static str,
    sha256: Option<String>,
    pending_review: bool,
}

/// A guest's token, of either kind of link.
async fn guest_of(state: &AppState, headers: &axum::http::HeaderMap) -> Result<Option<guests::Dropper>, AppError> {
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    match bearer {
        Some(token) if token.starts_with(guests::TOKEN_PREFIX) => match guests::resolve_upload(state, token).await {
            Ok(dropper) => Ok(Some(dropper)),
            Err(guests::GuestError::Unknown) => Ok(None),
            Err(e) => Err(e.into()),
        },
        _ => Ok(None),
    }
}

/// `GET /api/v1/links/current`: what the guest's token opens. A view link: its delivery
/// (then `GET /api/v1/transfers/{transfer}` lists its files). An upload link: its limits
/// and what this guest sent through it.
async fn current(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    parts: Reading,
) -> Result<axum::Json<Current>, AppError> {
    if let Some(dropper) = guest_of(&state, &headers).await? {
        let files = guests::sent_files(&state, &dropper)
            .await?
            .into_iter()
            .map(|f| SentFile {
                id: f.id.to_string(),
                status: f.status.as_str(),
                size: f.size,
                sha256: f.sha256,
                pending_review: f.pending_review,
                name: f.name,
            })
            .collect();
        return Ok(axum::Json(Current::Upload {
            label: dropper.label,
            name: dropper.name,
            max_files: dropper.max_files,
            max_bytes: dropper.max_bytes,
            categories: dropper.categories.map(|c| c.into_iter().map(|c| c.as_str()).collect()),
            files,
        }));
    }
    match parts.0 {
        Some(Reader::Guest(guest)) => Ok(axum::Json(Current::View {
            permissions: guest.permissions(),
            label: guest.label,
            transfer: guest.transfer.to_string(),
        })),
        Some(Reader::User(_)) => Err(AppError::NotFound),
        None => Err(AppError::Unauthenticated),
    }
}

/// The `Reader` of a request, or `None` when it is not a view link's guest's.
struct Reading(Option<Reader>);

impl axum::extract::FromRequestParts<AppState> for Reading {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &AppState) -> Result<Self, AppError> {
        match Reader::from_request_parts(parts, state).await {
            Ok(reader) => Ok(Reading(Some(reader))),
            // An upload link's token is no reader: `current` answers for it.
            Err(AppError::Unauthenticated) => Ok(Reading(None)),
            Err(e) => Err(e),
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CompleteBody {
    /// The language of the guest's receipt: `fr` (default) or `en`.
    #[serde(default)]
    locale: Option<String>,
}

#[derive(Serialize)]
struct Completed {
    /// How many files the studio's email listed (0: nothing new, no email).
    announced: usize,
}

/// `POST /api/v1/links/current/complete`: an upload link's guest finished a batch; the
/// studio is told once, with what is new.
async fn complete(
    State(state): State<AppState>,
    caller: Uploader,
    body: axum::body::Bytes,
) -> Result<axum::Json<Completed>, AppError> {
    let Uploader::Guest(dropper) = caller else {
        return Err(AppError::NotFound);
    };
    // The body is optional: `{"locale":"en"}` asks for the guest's receipt in English.
    let body: CompleteBody = if body.iter().all(u8::is_ascii_whitespace) {
        CompleteBody::default()
    } else {
        serde_json::from_slice(&body).map_err(|e| AppError::BadRequest {
            code: "invalid_json",
            detail: e.to_string(),
        })?
    };
    let locale = match body.locale {
        None => crate::domain::Locale::default(),
        Some(raw) => {
            crate::domain::Locale::parse(&raw).ok_or_else(|| AppError::validation("locale", "expected fr or en"))?
        }
    };
    let announced = guests::announce_batch(&state, &dropper, locale).await?;
    Ok(axum::Json(Completed { announced }))
}
