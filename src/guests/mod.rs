//! Guests: people without an account who reach one delivery through a link the studio
//! made for them (the other family, the guests of the day). A link's token is its only
//! credential; a PIN, when set, is traded once for a short-lived token of its own. Only
//! hashes of both are stored.

mod create;
mod drops;
mod unlock;

pub use drops::{Dropper, announce_batch, announce_quiet_batches, guest_name, resolve_upload, sent_files};
pub use unlock::{Opening, unlock};

use crate::auth::secrets::sha256_hex;
use crate::db::guest_links::{self, LinkRow};
use crate::db::{self, DbError};
use crate::domain::{Direction, FileId, Timestamp, TransferId};
use crate::state::AppState;

/// What every link token (and unlocking token) starts with: a bearer that is not an
/// account's, recognisable when pasted in the wrong place.
pub const TOKEN_PREFIX: &str = "lnk_";
/// Six digits at least: at the limits of `unlock` a guesser gets 2 880 tries a day, a few days
/// for four digits, years for six.
pub(crate) const MIN_PIN: usize = 6;

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
    #[error("not yours to do")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
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
    pub fn require(&self, permission: Permission) -> Result<(), GuestError> {
        if self.may(permission) {
            Ok(())
        } else {
            Err(GuestError::Forbidden)
        }
    }

    /// The link's delivery, when `id` is it; any other transfer does not exist for them.
    pub fn transfer(&self, id: TransferId) -> Result<db::transfers::Transfer, GuestError> {
        if id != self.transfer {
            return Err(GuestError::NotFound);
        }
        Ok(self.delivery.clone())
    }

    /// The file `id` as this guest may see it: in the link's delivery and not hidden
    /// from guests; anything else does not exist for them.
    pub async fn file(&self, state: &AppState, id: FileId) -> Result<db::files::FileRecord, GuestError> {
        let file = db::files::find(state.db.pool(), id)
            .await?
            .ok_or(GuestError::NotFound)?;
        if file.transfer != self.transfer || file.hidden_from_guests || !file.has_bytes() {
            return Err(GuestError::NotFound);
        }
        Ok(file)
    }
}

/// What the studio asks for when it makes a link.
#[derive(Default)]
pub struct LinkRequest {
    pub kind: String,
    pub label: Option<String>,
    pub email: Option<String>,
    pub pin: Option<String>,
    pub expires_at: Option<Timestamp>,
    pub permissions: Option<Vec<String>>,
    /// Upload links: at most this many files, this many bytes in all.
    pub max_files: Option<u64>,
    pub max_bytes: Option<u64>,
    /// Upload links: the categories taken (every one when `None`).
    pub categories: Option<Vec<String>>,
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
    pub expires_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub revoked_at: Option<Timestamp>,
    /// Upload links: their limits and the categories they take (every one when `None`).
    pub max_files: Option<i64>,
    pub max_bytes: Option<i64>,
    pub categories: Option<Vec<String>>,
    /// Upload links: files sent through it (not deleted), and how many wait for review.
    pub files: i64,
    pub pending: i64,
    /// Downloads through the link from their start (files and ZIPs), and how many finished.
    pub downloads: i64,
    pub complete_downloads: i64,
}

