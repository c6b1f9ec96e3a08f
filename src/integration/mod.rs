//! The quote site's integration: who may call (integrations and their signing secrets) and
//! how a call proves it (Standard Webhooks signatures), what it sends (`records`) and how
//! that is applied (`sync`). The routes are in `http::integration`.

mod appointment_sync;

pub mod idempotency;

pub mod signature;
pub mod sync;

use crate::db::{self, DbError};
use crate::state::AppState;
use signature::Secret;

#[derive(Debug, thiserror::Error)]
pub enum IntegrationError {
    #[error("name: {0}")]
    InvalidName(String),
    #[error("no such integration, or it is revoked")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Creates an integration; returns its id and its secret, shown only this once.
pub async fn create(state: &AppState, name: &str) -> Result<(String, Secret), IntegrationError> {
    let name = crate::accounts::token_label(name).map_err(IntegrationError::InvalidName)?;
    let secret = Secret::generate();
    let id = db::integrations::insert(&state.db, &name, &secret.expose(), state.clock.now()).await?;
    // Clients' pages offer "Quotes & invoices" from now on (other nodes within seconds).
    state.studio.reload().await?;
    Ok((id, secret))
}

/// How long the previous secret keeps working after a rotation: time for the quote site
/// to deploy the new one.
pub const ROTATION_GRACE: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Gives an integration a new secret; the previous one works for [`ROTATION_GRACE`] more.
/// Returns the new secret (shown once) and when the old one stops.
pub async fn rotate(state: &AppState, id: &str) -> Result<(Secret, crate::domain::Timestamp), IntegrationError> {
    let secret = Secret::generate();
    let now = state.clock.now();
    let until = now + ROTATION_GRACE;
    if db::integrations::rotate(&state.db, id, &secret.expose(), now, until).await? {
        Ok((secret, until))
    } else {
        Err(IntegrationError::NotFound)
    }
}

/// Stops an integration at once: none of its secrets signs any more.
pub async fn revoke(state: &AppState, id: &str) -> Result<(), IntegrationError> {
    if db::integrations::revoke(&state.db, id, state.clock.now()).await? {
        Ok(())
    } else {
        Err(IntegrationError::NotFound)
    }
}
