//! Pages for people who are not signed in: login, forgotten password, the links of
//! invitation and reset emails.

use axum::extract::{Path, Query, State};
use axum::response::{Redirect, Response};
use serde::Deserialize;

use super::{Chrome, PageError, Viewer, render};
use crate::accounts;
use crate::db::links::Purpose;
use crate::state::AppState;

#[derive(askama::Template)]
#[template(path = "pages/login.html")]
struct LoginPage {
    chrome: Chrome,
    next: String,
    /// Just chose a password through a link.
    password_set: bool,
}

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    done: Option<String>,
}

/// Only a path on this site is a place to come back to (no open redirect): one leading
/// slash, no backslash, no whitespace or control characters (browsers drop tabs and
/// newlines, which would turn `/\t/evil.example` into `//evil.example`).
fn safe_next(next: Option<String>) -> String {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control())
    })
    .unwrap_or_else(|| super::START.into())
}

pub async fn login(viewer: Viewer, Query(q): Query<LoginQuery>) -> Result<Response, PageError> {
    if viewer.user.is_some() {
        return Ok(axum::response::IntoResponse::into_response(Redirect::to(&safe_next(
            q.next,
        ))));
    }
    let t = viewer.texts();
    render(LoginPage {
        chrome: viewer.chrome("login", t.login_title),
        next: safe_next(q.next),
        password_set: q.done.as_deref() == Some("password"),
    })
}

#[derive(askama::Template)]
#[template(path = "pages/forgot.html")]
struct ForgotPage {
    chrome: Chrome,
}

pub async fn forgot(viewer: Viewer) -> Result<Response, PageError> {
    let t = viewer.texts();
    render(ForgotPage {
        chrome: viewer.chrome("login", t.forgot_title),
    })
}

#[derive(askama::Template)]
#[template(path = "pages/set_password.html")]
struct SetPasswordPage {
    chrome: Chrome,
    usable: bool,
    heading: &'static str,
    lead: &'static str,
    endpoint: &'static str,
    token: String,
}

async fn set_password(
    state: &AppState,
    viewer: &Viewer,
    token: String,
    purpose: Purpose,
) -> Result<Response, PageError> {
    let t = viewer.texts();
    let usable = accounts::link_is_usable(state, &token, purpose)
        .await
        .map_err(|e| PageError::Internal(e.to_string()))?;
    let (heading, lead, endpoint) = match purpose {
        Purpose::Invitation => (t.invitation_title, t.invitation_lead, "/api/v1/invitations/accept"),
        Purpose::PasswordReset => (t.reset_title, t.new_password_hint, "/api/v1/password/reset"),
    };
    render(SetPasswordPage {
        chrome: viewer.chrome("login", heading),
        usable,
        heading,
        lead,
        endpoint,
        token,
    })
}

pub async fn invitation(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    set_password(&state, &viewer, token, Purpose::Invitation).await
}

pub async fn reset(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    set_password(&state, &viewer, token, Purpose::PasswordReset).await
}

#[derive(askama::Template)]
#[template(path = "pages/setup.html")]
struct SetupPage {
    chrome: Chrome,
    open: bool,
    /// A spent link whose work is done (the studio exists), not merely expired.
    done: bool,
    token: String,
}

/// The first-run link printed by `relais serve` while no studio account exists.
pub async fn setup(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(token): Path<String>,
) -> Result<Response, PageError> {
    let open = crate::setup::is_open(&state, &token)
        .await
        .map_err(|e| PageError::Internal(e.to_string()))?;
    let done = !open
        && crate::setup::done(&state)
            .await
            .map_err(|e| PageError::Internal(e.to_string()))?;
    let t = viewer.texts();
    render(SetupPage {
        chrome: viewer.chrome("login", t.setup_title),
        open,
        done,
        token,
    })
}

#[derive(askama::Template)]
#[template(path = "pages/profile.html")]
struct ProfilePage {
    chrome: Chrome,
    /// For a client: whether their address receives the newsletter.
    newsletter: Option<bool>,
}

/// Anyone signed in: name, language, password, two-step verification.
pub async fn profile(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    let user = viewer.signed_in()?;
    let newsletter = match user.role {
        crate::domain::Role::Client => Some(
            crate::newsletter::client_subscribed(&state, &user.email)
                .await
                .map_err(crate::http::error::AppError::from)?,
        ),
        crate::domain::Role::Studio => None,
    };
    let t = viewer.texts();
    render(ProfilePage {
        chrome: viewer.chrome("profile", t.profile_title),
        newsletter,
    })
}

#[derive(askama::Template)]
#[template(path = "pages/confirm_email.html")]
struct ConfirmEmailPage {
    chrome: Chrome,
    token: String,
}

/// The link sent to a new address; confirming is a deliberate click (mail scanners that
/// open links do not change anyone's address).
pub async fn confirm_email(viewer: Viewer, Path(token): Path<String>) -> Result<Response, PageError> {
    let t = viewer.texts();
    render(ConfirmEmailPage {
        chrome: viewer.chrome("login", t.email_confirm_title),
        token,
    })
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_places_to_come_back_to() {
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/x",
            "deliveries",
        ] {
            assert_eq!(safe_next(Some(bad.into())), "/space", "{bad:?}");
        }
        assert_eq!(
            safe_next(Some("/studio/clients?q=anne".into())),
            "/studio/clients?q=anne"
        );
        assert_eq!(safe_next(None), "/space");
    }
}
