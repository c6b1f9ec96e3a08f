//! First run: while no studio account exists, `relais serve` prints a single-use link;
//! opening it creates the first studio account and enrols its TOTP in the browser, so the
//! owner needs no command beyond starting the server.

use std::time::Duration;

use url::Url;

use crate::accounts::{self, AccountError, StudioAccount};
use crate::auth::secrets::{random_token, sha256_hex};
use crate::db::{self, DbError};
use crate::domain::{Email, NewPassword, Role};
use crate::state::AppState;

/// How long a printed setup link works; a restart prints a new one.
pub const LINK_VALIDITY: Duration = Duration::from_secs(24 * 3600);

async fn studio_exists(state: &AppState) -> Result<bool, DbError> {
    Ok(db::users::count_by_role(state.db.pool(), Role::Studio).await? > 0)
}

/// A fresh setup link when no studio account exists yet (earlier links stop working).
pub async fn link_if_needed(state: &AppState) -> Result<Option<Url>, AccountError> {
    if studio_exists(state).await? {
        return Ok(None);
    }
    let token = random_token("");
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    db::setup::replace(&mut tx, &sha256_hex(&token), now, now + LINK_VALIDITY).await?;
    tx.commit().await.map_err(DbError::from)?;
    let link = state
        .cfg
        .public_url
        .join(&format!("setup/{token}"))
        .map_err(|e| AccountError::Invalid {
            field: "public_url",
            message: e.to_string(),
        })?;
    Ok(Some(link))
}

/// Whether the setup page should show its form.
pub async fn is_open(state: &AppState, token: &str) -> Result<bool, AccountError> {
    Ok(!studio_exists(state).await?
        && db::setup::is_usable(state.db.pool(), &sha256_hex(token.trim()), state.clock.now()).await?)
}

/// What the setup form sends.
pub struct FirstStudio<'a> {
    pub token: &'a str,
    /// The studio's name, as clients and visitors will see it.
    pub studio_name: &'a str,
    /// The owner's own name.
    pub name: &'a str,
    pub email: &'a str,
    pub password: &'a str,
}

/// Spends the link, creates the first studio account and names the studio. Everything
/// is checked before the link is spent, so a typo does not burn it, and every bad field
/// is reported at once.
pub async fn create_first_studio(state: &AppState, form: FirstStudio<'_>) -> Result<StudioAccount, AccountError> {
    let FirstStudio {
        token,
        studio_name,
        name,
        email,
        password,
    } = form;
    let mut errors = Vec::new();
    let studio_name = match crate::studio::studio_name(studio_name) {
        Ok(n) => n,
        Err(e) => {
            errors.push(("studio_name", e));
            String::new()
        }
    };
    if let Err(e) = Email::parse(email) {
        errors.push(("email", e.to_string()));
    }
    if let Err(e) = accounts::token_label(name) {
        errors.push(("name", e));
    }
    let password = NewPassword::parse(password);
    if let Err(e) = &password {
        errors.push(("password", e.to_string()));
    }
    if !errors.is_empty() {
        return Err(AccountError::InvalidFields(errors));
    }
    if studio_exists(state).await? {
        return Err(AccountError::InvalidLink);
    }
    if !db::setup::consume(state.db.pool(), &sha256_hex(token.trim()), state.clock.now()).await? {
        return Err(AccountError::InvalidLink);
    }
    let password = password.map_err(|e| AccountError::Invalid {
        field: "password",
        message: e.to_string(),
    })?;
    // The name first: if anything fails after the link is spent, the studio at least
    // has its name (a restart prints a new link while no account exists).
    let identity = crate::studio::Update {
        name: studio_name,
        tagline: None,
        tagline_en: None,
        contact_email: None,
    };
    state.studio.save(&identity, state.clock.now()).await?;
    accounts::create_studio(state, email, name, &password).await
}

/// Whether the studio account exists, for the page of a spent link.
pub async fn done(state: &AppState) -> Result<bool, AccountError> {
    Ok(studio_exists(state).await?)
}
