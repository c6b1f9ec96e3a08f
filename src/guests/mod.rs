//! Guests: people without an account who reach one delivery through a link the studio
//! made for them (the other family, the guests of the day). A link's token is its only
//! credential; a PIN, when set, is traded once for a short-lived token of its own. Only
//! hashes of both are stored.

use crate::auth::secrets::{random_token, sha256_hex};
use crate::db::guest_links::{self, LinkRow, NewLink};
use crate::db::users::User;
use crate::db::{self, DbError};
use crate::domain::{Direction, FileId, Millis, TransferId};
use crate::error::AppError;
use crate::state::AppState;

/// What every link token (and unlocking token) starts with: a bearer that is not an
/// account's, recognisable when pasted in the wrong place.
pub const TOKEN_PREFIX: &str = "lnk_";
/// How long a PIN, once entered, keeps a guest's browser or script in.
const SESSION_MS: Millis = 12 * 3600 * 1000;
/// Wrong PINs counted over this window: at most `PIN_PER_ADDRESS` from one address, and
/// `PIN_PER_LINK` in all (a guesser with many addresses), before the link waits.
const PIN_WINDOW_MS: Millis = 15 * 60 * 1000;
const PIN_PER_ADDRESS: i64 = 5;
const PIN_PER_LINK: i64 = 30;
/// Six digits at least: at the limits above a guesser gets 2 880 tries a day, a few days
/// for four digits, years for six.
const MIN_PIN: usize = 6;

/// What a guest may do through a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// See the delivery: previews, players.
    View,
    /// Download originals, one file or the ZIP.
    Download,
    /// Download the web-size copies.
    DownloadWeb,
    /// Mark favourites.
    Favourite,
}

impl Permission {
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "view" => Self::View,
            "download" => Self::Download,
            "download_web" => Self::DownloadWeb,
            "favourite" => Self::Favourite,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Download => "download",
            Self::DownloadWeb => "download_web",
            Self::Favourite => "favourite",
        }
    }
}

fn permissions_of(stored: &str) -> Vec<Permission> {
    stored.split(',').filter_map(Permission::parse).collect()
}

#[derive(Debug, thiserror::Error)]
pub enum GuestError {
    #[error("unknown link")]
    Unknown,
    #[error("this link asks for its PIN first")]
    PinRequired,
    #[error("wrong PIN")]
    WrongPin,
    #[error("too many wrong PINs; try again in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    #[error("this link was revoked")]
    Revoked,
    #[error("this link has expired")]
    Expired,
    #[error("this delivery is no longer available")]
    Unavailable,
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("{0}")]
    Conflict(&'static str, String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<GuestError> for AppError {
    fn from(e: GuestError) -> Self {
        match e {
            // Unknown, missing PIN and wrong PIN: 401, each with its own code.
            GuestError::Unknown => AppError::Unauthenticated,
            GuestError::PinRequired => AppError::LinkLocked {
                code: "pin_required",
                detail: e.to_string(),
            },
            GuestError::WrongPin => AppError::LinkLocked {
                code: "invalid_pin",
                detail: e.to_string(),
            },
            GuestError::Throttled { retry_after_secs } => AppError::RateLimited { retry_after_secs },
            GuestError::Revoked => AppError::LinkGone {
                code: "link_revoked",
                detail: e.to_string(),
            },
            GuestError::Expired => AppError::LinkGone {
                code: "link_expired",
                detail: e.to_string(),
            },
            GuestError::Unavailable => AppError::LinkGone {
                code: "delivery_unavailable",
                detail: e.to_string(),
            },
            GuestError::Invalid { field, message } => AppError::validation(field, message),
            GuestError::Conflict(code, detail) => AppError::Conflict { code, detail },
            GuestError::Db(e) => e.into(),
        }
    }
}

/// A guest, as far as one request is concerned: the link and what it allows.
#[derive(Debug, Clone)]
pub struct Guest {
    pub link_id: String,
    pub label: String,
    pub transfer: TransferId,
    /// The delivery as it was read to check that the link opens it.
    delivery: db::transfers::Transfer,
    permissions: Vec<Permission>,
}

