//! Server-side sessions: the browser holds a random secret, the database its hash.

use std::time::Duration;

use super::secrets::{random_token, sha256_hex};
use crate::db::sessions::{ActiveSession, NewSession};
use crate::db::{self, Db, DbError};
use crate::domain::{Timestamp, UserId};

/// A session unused for this long ends.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(14 * 24 * 3600);
/// The expiry is slid forward at most this often, so reading pages does not write to the
/// database on every request.
const TOUCH_EVERY: Duration = Duration::from_secs(300);

pub const COOKIE_NAME: &str = "relais_session";

/// What the browser is given at login.
pub struct Opened {
    /// Goes into the cookie; never stored.
    pub secret: String,
    /// Sent back by the page with every state-changing request.
    pub csrf_token: String,
}

/// Opens a new session. Always a new id: a session id known before login (fixation) is
/// worth nothing after it.
pub async fn open(
    db: &Db,
    user: UserId,
    ip: Option<String>,
    user_agent: Option<String>,
    now: Timestamp,
) -> Result<Opened, DbError> {
    let secret = random_token("");
    let csrf_token = random_token("");
    let new = NewSession {
        id_hash: &sha256_hex(&secret),
        user_id: user,
        csrf_token: &csrf_token,
        expires_at: now + IDLE_TIMEOUT,
        ip,
        user_agent: user_agent.map(|ua| ua.chars().take(300).collect()),
    };
    db::sessions::insert(db.pool(), new, now).await?;
    Ok(Opened { secret, csrf_token })
}

/// The live session behind a cookie secret, sliding its expiry when due.
pub async fn resolve(db: &Db, secret: &str, now: Timestamp) -> Result<Option<ActiveSession>, DbError> {
    let id_hash = sha256_hex(secret);
    let session = db::sessions::find_active(db.pool(), &id_hash, now).await?;
    if let Some(s) = &session
        && now - s.last_seen_at > TOUCH_EVERY
    {
        db::sessions::touch(db.pool(), &id_hash, now, now + IDLE_TIMEOUT).await?;
    }
    Ok(session)
}

pub async fn close(db: &Db, secret: &str) -> Result<(), DbError> {
    db::sessions::delete(db.pool(), &sha256_hex(secret)).await
}
