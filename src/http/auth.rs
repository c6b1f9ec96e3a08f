//! Who is calling: a bearer token or a session cookie, resolved once per request.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use subtle::ConstantTimeEq;

use crate::auth::secrets::sha256_hex;
use crate::auth::sessions::{self, COOKIE_NAME};
use crate::db::{self, users::User};
use crate::domain::Role;
use crate::http::error::AppError;
use crate::state::AppState;

/// Header that carries the session's CSRF token on state-changing requests.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the caller proved who they are.
#[derive(Debug, Clone)]
pub enum Via {
    Token,
    /// The cookie's secret is kept to close the session at logout.
    Session {
        secret: String,
        csrf_token: String,
    },
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    pub via: Via,
}

/// A caller from the studio.
#[derive(Debug, Clone)]
pub struct Studio(pub Caller);

pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(cached) = parts.extensions.get::<Caller>() {
            return Ok(cached.clone());
        }
        let now = state.clock.now();
        let caller = if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
            let token = auth
                .to_str()
                .ok()
                .and_then(|v| v.strip_prefix("Bearer "))
                .map(str::trim)
                .ok_or(AppError::Unauthenticated)?;
            let user = db::tokens::authenticate(&state.db, &sha256_hex(token), now)
                .await?
                .ok_or(AppError::Unauthenticated)?;
            Caller { user, via: Via::Token }
        } else {
            let secret = cookie_value(&parts.headers, COOKIE_NAME).ok_or(AppError::Unauthenticated)?;
            let session = sessions::resolve(&state.db, &secret, now)
                .await?
                .ok_or(AppError::Unauthenticated)?;
            // A cookie rides along with requests other sites trigger; a state-changing
            // request must also prove it comes from our own page.
            if !is_safe(&parts.method) {
                let sent = parts.headers.get(CSRF_HEADER).map(|v| v.as_bytes()).unwrap_or_default();
                if !bool::from(sent.ct_eq(session.csrf_token.as_bytes())) {
                    return Err(AppError::Csrf);
                }
            }
            let user = session.user;
            Caller {
                user,
                via: Via::Session {
                    secret,
                    csrf_token: session.csrf_token,
                },
            }
        };
        if caller.user.disabled {
            return Err(AppError::Unauthenticated);
        }
        parts.extensions.insert(caller.clone());
        Ok(caller)
    }
}

impl FromRequestParts<AppState> for Studio {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if caller.user.role == Role::Studio {
            Ok(Studio(caller))
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// Where the request comes from, for rate limits and the session record.
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0);
        Ok(ClientAddr(super::limits::client_ip(
            &parts.headers,
            peer,
            state.cfg.behind_proxy,
        )))
    }
}

/// Who may read a delivery: an account, or a guest holding a link's token
/// (`Authorization: Bearer lnk_…`). Only the reading routes take it; every other route
/// asks for a `Caller`, which a link's token never is.
#[derive(Debug, Clone)]
pub enum Reader {
    User(Caller),
    Guest(crate::guests::Guest),
}

impl FromRequestParts<AppState> for Reader {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        match bearer {
            Some(token) if token.starts_with(crate::guests::TOKEN_PREFIX) => {
                Ok(Reader::Guest(crate::guests::resolve(state, token).await?))
            }
            // A guest's browser: the cookie its link page set. An account's live session
            // comes first; a stale one (expired, ended) does not hide the guest's cookie.
            None if let Some(held) = cookie_value(&parts.headers, crate::http::pages::GUEST_COOKIE)
                .filter(|c| c.starts_with(crate::guests::TOKEN_PREFIX)) =>
            {
                match Caller::from_request_parts(parts, state).await {
                    Ok(caller) => Ok(Reader::User(caller)),
                    Err(AppError::Unauthenticated) => {
                        // A cookie rides along with requests other sites make: a change
                        // (a favourite) must carry a header no form can set, which a
                        // script of another site cannot send without our consent.
                        if !is_safe(&parts.method) && !parts.headers.contains_key(CSRF_HEADER) {
                            return Err(AppError::Csrf);
                        }
                        Ok(Reader::Guest(crate::guests::resolve(state, &held).await?))
                    }
                    Err(e) => Err(e),
                }
            }
            _ => Ok(Reader::User(Caller::from_request_parts(parts, state).await?)),
        }
    }
}

/// Who may send files: an account, or a guest holding an upload link's token
/// (`Authorization: Bearer lnk_…`, the link's own or the session opened with it). Only
/// the tus routes take it; a guest's browser sends the bearer explicitly, never a
/// cookie, so no other site can make it upload.
#[derive(Debug, Clone)]
pub enum Uploader {
    User(Caller),
    Guest(crate::guests::Dropper),
}

impl Uploader {
    pub fn sender(&self) -> crate::uploads::Sender {
        match self {
            Uploader::User(caller) => crate::uploads::Sender::User(caller.user.id),
            Uploader::Guest(dropper) => dropper.sender(),
        }
    }
}

impl FromRequestParts<AppState> for Uploader {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        match bearer {
            Some(token) if token.starts_with(crate::guests::TOKEN_PREFIX) => {
                Ok(Uploader::Guest(crate::guests::resolve_upload(state, token).await?))
            }
            _ => Ok(Uploader::User(Caller::from_request_parts(parts, state).await?)),
        }
    }
}
