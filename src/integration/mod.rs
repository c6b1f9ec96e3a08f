//! The quote site's integration: who may call (integrations and their signing secrets) and
//! how a call proves it (Standard Webhooks signatures). The signed routes come next.

pub mod signature;

use crate::db::{self, DbError};
use crate::state::AppState;
use signature::Secret;

#[derive(Debug, thiserror::Error)]
pub enum IntegrationError {
    #[error("name: {0}")]
    InvalidName(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Creates an integration; returns its id and its secret, shown only this once.
pub async fn create(state: &AppState, name: &str) -> Result<(String, Secret), IntegrationError> {
    let name = crate::accounts::token_label(name).map_err(IntegrationError::InvalidName)?;
    let secret = Secret::generate();
    let id = db::integrations::insert(&state.db, &name, &secret.expose(), state.clock.now_ms()).await?;
    Ok((id, secret))
}