impl Guest {
    pub fn permissions(&self) -> Vec<Permission> {
        self.permissions.clone()
    }

    pub fn may(&self, permission: Permission) -> bool {
        self.permissions.contains(&permission)
    }

    /// `Ok` when the link allows `permission`; a guest asking for more gets 403.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.may(permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// The link's delivery, when `id` is it; any other transfer does not exist for them.
    pub fn transfer(&self, id: TransferId) -> Result<db::transfers::Transfer, AppError> {
        if id != self.transfer {
            return Err(AppError::NotFound);
        }
        Ok(self.delivery.clone())
    }

    /// The file `id` as this guest may see it: in the link's delivery and not hidden
    /// from guests; anything else does not exist for them.
    pub async fn file(&self, state: &AppState, id: FileId) -> Result<db::files::FileRecord, AppError> {
        let file = db::files::find(state.db.pool(), id).await?.ok_or(AppError::NotFound)?;
        if file.transfer != self.transfer || file.hidden_from_guests || !file.has_bytes() {
            return Err(AppError::NotFound);
        }
        Ok(file)
    }
}

/// What the studio asks for when it makes a view link.
#[derive(Debug, Default)]
pub struct NewViewLink {
    pub label: Option<String>,
    pub email: Option<String>,
    pub pin: Option<String>,
    pub expires_at: Option<Millis>,
    pub permissions: Option<Vec<String>>,
    /// The language of the email sent to `email` (French unless told).
    pub locale: Option<crate::domain::Locale>,
}

/// A link as the studio sees it (never its secrets).
#[derive(Debug, Clone, serde::Serialize)]
pub struct LinkView {
    pub id: String,
    pub transfer: String,
    pub kind: String,
    pub label: String,
    pub email: Option<String>,
    pub pin: bool,
    pub permissions: Vec<Permission>,
    pub expires_at: Option<Millis>,
    pub created_at: Millis,
    pub revoked_at: Option<Millis>,
    /// Downloads through the link from their start (files and ZIPs), and how many finished.
    pub downloads: i64,
    pub complete_downloads: i64,
}

impl LinkView {
    fn new(row: LinkRow, counts: (i64, i64)) -> Self {
        Self {
            permissions: permissions_of(&row.permissions),
            pin: row.pin_hash.is_some(),
            id: row.id,
            transfer: row.transfer_id,
            kind: row.kind,
            label: row.label,
            email: row.email,
            expires_at: row.expires_at,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
            downloads: counts.0,
            complete_downloads: counts.1,
        }
    }
}

/// The URL a guest opens.
pub fn url(state: &AppState, token: &str) -> String {
    format!("{}/l/{token}", state.cfg.public_url.as_str().trim_end_matches('/'))
}

