//! Who may see and fill which transfer.

pub mod lifecycle;

use crate::db::transfers::{NewTransfer, Transfer};
use crate::db::users::User;
use crate::db::{self, DbError};
use crate::domain::{Direction, Role, Timestamp, TransferId, UserId};
use crate::state::AppState;

/// Title of the transfer a client's uploads go to when they name none.
pub const DEFAULT_INBOUND_TITLE: &str = "Fichiers envoyés";

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// Missing, or not the caller's: the same answer, so ids reveal nothing.
    #[error("no such transfer")]
    NotFound,
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("the client was already told of this delivery")]
    AlreadyAnnounced,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// The studio sees every transfer; a client their own inbound transfers and the
/// deliveries published to them that have not expired.
pub fn can_read(user: &User, transfer: &Transfer, now: Timestamp) -> bool {
    match user.role {
        Role::Studio => true,
        Role::Client => transfer.client == Some(user.id) && transfer.is_visible_to_client(now),
    }
}

/// Whether `user` sees this file of a transfer they may read: a guest's file waiting for
/// the studio's review ("à valider") is the studio's alone until it is accepted.
pub fn can_see_file(user: &User, file: &crate::db::files::FileRecord) -> bool {
    user.role == Role::Studio || !file.pending_review
}

/// The studio fills deliveries (and may add to inbound transfers); a client only their
/// own inbound transfers.
pub fn can_upload(user: &User, transfer: &Transfer) -> bool {
    match user.role {
        Role::Studio => true,
        Role::Client => transfer.client == Some(user.id) && transfer.direction == Direction::Inbound,
    }
}

pub async fn readable(state: &AppState, user: &User, id: TransferId) -> Result<Transfer, TransferError> {
    let transfer = db::transfers::find(state.db.pool(), id)
        .await?
        .ok_or(TransferError::NotFound)?;
    if can_read(user, &transfer, state.clock.now()) {
        Ok(transfer)
    } else {
        Err(TransferError::NotFound)
    }
}

/// Creates a transfer. Clients create inbound transfers for themselves; the studio names
/// the client and the direction.
pub async fn create(
    state: &AppState,
    user: &User,
    title: &str,
    direction: Option<Direction>,
    client: Option<UserId>,
) -> Result<Transfer, TransferError> {
    if direction == Some(Direction::Portfolio) {
        return Err(TransferError::Invalid {
            field: "direction",
            message: "the portfolio's files go into albums and stories".into(),
        });
    }
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(TransferError::Invalid {
            field: "title",
            message: "expected 1 to 200 characters".into(),
        });
    }
    let (client, direction) = match user.role {
        Role::Client => {
            if client.is_some_and(|c| c != user.id) {
                return Err(TransferError::Invalid {
                    field: "client",
                    message: "clients create transfers for themselves".into(),
                });
            }
            if direction == Some(Direction::Delivery) {
                return Err(TransferError::Invalid {
                    field: "direction",
                    message: "clients send inbound transfers".into(),
                });
            }
            (user.id, Direction::Inbound)
        }
        Role::Studio => {
            let client = client.ok_or(TransferError::Invalid {
                field: "client",
                message: "required for the studio".into(),
            })?;
            let account = db::users::find(state.db.pool(), client).await?;
            if !account.is_some_and(|a| a.role == Role::Client) {
                return Err(TransferError::Invalid {
                    field: "client",
                    message: "no such client".into(),
                });
            }
            (client, direction.unwrap_or(Direction::Delivery))
        }
    };
    let new = NewTransfer {
        client: Some(client),
        direction,
        title,
        is_default: false,
        created_by: user.id,
    };
    Ok(db::transfers::insert(state.db.pool(), new, state.clock.now()).await?)
}
