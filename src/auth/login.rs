//! Checking who someone is: password, then second factor where the account has one.

use super::{AuthError, password, totp};
use crate::clock::Clock;
use crate::db::{self, Db};
use crate::domain::{Email, Role};

pub struct Attempt<'a> {
    pub email: &'a str,
    pub password: &'a str,
    /// A six-digit TOTP code or a recovery code.
    pub second_factor: Option<&'a str>,
}

/// Returns the account when every proof holds. Unknown addresses, malformed addresses,
/// accounts without a password and wrong passwords all cost one Argon2 verification and
/// give the same error.
pub async fn authenticate(db: &Db, clock: &Clock, attempt: Attempt<'_>) -> Result<db::users::User, AuthError> {
    let credentials = match Email::parse(attempt.email) {
        Ok(email) => db::users::credentials(db.pool(), &email).await?,
        Err(_) => None,
    };
    let stored = credentials.as_ref().and_then(|c| c.password_hash.as_deref());
    if !password::verify(stored, attempt.password).await? {
        return Err(AuthError::InvalidCredentials);
    }
    let Some(credentials) = credentials else {
        return Err(AuthError::InvalidCredentials);
    };
    let mut user = credentials.user;
    if user.disabled {
        return Err(AuthError::AccountDisabled);
    }

    // Studio accounts always need a second factor; clients when they enrolled one.
    let needs_second_factor = user.role == Role::Studio || user.totp_enabled;
    if !needs_second_factor {
        return Ok(user);
    }
    let Some(secret) = credentials.totp_secret else {
        // A studio account without a TOTP secret cannot have been made by Relais; refuse
        // rather than let it in with a password alone.
        return Err(AuthError::TotpRequired);
    };
    let code = attempt
        .second_factor
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .ok_or(AuthError::TotpRequired)?;
    let now = clock.now();
    let accepted = if totp::looks_like_totp(code) {
        let claimed = match totp::check(&secret, code, clock.now_secs()) {
            Some(step) => db::users::claim_totp_step(db.pool(), user.id, step as i64, now).await?,
            None => false,
        };
        // The first accepted code confirms the enrolment (see `claim_totp_step`).
        user.totp_enabled |= claimed;
        claimed
    } else {
        db::users::use_recovery_code(db.pool(), user.id, &totp::recovery_code_hash(code), now).await?
    };
    if accepted {
        Ok(user)
    } else {
        Err(AuthError::TotpInvalid)
    }
}