/// Makes a view link on delivery `transfer`; returns it and its token (shown once).
pub async fn create_view_link(
    state: &AppState,
    studio: &User,
    transfer: TransferId,
    input: NewViewLink,
) -> Result<(LinkView, String), GuestError> {
    let now = state.clock.now_ms();
    let found = db::transfers::find(state.db.pool(), transfer)
        .await?
        .ok_or(GuestError::Invalid {
            field: "transfer",
            message: "no such transfer".into(),
        })?;
    if found.direction != Direction::Delivery {
        return Err(GuestError::Conflict(
            "not_a_delivery",
            "view links are made on deliveries".into(),
        ));
    }
    let email = match input.email.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
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
    let label = match input.label.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        Some(l) if l.chars().count() > 100 => {
            return Err(GuestError::Invalid {
                field: "label",
                message: "expected at most 100 characters".into(),
            });
        }
        Some(l) => l.to_owned(),
        None => email.clone().unwrap_or_else(|| "—".to_owned()),
    };
    let pin_hash = match input.pin.as_deref() {
        None => None,
        Some(pin) if !(MIN_PIN..=64).contains(&pin.chars().count()) => {
            return Err(GuestError::Invalid {
                field: "pin",
                message: format!("expected {MIN_PIN} to 64 characters"),
            });
        }
        Some(pin) => Some(
            crate::auth::password::hash(pin)
                .await
                .map_err(|e| GuestError::Db(DbError::Corrupt(e.to_string())))?,
        ),
    };
    if input.expires_at.is_some_and(|at| at <= now) {
        return Err(GuestError::Invalid {
            field: "expires_at",
            message: "expected a time in the future (milliseconds since 1970)".into(),
        });
    }
    let mut permissions = vec![Permission::View];
    for raw in input
        .permissions
        .unwrap_or_else(|| vec!["view".into(), "download".into()])
    {
        let p = Permission::parse(&raw).ok_or_else(|| GuestError::Invalid {
            field: "permissions",
            message: format!("unknown permission {raw:?} (expected view, download, download_web, favourite)"),
        })?;
        // Not granted until they do something: the studio must not believe it withheld
        // web-size copies or favourites when nothing enforces either yet.
        if matches!(p, Permission::DownloadWeb | Permission::Favourite) {
            return Err(GuestError::Invalid {
                field: "permissions",
                message: format!("{raw} is not available yet (view and download are)"),
            });
        }
        if !permissions.contains(&p) {
            permissions.push(p);
        }
    }
    let stored: Vec<&str> = permissions.iter().map(|p| p.as_str()).collect();
    let token = random_token(TOKEN_PREFIX);
    let id = uuid::Uuid::now_v7().to_string();
    let transfer_id = transfer.to_string();
    let studio_id = studio.id.to_string();
    let mut tx = state.db.begin().await?;
    guest_links::insert(
        &mut *tx,
        &NewLink {
            id: &id,
            transfer: &transfer_id,
            kind: "view",
            label: &label,
            email: email.as_deref(),
            token_hash: &sha256_hex(&token),
            pin_hash: pin_hash.as_deref(),
            permissions: &stored.join(","),
            expires_at: input.expires_at,
            created_by: &studio_id,
        },
        now,
    )
    .await?;
    // The recipient gets the link by email, in the same transaction: no link is made
    // whose message is lost, none is sent for a link that was not made.
    if let Some(address) = email.as_deref() {
        let to = crate::mail::notices::Recipient {
            locale: input.locale.unwrap_or_default(),
            address,
            name: &label,
        };
        let studio_name = state.studio.name().await?;
        let message = crate::mail::notices::guest_link(
            &to,
            &studio_name,
            &found.title,
            pin_hash.is_some(),
            input.expires_at,
            &url(state, &token),
        )
        .map_err(|e| GuestError::Db(DbError::Corrupt(format!("the guest's email: {e}"))))?;
        crate::mail::queue(&mut tx, &state.mailer, &message, None, now).await?;
    }
    tx.commit().await.map_err(DbError::from)?;
    if email.is_some() {
        state.jobs_queued();
    }
    let row = guest_links::find(state.db.pool(), &id)
        .await?
        .ok_or(GuestError::Unknown)?;
    Ok((LinkView::new(row, (0, 0)), token))
}

/// The links of a transfer, oldest first, with their downloads.
pub async fn list(state: &AppState, transfer: TransferId) -> Result<Vec<LinkView>, GuestError> {
    let transfer = transfer.to_string();
    let counts = guest_links::download_counts(state.db.pool(), &transfer).await?;
    Ok(guest_links::list_for_transfer(state.db.pool(), &transfer)
        .await?
        .into_iter()
        .map(|row| {
            let c = counts
                .iter()
                .find(|(id, _, _)| *id == row.id)
                .map_or((0, 0), |(_, n, done)| (*n, *done));
            LinkView::new(row, c)
        })
        .collect())
}