impl LinkView {
    fn new(row: LinkRow, counts: (i64, i64)) -> Self {
        Self {
            max_files: row.max_files,
            max_bytes: row.max_bytes,
            categories: row
                .categories
                .as_deref()
                .map(|c| c.split(',').map(str::to_owned).collect()),
            files: 0,
            pending: 0,
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

pub use create::create_link;

/// The links of a transfer, oldest first, with their downloads; only those `maker` made
/// when given (a client's own links).
pub async fn list_made_by(
    state: &AppState,
    transfer: TransferId,
    maker: crate::domain::UserId,
) -> Result<Vec<LinkView>, GuestError> {
    let maker = maker.to_string();
    let links = list(state, transfer).await?;
    let mine: Vec<String> = guest_links::list_for_transfer(state.db.pool(), &transfer.to_string())
        .await?
        .into_iter()
        .filter(|l| l.created_by.as_deref() == Some(maker.as_str()))
        .map(|l| l.id)
        .collect();
    Ok(links.into_iter().filter(|l| mine.contains(&l.id)).collect())
}

/// The links of a transfer, oldest first, with their downloads.
pub async fn list(state: &AppState, transfer: TransferId) -> Result<Vec<LinkView>, GuestError> {
    let transfer = transfer.to_string();
    let counts = guest_links::download_counts(state.db.pool(), &transfer).await?;
    let files = guest_links::file_counts(state.db.pool(), &transfer).await?;
    let of = |list: &[(String, i64, i64)], id: &str| {
        list.iter()
            .find(|(link, _, _)| link == id)
            .map_or((0, 0), |(_, a, b)| (*a, *b))
    };
    Ok(guest_links::list_for_transfer(state.db.pool(), &transfer)
        .await?
        .into_iter()
        .map(|row| {
            let (sent, pending) = of(&files, &row.id);
            let c = of(&counts, &row.id);
            let mut view = LinkView::new(row, c);
            view.files = sent;
            view.pending = pending;
            view
        })
        .collect())
}

/// Ends a link at once, and every unlocked session of it. The studio revokes any link; a
/// client the links they made (anyone else's is unknown to them).
pub async fn revoke(state: &AppState, by: &crate::db::users::User, id: &str) -> Result<(), GuestError> {
    let link = guest_links::find(state.db.pool(), id)
        .await?
        .ok_or(GuestError::Unknown)?;
    if by.role != crate::domain::Role::Studio && link.created_by.as_deref() != Some(by.id.to_string().as_str()) {
        return Err(GuestError::Unknown);
    }
    let mut tx = state.db.begin().await?;
    guest_links::revoke(&mut tx, id, state.clock.now()).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// Whether a link still opens its transfer now: a view link its published delivery, an
/// upload link its inbound transfer (of a client still active).
async fn check_open(state: &AppState, link: &LinkRow, now: Timestamp) -> Result<db::transfers::Transfer, GuestError> {
    if link.revoked_at.is_some() {
        return Err(GuestError::Revoked);
    }
    if link.expires_at.is_some_and(|at| at <= now) {
        return Err(GuestError::Expired);
    }
    let transfer = TransferId::parse(&link.transfer_id).ok_or(GuestError::Unknown)?;
    let found = db::transfers::find(state.db.pool(), transfer).await?;
    match (link.kind.as_str(), found) {
        // The delivery itself: unpublished, expired or deleted, it is gone for guests too.
        ("view", Some(t)) if t.direction == Direction::Delivery && t.is_visible_to_client(now) => Ok(t),
        ("upload", Some(t)) if t.direction == Direction::Inbound => {
            let client = match t.client {
                Some(c) => db::users::find(state.db.pool(), c).await?,
                None => None,
            };
            match client {
                Some(c) if !c.disabled => Ok(t),
                _ => Err(GuestError::Unavailable),
            }
        }
        _ => Err(GuestError::Unavailable),
    }
}

/// The link (and the session, when `token` is one) a token stands for, open now. A link
/// with a PIN answers `PinRequired` to its own token.
async fn resolve_token(
    state: &AppState,
    token: &str,
    now: Timestamp,
) -> Result<(LinkRow, Option<guest_links::SessionRow>, db::transfers::Transfer), GuestError> {
    let hash = sha256_hex(token);
    let (link, session) = match guest_links::by_token(state.db.pool(), &hash).await? {
        Some(link) if link.pin_hash.is_some() => {
            // Say "revoked" or "expired" before asking for a PIN that could not help.
            check_open(state, &link, now).await?;
            return Err(GuestError::PinRequired);
        }
        Some(link) => (link, None),
        None => {
            let session = guest_links::session(state.db.pool(), &hash)
                .await?
                .ok_or(GuestError::Unknown)?;
            let link = guest_links::find(state.db.pool(), &session.link_id)
                .await?
                .ok_or(GuestError::Unknown)?;
            (link, Some(session))
        }
    };
    // The link's own state first: a session of a revoked or expired link says so (410).
    let transfer = check_open(state, &link, now).await?;
    if session.as_ref().is_some_and(|s| s.expires_at <= now) {
        return Err(GuestError::Unknown);
    }
    Ok((link, session, transfer))
}

/// The guest a bearer token stands for: a view link's own token (when it has no PIN) or
/// the token unlocking it gave. An upload link's token reads nothing.
pub async fn resolve(state: &AppState, token: &str) -> Result<Guest, GuestError> {
    let now = state.clock.now();
    let (link, _, delivery) = resolve_token(state, token, now).await?;
    if link.kind != "view" {
        return Err(GuestError::Unknown);
    }
    Ok(Guest {
        permissions: permissions_of(&link.permissions),
        link_id: link.id,
        label: link.label,
        transfer: delivery.id,
        delivery,
    })
}

/// Whether `guest` came through the link whose token is `token` (a browser's cookie for
/// a PIN link it unlocked earlier).
pub async fn same_link(state: &AppState, guest: &Guest, token: &str) -> Result<bool, GuestError> {
    Ok(same_link_id(state, &guest.link_id, token).await?)
}

/// Whether `token` is an upload link's own token (its page asks for a name first).
pub async fn is_upload_link(state: &AppState, token: &str) -> Result<bool, DbError> {
    Ok(guest_links::by_token(state.db.pool(), &sha256_hex(token))
        .await?
        .is_some_and(|l| l.kind == "upload"))
}

/// Whether `link_id` is the link whose own token is `token`.
pub async fn same_link_id(state: &AppState, link_id: &str, token: &str) -> Result<bool, DbError> {
    Ok(guest_links::by_token(state.db.pool(), &sha256_hex(token))
        .await?
        .is_some_and(|l| l.id == link_id))
}

// The PIN never reaches a log, even through `{:?}`.
impl std::fmt::Debug for LinkRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkRequest")
            .field("kind", &self.kind)
            .field("label", &self.label)
            .field("email", &self.email)
            .field("pin", &self.pin.as_ref().map(|_| "…"))
            .field("expires_at", &self.expires_at)
            .field("permissions", &self.permissions)
            .field("max_files", &self.max_files)
            .field("max_bytes", &self.max_bytes)
            .field("categories", &self.categories)
            .finish()
    }
}
