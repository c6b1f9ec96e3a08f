//! The idempotency ledger of the signed API: a `webhook-id` is bound to one request
//! (method, path, body) and, once answered, to its answer, for at least seven days.

use std::time::Duration;

use crate::db::{self, Db, DbError};
use crate::domain::Timestamp;

/// A request still marked in progress after this long was abandoned (its node died):
/// a retry takes it over instead of being told to wait forever.
const ABANDONED_AFTER: Duration = Duration::from_secs(60);

/// What a `webhook-id` is bound to: the method, the path with its query, and the SHA-256
/// of the body. The same id with another of these is refused.
pub fn request_hash(method: &str, target: &str, body_sha256: &str) -> String {
    use sha2::{Digest, Sha256};
    crate::auth::secrets::hex(&Sha256::digest(format!("{method} {target}\n{body_sha256}")))
}

/// The request may go ahead, or it was answered before.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    Fresh,
    Replay { status: u16, body: String },
}

#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    #[error("this webhook-id was already used for a different request; use a new id for a new request")]
    Reused,
    #[error("a request with this webhook-id is being processed; retry in a few seconds")]
    InProgress,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Claims `webhook_id` for the request `hash`, or says what the ledger holds: the stored
/// answer of a resend, another request under this id, or the first still running.
pub async fn claim(
    db: &Db,
    webhook_id: &str,
    integration: &str,
    hash: &str,
    now: Timestamp,
) -> Result<Claim, IdempotencyError> {
    if db::integrations::claim(db, webhook_id, integration, hash, now).await? {
        return Ok(Claim::Fresh);
    }
    let Some(seen) = db::integrations::seen(db, webhook_id).await? else {
        // Released between our insert and our read: the first attempt failed; go again.
        return match db::integrations::claim(db, webhook_id, integration, hash, now).await? {
            true => Ok(Claim::Fresh),
            false => Err(IdempotencyError::InProgress),
        };
    };
    if seen.request_hash != hash {
        return Err(IdempotencyError::Reused);
    }
    match (seen.status, seen.response) {
        (Some(status), Some(body)) => Ok(Claim::Replay {
            status: u16::try_from(status).unwrap_or(200),
            body,
        }),
        _ => {
            let abandoned = now - seen.claimed_at > ABANDONED_AFTER;
            if abandoned && db::integrations::take_over(db, webhook_id, seen.claimed_at, now).await? {
                Ok(Claim::Fresh)
            } else {
                Err(IdempotencyError::InProgress)
            }
        }
    }
}

/// Forgets the claim of a request that was refused or failed, so that the sender's retry
/// with the same id is processed afresh. A failure here only delays that retry until the
/// claim counts as abandoned.
pub async fn release(db: &Db, webhook_id: &str) {
    if let Err(e) = db::integrations::release(db, webhook_id).await {
        tracing::warn!(error = %e, "cannot release an idempotency claim; it expires on its own");
    }
}
