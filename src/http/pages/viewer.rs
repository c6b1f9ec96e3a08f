//! Who is looking at a page, and in which language. Reading a page needs no CSRF token;
//! the token is handed to the page's scripts for the API calls they make.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use super::{Chrome, PageError, Texts};
use crate::auth::sessions::{self, COOKIE_NAME};
use crate::db::users::User;
use crate::domain::{Locale, Role};
use crate::http::auth::cookie_value;
use crate::state::AppState;

/// The language cookie the switch sets, for visitors who are not signed in.
pub const LANG_COOKIE: &str = "relais_lang";

pub struct Viewer {
    pub user: Option<User>,
    pub csrf: Option<String>,
    pub locale: Locale,
    pub studio: std::sync::Arc<crate::studio::Identity>,
    /// The path asked for, to come back to after signing in.
    pub path: String,
}

/// The account's language, else the switch's cookie, else the browser's first language
/// Relais speaks, else French.
fn locale(parts: &Parts, user: Option<&User>) -> Locale {
    locale_of(&parts.headers, user)
}

/// [`Viewer`]'s choice of language for any request: API answers that people read too
/// (an archive's name) speak as the pages do.
pub(crate) fn locale_of(headers: &HeaderMap, user: Option<&User>) -> Locale {
    if let Some(u) = user {
        return u.locale;
    }
    if let Some(l) = cookie_value(headers, LANG_COOKIE).and_then(|v| Locale::parse(&v)) {
        return l;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .into_iter()
        .flat_map(|v| v.split(','))
        .filter_map(|tag| Locale::parse(tag.split(';').next().unwrap_or_default()))
        .next()
        .unwrap_or_default()
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let mut user = None;
        let mut csrf = None;
        if let Some(secret) = cookie_value(&parts.headers, COOKIE_NAME)
            && let Some(session) = sessions::resolve(&state.db, &secret, state.clock.now()).await?
        {
            user = Some(session.user);
            csrf = Some(session.csrf_token);
        }
        let path = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".into());
        Ok(Viewer {
            locale: locale(parts, user.as_ref()),
            user,
            csrf,
            studio: state.studio.identity().await?,
            path,
        })
    }
}

impl Viewer {
    pub fn texts(&self) -> &'static Texts {
        Texts::for_locale(self.locale)
    }

    pub fn chrome(&self, section: &'static str, title: impl Into<String>) -> Chrome {
        Chrome {
            t: self.texts(),
            studio: self.studio.clone(),
            user: self.user.clone(),
            csrf: self.csrf.clone().unwrap_or_default(),
            section,
            title: title.into(),
        }
    }

    /// The signed-in account, or a trip to the login page.
    pub fn signed_in(&self) -> Result<&User, PageError> {
        self.user.as_ref().ok_or_else(|| PageError::SignIn {
            next: self.path.clone(),
        })
    }

    /// A signed-in client; the studio is taken to its own pages.
    pub fn client(&self) -> Result<&User, PageError> {
        let user = self.signed_in()?;
        if user.role == Role::Client {
            Ok(user)
        } else {
            Err(PageError::Redirect("/studio".into()))
        }
    }

    /// A signed-in studio account; a client gets 403.
    pub fn studio(&self) -> Result<&User, PageError> {
        let user = self.signed_in()?;
        if user.role == Role::Studio {
            Ok(user)
        } else {
            Err(PageError::Forbidden)
        }
    }
}
