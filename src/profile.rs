//! What people change about their own account: password, and (clients) an optional
//! second factor. The studio's TOTP is set at account creation and always required.

use std::time::Duration;

use crate::accounts::AccountError;
use crate::auth::secrets::{random_token, sha256_hex};
use crate::auth::totp::{self, Enrolment};
use crate::auth::{AuthError, password};
use crate::db::users::User;
use crate::db::{self, DbError};
use crate::domain::{Email, NewPassword, Role};
use crate::mail::{self, notices};
use crate::state::AppState;

/// Changes the password after checking the current one; every other session ends.
pub async fn change_password(
    state: &AppState,
    user: &User,
    current: &str,
    new: &NewPassword,
    keep_session_hash: Option<&str>,
) -> Result<(), AccountError> {
    check_password(state, user, current).await?;
    let hash = password::hash(new.expose()).await?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    db::users::set_password(&mut *tx, user.id, &hash, now).await?;
    crate::accounts::password_set(&mut tx, user.id, now).await?;
    match keep_session_hash {
        Some(keep) => db::sessions::delete_others(&mut *tx, user.id, keep).await?,
        None => db::sessions::delete_for_user(&mut *tx, user.id).await?,
    }
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// Starts a client's TOTP enrolment: a new secret, effective once a code confirms it.
pub async fn start_totp(state: &AppState, user: &User) -> Result<Enrolment, AccountError> {
    if user.role == Role::Studio || user.totp_enabled {
        return Err(AccountError::Invalid {
            field: "totp",
            message: "two-step verification is already on".into(),
        });
    }
    let issuer = format!("Relais ({})", state.cfg.public_url.host_str().unwrap_or("relais"));
    let enrolment = totp::enrol(&issuer, &user.email)?;
    db::users::set_pending_totp(state.db.pool(), user.id, &enrolment.secret, state.clock.now()).await?;
    Ok(enrolment)
}

/// Confirms a pending enrolment with a code from the app; returns the recovery codes,
/// shown once.
pub async fn confirm_totp(state: &AppState, user: &User, code: &str) -> Result<Vec<String>, AccountError> {
    let credentials = db::users::credentials_by_id(state.db.pool(), user.id)
        .await?
        .ok_or(AccountError::UnknownAccount)?;
    let (Some(secret), false) = (credentials.totp_secret, credentials.user.totp_enabled) else {
        return Err(AccountError::Invalid {
            field: "totp",
            message: "start the enrolment first".into(),
        });
    };
    let now = state.clock.now();
    let step = totp::check(&secret, code.trim(), state.clock.now_secs()).ok_or(AuthError::TotpInvalid)?;
    let codes = totp::recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_code_hash(c)).collect();
    let mut tx = state.db.begin().await?;
    if !db::users::claim_totp_step(&mut *tx, user.id, step as i64, now).await? {
        return Err(AuthError::TotpInvalid.into());
    }
    db::users::insert_recovery_codes(&mut tx, user.id, &hashes, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(codes)
}

/// How long the link confirming a new address works.
pub const EMAIL_CHANGE_VALIDITY: Duration = Duration::from_secs(24 * 3600);

async fn check_password(state: &AppState, user: &User, current: &str) -> Result<(), AccountError> {
    let credentials = db::users::credentials_by_id(state.db.pool(), user.id)
        .await?
        .ok_or(AccountError::UnknownAccount)?;
    if password::verify(credentials.password_hash.as_deref(), current).await? {
        Ok(())
    } else {
        Err(AccountError::Invalid {
            field: "current_password",
            message: "this is not your current password".into(),
        })
    }
}

/// Sends a confirmation link to the new address; the account keeps its address until the
/// link is opened, so a typo never locks anyone out.
pub async fn request_email_change(
    state: &AppState,
    user: &User,
    new_email: &str,
    current_password: &str,
) -> Result<(), AccountError> {
    let email = Email::parse(new_email).map_err(|e| AccountError::Invalid {
        field: "email",
        message: e.to_string(),
    })?;
    check_password(state, user, current_password).await?;
    if db::users::find_by_email(state.db.pool(), &email).await?.is_some() {
        return Err(AccountError::EmailTaken);
    }
    let token = random_token("");
    let now = state.clock.now();
    let link = state
        .cfg
        .public_url
        .join(&format!("email/confirm/{token}"))
        .map_err(|e| AccountError::Invalid {
            field: "public_url",
            message: e.to_string(),
        })?;
    let to = notices::Recipient {
        locale: user.locale,
        address: email.as_str(),
        name: &user.name,
    };
    let message = notices::email_change(&to, &state.studio.name().await?, link.as_str())?;
    let mut tx = state.db.begin().await?;
    db::users::insert_email_change(
        &mut tx,
        &sha256_hex(&token),
        user.id,
        &email,
        now,
        now + EMAIL_CHANGE_VALIDITY,
    )
    .await?;
    mail::queue(&mut tx, &state.mailer, &message, Some(user.id), now).await?;
    tx.commit().await.map_err(DbError::from)?;
    state.jobs_queued();
    Ok(())
}

/// Opens an email-change link: the account moves to the new address, every other link
/// mailed to it ends, and the old address is told (a takeover would not go unnoticed).
pub async fn confirm_email_change(state: &AppState, token: &str) -> Result<(), AccountError> {
    let now = state.clock.now();
    let studio = state.studio.name().await?;
    let mut tx = state.db.begin().await?;
    let moved = db::users::apply_email_change(&mut tx, &sha256_hex(token.trim()), now).await;
    let (user, old) = match moved {
        Ok(Some(found)) => found,
        Ok(None) => return Err(AccountError::InvalidLink),
        Err(e) if e.is_unique_violation() => return Err(AccountError::EmailTaken),
        Err(e) => return Err(e.into()),
    };
    crate::accounts::address_changed(&mut tx, user, now).await?;
    let account = db::users::find(&mut *tx, user)
        .await?
        .ok_or_else(|| DbError::Corrupt("account vanished".into()))?;
    crate::accounts::announce_move(state, &mut tx, &account, &old, &studio, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    state.jobs_queued();
    Ok(())
}