/// Ends a link at once, and every unlocked session of it.
pub async fn revoke(state: &AppState, id: &str) -> Result<(), GuestError> {
    guest_links::find(state.db.pool(), id)
        .await?
        .ok_or(GuestError::Unknown)?;
    let mut tx = state.db.begin().await?;
    guest_links::revoke(&mut tx, id, state.clock.now_ms()).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// Whether a link still opens its delivery now.
async fn check_open(state: &AppState, link: &LinkRow, now: Millis) -> Result<db::transfers::Transfer, GuestError> {
    if link.revoked_at.is_some() {
        return Err(GuestError::Revoked);
    }
    if link.expires_at.is_some_and(|at| at <= now) {
        return Err(GuestError::Expired);
    }
    if link.kind != "view" {
        return Err(GuestError::Unknown);
    }
    let transfer = TransferId::parse(&link.transfer_id).ok_or(GuestError::Unknown)?;
    // The delivery itself: unpublished, expired or deleted, it is gone for guests too.
    match db::transfers::find(state.db.pool(), transfer).await? {
        Some(t) if t.direction == Direction::Delivery && t.is_visible_to_client(now) => Ok(t),
        _ => Err(GuestError::Unavailable),
    }
}

/// The guest a bearer token stands for: a link's own token (when it has no PIN) or the
/// token unlocking it gave.
pub async fn resolve(state: &AppState, token: &str) -> Result<Guest, GuestError> {
    let now = state.clock.now_ms();
    let hash = sha256_hex(token);
    let link = match guest_links::by_token(state.db.pool(), &hash).await? {
        Some(link) if link.pin_hash.is_some() => {
            // Say "revoked" or "expired" before asking for a PIN that could not help.
            check_open(state, &link, now).await?;
            return Err(GuestError::PinRequired);
        }
        Some(link) => link,
        None => guest_links::by_session(state.db.pool(), &hash, now)
            .await?
            .ok_or(GuestError::Unknown)?,
    };
    let delivery = check_open(state, &link, now).await?;
    Ok(Guest {
        permissions: permissions_of(&link.permissions),
        link_id: link.id,
        label: link.label,
        transfer: delivery.id,
        delivery,
    })
}

/// Trades a link's token and its PIN for a token of its own, valid `SESSION_MS` (or until
/// the link expires). Wrong PINs are counted per address and per link.
pub async fn unlock(state: &AppState, token: &str, pin: &str, address: &str) -> Result<(String, Millis), GuestError> {
    let now = state.clock.now_ms();
    let link = guest_links::by_token(state.db.pool(), &sha256_hex(token))
        .await?
        .ok_or(GuestError::Unknown)?;
    check_open(state, &link, now).await?;
    let Some(stored) = link.pin_hash.as_deref() else {
        return Err(GuestError::Invalid {
            field: "pin",
            message: "this link has no PIN: use its token as it is".into(),
        });
    };
    // The attempt is counted before the PIN is checked, in one transaction with the count
    // (the link's row held): guesses sent at once cannot all pass the limit together.
    let attempt = {
        let mut tx = state.db.begin().await?;
        guest_links::lock(&mut tx, state.db.backend(), &link.id).await?;
        let (all, here) = guest_links::pin_failures(&mut *tx, &link.id, address, now - PIN_WINDOW_MS).await?;
        if here >= PIN_PER_ADDRESS || all >= PIN_PER_LINK {
            return Err(GuestError::Throttled {
                retry_after_secs: (PIN_WINDOW_MS / 1000) as u64,
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
    let session = random_token(TOKEN_PREFIX);
    let expires = link.expires_at.map_or(now + SESSION_MS, |at| at.min(now + SESSION_MS));
    guest_links::insert_session(state.db.pool(), &sha256_hex(&session), &link.id, now, expires).await?;
    Ok((session, expires))
}

/// Whether `guest` came through the link whose token is `token` (a browser's cookie for
/// a PIN link it unlocked earlier).
pub async fn same_link(state: &AppState, guest: &Guest, token: &str) -> Result<bool, GuestError> {
    Ok(guest_links::by_token(state.db.pool(), &sha256_hex(token))
        .await?
        .is_some_and(|l| l.id == guest.link_id))
}
