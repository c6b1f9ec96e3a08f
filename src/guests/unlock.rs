//! Opening a link: a PIN traded for a short-lived token of its own (wrong PINs counted
//! before they are checked), and on an upload link a session carrying the guest's name.

use std::time::Duration;

use super::{GuestError, TOKEN_PREFIX, check_open, guest_name};
use crate::auth::secrets::{random_token, sha256_hex};
use crate::db::DbError;
use crate::db::guest_links::{self, LinkRow};
use crate::domain::Timestamp;
use crate::state::AppState;

/// How long a PIN, once entered, keeps a guest's browser or script in.
const SESSION: Duration = Duration::from_hours(12);
/// Wrong PINs counted over this window: at most `PIN_PER_ADDRESS` from one address, and
/// `PIN_PER_LINK` in all (a guesser with many addresses), before the link waits.
const PIN_WINDOW: Duration = Duration::from_mins(15);
const PIN_PER_ADDRESS: i64 = 5;
const PIN_PER_LINK: i64 = 30;

/// What a guest sends to open a link: its PIN (when it has one) and, on an upload link,
/// the name (and optional email) their files will carry.
#[derive(Default)]
pub struct Opening<'a> {
    pub pin: Option<&'a str>,
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
}

/// Trades a link's token (and its PIN, when it has one) for a token of its own, valid
/// `SESSION` (or until the link expires). Wrong PINs are counted per address and per
/// link. On an upload link the session also carries the guest's name, and is what their
/// browser's uploads belong to; a view link without a PIN needs no session.
pub async fn unlock(
    state: &AppState,
    token: &str,
    opening: Opening<'_>,
    address: &str,
) -> Result<(String, Timestamp), GuestError> {
    let now = state.clock.now();
    let link = guest_links::by_token(state.db.pool(), &sha256_hex(token))
        .await?
        .ok_or(GuestError::Unknown)?;
    check_open(state, &link, now).await?;
    let upload = link.kind == "upload";
    let (name, email) = if upload {
        // A script may leave the name to each upload's `uploader` metadata; the page
        // always asks for it.
        let name = opening
            .name
            .map(guest_name)
            .transpose()
            .map_err(|m| GuestError::Invalid {
                field: "name",
                message: m.to_owned(),
            })?;
        let email = match opening.email.map(str::trim).filter(|e| !e.is_empty()) {
            Some(e) => Some(
                crate::domain::Email::parse(e)
                    .map_err(|m| GuestError::Invalid {
                        field: "email",
                        message: m.to_string(),
                    })?
                    .as_str()
                    .to_owned(),
            ),
            None => None,
        };
        (name, email)
    } else {
        (None, None)
    };
    let Some(stored) = link.pin_hash.as_deref() else {
        if upload {
            return open_session(state, &link, name.as_deref(), email.as_deref(), now).await;
        }
        return Err(GuestError::Invalid {
            field: "pin",
            message: "this link has no PIN: use its token as it is".into(),
        });
    };
    let Some(pin) = opening.pin else {
        return Err(GuestError::PinRequired);
    };
    // The attempt is counted before the PIN is checked, in one transaction with the count
    // (the link's row held): guesses sent at once cannot all pass the limit together.
    let attempt = {
        let mut tx = state.db.begin().await?;
        guest_links::lock(&mut tx, state.db.backend(), &link.id).await?;
        let (all, here) = guest_links::pin_failures(&mut *tx, &link.id, address, now - PIN_WINDOW).await?;
        if here >= PIN_PER_ADDRESS || all >= PIN_PER_LINK {
            return Err(GuestError::Throttled {
                retry_after_secs: PIN_WINDOW.as_secs(),
            });
        }
        let attempt = guest_links::record_pin_attempt(&mut *tx, &link.id, address, now).await?;
        tx.commit().await.map_err(DbError::from)?;
        attempt
    };
    let right = crate::auth::password::verify(Some(stored), pin)
        .await
        .map_err(|e| GuestError::Db(DbError::Corrupt(e.to_string())))?;
    if !right {
        return Err(GuestError::WrongPin);
    }
    guest_links::forgive_pin_attempt(state.db.pool(), &attempt).await?;
    open_session(state, &link, name.as_deref(), email.as_deref(), now).await
}

async fn open_session(
    state: &AppState,
    link: &LinkRow,
    name: Option<&str>,
    email: Option<&str>,
    now: Timestamp,
) -> Result<(String, Timestamp), GuestError> {
    let session = random_token(TOKEN_PREFIX);
    let expires = link.expires_at.map_or(now + SESSION, |at| at.min(now + SESSION));
    let guest = guest_links::SessionGuest { name, email };
    guest_links::insert_session(state.db.pool(), &sha256_hex(&session), &link.id, guest, now, expires).await?;
    Ok((session, expires))
}

impl std::fmt::Debug for Opening<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opening")
            .field("pin", &self.pin.map(|_| "…"))
            .field("name", &self.name)
            .field("email", &self.email)
            .finish()
    }
}
