//! Account operations shared by the CLI and the HTTP API: creating studio and client
//! accounts, invitations, personal API tokens.

use std::time::Duration;

use crate::activity::{self, Event, Kind};
use crate::auth::secrets::{API_TOKEN_PREFIX, random_token, sha256_hex};
use crate::auth::{AuthError, password, totp};
use crate::db::links::Purpose;
use crate::db::users::{NewUser, User};
use crate::db::{self, DbError};
use crate::domain::{DAY, Email, HOUR, Locale, NewPassword, Role, Timestamp, TokenId, UserId};
use crate::mail::{self, notices};
use crate::state::AppState;

/// How long an invitation link works.
pub const INVITATION_VALIDITY: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long a password-reset link works.
pub const RESET_VALIDITY: Duration = Duration::from_secs(2 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("an account with this email address already exists")]
    EmailTaken,
    #[error("this email address belongs to a client in the trash: restore them, or erase them from the trash first")]
    EmailInTrash,
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// Several fields at once, each with its problem.
    #[error("invalid fields")]
    InvalidFields(Vec<(&'static str, String)>),
    #[error("no account has this email address")]
    UnknownAccount,
    #[error("this link is invalid, already used or expired")]
    InvalidLink,
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error("cannot render the email: {0}")]
    Template(#[from] askama::Error),
}

fn invalid(field: &'static str, message: impl ToString) -> AccountError {
    AccountError::Invalid {
        field,
        message: message.to_string(),
    }
}

fn taken_or(e: DbError) -> AccountError {
    if e.is_unique_violation() {
        AccountError::EmailTaken
    } else {
        AccountError::Db(e)
    }
}

pub use crate::domain::display_name;

/// A token's label, same rules as a name.
pub fn token_label(raw: &str) -> Result<String, String> {
    display_name(raw)
}

/// What the operator gets when a studio account is made.
pub struct StudioAccount {
    pub user: User,
    pub totp_uri: String,
    pub recovery_codes: Vec<String>,
}

/// The TOTP label: the studio's host name, so several Relais in one app stay apart.
fn totp_issuer(state: &AppState) -> String {
    format!("Relais ({})", state.cfg.public_url.host_str().unwrap_or("relais"))
}

/// Creates a studio account with its TOTP secret and recovery codes. The account can
/// log in once its owner enters a first code from the app, which confirms enrolment.
pub async fn create_studio(
    state: &AppState,
    email: &str,
    name: &str,
    password: &NewPassword,
) -> Result<StudioAccount, AccountError> {
    let email = Email::parse(email).map_err(|e| invalid("email", e))?;
    let name = display_name(name).map_err(|m| invalid("name", m))?;
    let hash = password::hash(password.expose()).await?;
    let enrolment = totp::enrol(&totp_issuer(state), email.as_str())?;
    let codes = totp::recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| totp::recovery_code_hash(c)).collect();
    let now = state.clock.now();

    let mut tx = state.db.begin().await?;
    let new = NewUser {
        email: &email,
        name: &name,
        role: Role::Studio,
        locale: Locale::Fr,
        password_hash: Some(hash),
        totp_secret: Some(enrolment.secret),
    };
    let user = db::users::insert(&mut *tx, new, now).await.map_err(taken_or)?;
    db::users::insert_recovery_codes(&mut tx, user.id, &hashes, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(StudioAccount {
        user,
        totp_uri: enrolment.uri,
        recovery_codes: codes,
    })
}

/// Creates a client account and, in the same transaction, queues their invitation email
/// with a single-use link to choose a password.
pub async fn create_client(
    state: &AppState,
    actor: Option<UserId>,
    email: &str,
    name: &str,
    locale: Locale,
) -> Result<User, AccountError> {
    let email = Email::parse(email).map_err(|e| invalid("email", e))?;
    let name = display_name(name).map_err(|m| invalid("name", m))?;
    let now = state.clock.now();
    if db::users::in_trash_with_email(state.db.pool(), &email).await? {
        return Err(AccountError::EmailInTrash);
    }
    let mut tx = state.db.begin().await?;
    let new = NewUser {
        email: &email,
        name: &name,
        role: Role::Client,
        locale,
        password_hash: None,
        totp_secret: None,
    };
    let user = db::users::insert(&mut *tx, new, now).await.map_err(taken_or)?;
    queue_invitation(state, &mut tx, &user, now).await?;
    let event = Event::new(Kind::ClientCreated, actor)
        .client(user.id)
        .detail(user.name.clone());
    activity::record(&mut *tx, &event, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    state.jobs_queued();
    Ok(user)
}

/// Sends a client a fresh invitation (the studio's "invite again"); earlier links stay
/// valid until they expire.
pub async fn reinvite(state: &AppState, client: UserId) -> Result<User, AccountError> {
    let user = db::users::find(state.db.pool(), client)
        .await?
        .filter(|u| u.role == Role::Client)
        .ok_or(AccountError::UnknownAccount)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    queue_invitation(state, &mut tx, &user, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    state.jobs_queued();
    Ok(user)
}

/// Disables or re-enables a client account. A disabled account's sessions and tokens stop
/// working at once (every request checks the flag); its files stay.
/// Sets (or, with `None`, removes) a client's storage quota. Uploads past it are refused
/// before any byte is stored; what is already stored stays.
pub async fn set_client_quota(
    state: &AppState,
    _actor: UserId,
    client: UserId,
    quota: Option<u64>,
) -> Result<User, AccountError> {
    db::users::find(state.db.pool(), client)
        .await?
        .filter(|u| u.role == Role::Client)
        .ok_or(AccountError::UnknownAccount)?;
    db::users::set_quota(state.db.pool(), client, quota, state.clock.now()).await?;
    db::users::find(state.db.pool(), client)
        .await?
        .ok_or(AccountError::UnknownAccount)
}

pub async fn set_client_disabled(
    state: &AppState,
    actor: UserId,
    client: UserId,
    disabled: bool,
) -> Result<User, AccountError> {
    let user = db::users::find(state.db.pool(), client)
        .await?
        .filter(|u| u.role == Role::Client)
        .ok_or(AccountError::UnknownAccount)?;
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    db::users::set_disabled(&mut *tx, client, disabled, now).await?;
    let kind = if disabled {
        Kind::ClientDisabled
    } else {
        Kind::ClientEnabled
    };
    activity::record(
        &mut *tx,
        &Event::new(kind, Some(actor)).client(client).detail(user.name.clone()),
        now,
    )
    .await?;
    tx.commit().await.map_err(DbError::from)?;
    db::users::find(state.db.pool(), client)
        .await?
        .ok_or(AccountError::UnknownAccount)
}

/// Sends a password-reset link if the address belongs to an active account. The caller
/// answers the same whether or not it does, so addresses cannot be probed.
pub async fn request_password_reset(state: &AppState, email: &str) -> Result<(), AccountError> {
    let Ok(email) = Email::parse(email) else {
        return Ok(());
    };
    let Some(user) = db::users::find_by_email(state.db.pool(), &email).await? else {
        return Ok(());
    };
    if user.disabled {
        return Ok(());
    }
    let token = random_token("");
    let now = state.clock.now();
    let link = state
        .cfg
        .public_url
        .join(&format!("password/reset/{token}"))
        .map_err(|e| invalid("public_url", e))?;
    let to = notices::Recipient::of(&user);
    let email = notices::password_reset(
        &to,
        &state.studio.name().await?,
        RESET_VALIDITY.as_secs() / HOUR.as_secs(),
        link.as_str(),
    )?;
    let mut tx = state.db.begin().await?;
    db::links::insert(
        &mut tx,
        &sha256_hex(&token),
        user.id,
        Purpose::PasswordReset,
        now,
        now + RESET_VALIDITY,
    )
    .await?;
    mail::queue(&mut tx, &state.mailer, &email, Some(user.id), now).await?;
    tx.commit().await.map_err(DbError::from)?;
    state.jobs_queued();
    Ok(())
}

/// Whether a link still works, without spending it.
pub async fn link_is_usable(state: &AppState, token: &str, purpose: Purpose) -> Result<bool, AccountError> {
    let hash = sha256_hex(token.trim());
    Ok(db::links::peek(state.db.pool(), &hash, purpose, state.clock.now())
        .await?
        .is_some())
}

/// What a new password ends, in the transaction that sets it: every other link mailed to
/// the account (invitations, resets, address changes) and its personal API tokens.
/// Sessions are the caller's choice (a change of password keeps the one making it).
pub(crate) async fn password_set(tx: &mut db::Tx, user: UserId, now: Timestamp) -> Result<(), DbError> {
    db::links::end_all(&mut **tx, user, now).await?;
    db::users::end_email_changes(&mut **tx, user, now).await?;
    db::tokens::revoke_all(&mut **tx, user, now).await?;
    Ok(())
}

/// What a new address ends: every link mailed to the account before (to the old address,
/// or to a typo the quote site corrected).
pub(crate) async fn address_changed(tx: &mut db::Tx, user: UserId, now: Timestamp) -> Result<(), DbError> {
    db::links::end_all(&mut **tx, user, now).await?;
    db::users::end_email_changes(&mut **tx, user, now).await?;
    // The client's newsletter subscription follows the account to its new address.
    db::newsletter::follow_account(tx, user).await?;
    Ok(())
}

/// Tells the address an account just left that it moved, and where: whoever lost their
/// address to a takeover or a mistake hears of it.
pub(crate) async fn announce_move(
    state: &AppState,
    tx: &mut db::Tx,
    account: &User,
    old_address: &str,
    studio: &str,
    now: Timestamp,
) -> Result<(), AccountError> {
    if old_address.eq_ignore_ascii_case(&account.email) {
        return Ok(());
    }
    let to = notices::Recipient {
        locale: account.locale,
        address: old_address,
        name: &account.name,
    };
    let link = state
        .cfg
        .public_url
        .join("login")
        .map_err(|e| invalid("public_url", e))?;
    let email = notices::address_moved(&to, studio, &account.email, link.as_str())?;
    mail::queue(&mut *tx, &state.mailer, &email, Some(account.id), now).await?;
    Ok(())
}

/// Spends a password-reset link and sets the new password; every session of the account
/// ends, since whoever held them may be why the password is changing, and so do its other
/// links and its API tokens.
pub async fn reset_password(state: &AppState, token: &str, password: &NewPassword) -> Result<UserId, AccountError> {
    // The link is checked before the (deliberately slow) hashing: a guess costs nothing.
    let token_hash = sha256_hex(token.trim());
    let now = state.clock.now();
    if db::links::peek(state.db.pool(), &token_hash, Purpose::PasswordReset, now)
        .await?
        .is_none()
    {
        return Err(AccountError::InvalidLink);
    }
    let hash = password::hash(password.expose()).await?;
    let mut tx = state.db.begin().await?;
    let user = db::links::consume(&mut *tx, &token_hash, Purpose::PasswordReset, now)
        .await?
        .ok_or(AccountError::InvalidLink)?;
    db::users::set_password(&mut *tx, user, &hash, now).await?;
    password_set(&mut tx, user, now).await?;
    db::sessions::delete_for_user(&mut *tx, user).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(user)
}

pub(crate) async fn queue_invitation(
    state: &AppState,
    tx: &mut db::Tx,
    user: &User,
    now: Timestamp,
) -> Result<(), AccountError> {
    let token = random_token("");
    db::links::insert(
        tx,
        &sha256_hex(&token),
        user.id,
        Purpose::Invitation,
        now,
        now + INVITATION_VALIDITY,
    )
    .await?;
    let link = state
        .cfg
        .public_url
        .join(&format!("invitation/{token}"))
        .map_err(|e| invalid("public_url", e))?;
    let studio = state.studio.name().await?;
    let valid_days = INVITATION_VALIDITY.as_secs() / DAY.as_secs();
    let email = notices::invitation(&notices::Recipient::of(user), &studio, valid_days, link.as_str())?;
    mail::queue(&mut *tx, &state.mailer, &email, Some(user.id), now).await?;
    Ok(())
}

/// Spends an invitation link and sets the account's password, atomically. An account
/// that already has a password takes no invitation: that is what a reset is for.
pub async fn accept_invitation(state: &AppState, token: &str, password: &NewPassword) -> Result<UserId, AccountError> {
    // The link is checked before the (deliberately slow) hashing: a guess costs nothing.
    let token_hash = sha256_hex(token.trim());
    let now = state.clock.now();
    if db::links::peek(state.db.pool(), &token_hash, Purpose::Invitation, now)
        .await?
        .is_none()
    {
        return Err(AccountError::InvalidLink);
    }
    let hash = password::hash(password.expose()).await?;
    let mut tx = state.db.begin().await?;
    let user = db::links::consume(&mut *tx, &token_hash, Purpose::Invitation, now)
        .await?
        .ok_or(AccountError::InvalidLink)?;
    let has_password = db::users::credentials_by_id(&mut *tx, user)
        .await?
        .is_some_and(|c| c.password_hash.is_some());
    if has_password {
        return Err(AccountError::InvalidLink);
    }
    db::users::set_password(&mut *tx, user, &hash, now).await?;
    password_set(&mut tx, user, now).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(user)
}

/// How long a personal API token works unless its maker chose otherwise.
pub const TOKEN_DAYS_DEFAULT: u32 = 365;
/// The longest life a token may be given: ten years.
pub const TOKEN_DAYS_MAX: u32 = 3650;

/// A token's life in days, as asked: 1 to ten years' worth.
pub fn token_days(days: Option<u32>) -> Result<u32, String> {
    match days.unwrap_or(TOKEN_DAYS_DEFAULT) {
        d @ 1..=TOKEN_DAYS_MAX => Ok(d),
        _ => Err(format!("expected 1 to {TOKEN_DAYS_MAX} days")),
    }
}

/// Issues a personal API token that works for a year; returns its id and the secret,
/// shown once.
pub async fn issue_token(state: &AppState, user: UserId, label: &str) -> Result<(TokenId, String), AccountError> {
    let (id, token, _) = issue_token_for(state, user, label, TOKEN_DAYS_DEFAULT).await?;
    Ok((id, token))
}

/// Issues a personal API token that works for `days` days; also answers when it ends.
pub async fn issue_token_for(
    state: &AppState,
    user: UserId,
    label: &str,
    days: u32,
) -> Result<(TokenId, String, Timestamp), AccountError> {
    let token = random_token(API_TOKEN_PREFIX);
    let now = state.clock.now();
    let expires_at = now + DAY * days;
    let id = db::tokens::insert(state.db.pool(), user, label, &sha256_hex(&token), now, expires_at).await?;
    Ok((id, token, expires_at))
}

/// Finds an account by address, for the CLI.
pub async fn find_by_email(state: &AppState, email: &str) -> Result<User, AccountError> {
    let email = Email::parse(email).map_err(|e| invalid("email", e))?;
    db::users::find_by_email(state.db.pool(), &email)
        .await?
        .ok_or(AccountError::UnknownAccount)
}
