//! Proofs of identity: passwords, TOTP and recovery codes, sessions, API tokens.
//! Nothing here knows about HTTP.

pub mod login;
pub mod password;
pub mod qr;
pub mod secrets;
pub mod sessions;
pub mod totp;

use crate::db::DbError;

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown address, wrong password, or an account that has no password yet: one
    /// answer for all, so the answer tells nothing about which addresses exist.
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("a one-time code from the authenticator app is required")]
    TotpRequired,
    #[error("the one-time code is wrong, expired or already used")]
    TotpInvalid,
    #[error("this account is disabled")]
    AccountDisabled,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("authentication failure: {0}")]
    Internal(String),
}
