//! `POST /api/v1/session` (log in), `GET` (who am I), `DELETE` (log out).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::ApiJson;
use super::auth::{Caller, ClientAddr, Via, cookie_value};
use crate::activity::{self, Event, Kind};
use crate::auth::AuthError;
use crate::auth::login::{self, Attempt};
use crate::auth::sessions::{self, COOKIE_NAME, IDLE_TIMEOUT};
use crate::db;
use crate::db::users::User;
use crate::domain::Locale;
use crate::domain::Role;
use crate::http::error::{AppError, FieldError};
use crate::state::AppState;

#[derive(Deserialize)]
pub struct LoginBody {
    email: String,
    password: String,
    /// A six-digit TOTP code, or a recovery code.
    #[serde(default)]
    totp: Option<String>,
}

#[derive(Serialize)]
pub struct SessionView {
    user: User,
    /// To send as `X-CSRF-Token` with state-changing requests; absent for bearer tokens.
    csrf_token: Option<String>,
}

fn session_cookie(state: &AppState, value: &str, max_age_secs: u64) -> Result<HeaderValue, AppError> {
    let secure = if state.cfg.is_https() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    ))
    .map_err(AppError::internal)
}

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(ip): ClientAddr,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginBody>,
) -> Result<Response, AppError> {
    // Failures count per account and address: a stranger's guesses never lock the owner
    // out; guessing from many addresses only slows the account down.
    let wait = state.limits.login.before(&body.email, ip)?;
    if !wait.is_zero() {
        tokio::time::sleep(wait).await;
    }
    let attempt = Attempt {
        email: &body.email,
        password: &body.password,
        second_factor: body.totp.as_deref(),
    };
    let result = login::authenticate(&state.db, &state.clock, attempt).await;
    match &result {
        Ok(_) => state.limits.login.succeeded(&body.email, ip),
        Err(AuthError::InvalidCredentials | AuthError::TotpInvalid) => state.limits.login.failed(&body.email, ip),
        Err(_) => {}
    }
    let user = result?;

    // Whatever session the browser had before is ended: the new one gets a new id.
    if let Some(old) = cookie_value(&headers, COOKIE_NAME) {
        sessions::close(&state.db, &old).await?;
    }
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let opened = sessions::open(
        &state.db,
        user.id,
        ip.map(|i| i.to_string()),
        user_agent,
        state.clock.now(),
    )
    .await?;
    tracing::info!(user = %user.id, role = user.role.as_str(), "login");
    let event = Event::new(Kind::Login, Some(user.id));
    let event = if user.role == Role::Client {
        event.client(user.id)
    } else {
        event
    };
    activity::record(state.db.pool(), &event, state.clock.now()).await?;
    let cookie = session_cookie(&state, &opened.secret, IDLE_TIMEOUT.as_secs())?;
    let view = SessionView {
        user,
        csrf_token: Some(opened.csrf_token),
    };
    Ok((StatusCode::CREATED, [(header::SET_COOKIE, cookie)], axum::Json(view)).into_response())
}

pub async fn current(caller: Caller) -> axum::Json<SessionView> {
    let csrf_token = match caller.via {
        Via::Session { csrf_token, .. } => Some(csrf_token),
        Via::Token => None,
    };
    axum::Json(SessionView {
        user: caller.user,
        csrf_token,
    })
}

pub async fn me(caller: Caller) -> axum::Json<User> {
    axum::Json(caller.user)
}

#[derive(Deserialize)]
pub struct ProfileBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    locale: Option<String>,
}

/// `PATCH /api/v1/me`: one's own name and language.
pub async fn update_me(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<ProfileBody>,
) -> Result<axum::Json<User>, AppError> {
    let mut errors = Vec::new();
    let name = body.name.as_deref().map(str::trim);
    if name.is_some_and(|n| n.is_empty() || n.chars().count() > 200) {
        errors.push(FieldError::new("name", "expected 1 to 200 characters"));
    }
    let locale = body.locale.as_deref().map(Locale::parse);
    if locale.is_some_and(|l| l.is_none()) {
        errors.push(FieldError::new("locale", "expected fr or en"));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let id = caller.user.id;
    db::users::update_profile(state.db.pool(), id, name, locale.flatten(), state.clock.now()).await?;
    let user = db::users::find(state.db.pool(), id)
        .await?
        .ok_or(AppError::Unauthenticated)?;
    Ok(axum::Json(user))
}

pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<Response, AppError> {
    if let Via::Session { secret, .. } = &caller.via {
        sessions::close(&state.db, secret).await?;
    }
    let cookie = session_cookie(&state, "", 0)?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}
