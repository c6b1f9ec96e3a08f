//! Upload links (file requests): a guest without an account drops files into a client's
//! inbound transfer. The link decides where files go and what it takes; the guest sees
//! only what their own session sent; the studio reviews every file, and hears of each
//! finished batch once.

use std::time::Duration;

use super::{GuestError, resolve_token};
use crate::db::transfers::Transfer;
use crate::db::{self, DbError};
use crate::domain::{Category, FileId, Locale, Role, UserId};
use crate::mail::{self, notices};
use crate::state::AppState;
use crate::uploads::{LinkDrop, Sender};

/// A batch is over when its guest's page says so, or after this long without a new file
/// (a script, a closed tab).
pub const QUIET_BATCH: Duration = Duration::from_mins(10);
/// Receipts to one guest's address, however many batches they send.
const RECEIPTS_PER_SESSION: i64 = 3;

/// Who asks for a batch to be told.
enum Teller<'a> {
    /// The guest's page (or script) said "done": at most one email per link every
    /// `QUIET_BATCH`; sooner, the files wait for the quiet sweep.
    Guest {
        receipt: Option<(&'a str, Locale, &'a str)>,
    },
    /// The housekeeping, once a batch went quiet.
    Sweep,
}

/// A guest holding an upload link, as far as one request is concerned.
#[derive(Debug, Clone)]
pub struct Dropper {
    pub link_id: String,
    pub label: String,
    /// The inbound transfer the link fills.
    pub transfer: Transfer,
    /// The hash of the session token they came with; `None` with the link's own token.
    pub session: Option<String>,
    /// The name and address they gave when opening the link, if they did.
    pub name: Option<String>,
    pub email: Option<String>,
    pub max_files: Option<u64>,
    pub max_bytes: Option<u64>,
    pub categories: Option<Vec<Category>>,
}

impl Dropper {
    /// Who the upload layer sees: uploads of this link and this session only.
    pub fn sender(&self) -> Sender {
        Sender::Guest {
            link: self.link_id.clone(),
            session: self.session.clone(),
        }
    }

    /// What a new upload through this link is bound by.
    pub fn drop_spec(&self) -> Result<LinkDrop<'_>, GuestError> {
        Ok(LinkDrop {
            link: &self.link_id,
            session: self.session.as_deref(),
            guest_name: self.name.as_deref().unwrap_or_default(),
            guest_email: self.email.as_deref(),
            transfer: &self.transfer,
            owner: self.transfer.client.ok_or(GuestError::Unavailable)?,
            max_files: self.max_files,
            max_bytes: self.max_bytes,
            categories: self.categories.as_deref(),
        })
    }
}

/// A guest's name as their files will carry it: 1 to 80 characters, no control
/// characters (it shows in the studio's pages and emails).
pub fn guest_name(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim();
    if name.is_empty() {
        return Err("say who sends the files (a name)");
    }
    if name.chars().count() > 80 {
        return Err("expected at most 80 characters");
    }
    if name.chars().any(char::is_control) {
        return Err("no control characters");
    }
    Ok(name.to_owned())
}

/// The guest an upload link's token (or the session opened with it) stands for. A view
/// link's token uploads nothing.
pub async fn resolve_upload(state: &AppState, token: &str) -> Result<Dropper, GuestError> {
    let now = state.clock.now();
    let (link, session, transfer) = resolve_token(state, token, now).await?;
    if link.kind != "upload" {
        return Err(GuestError::Unknown);
    }
    let categories = link
        .categories
        .as_deref()
        .map(|c| c.split(',').filter_map(Category::parse).collect());
    Ok(Dropper {
        session: session.as_ref().map(|s| s.token_hash.clone()),
        name: session.as_ref().and_then(|s| s.guest_name.clone()),
        email: session.and_then(|s| s.guest_email),
        link_id: link.id,
        label: link.label,
        transfer,
        max_files: link.max_files.map(|n| n.max(0) as u64),
        max_bytes: link.max_bytes.map(|n| n.max(0) as u64),
        categories,
    })
}

/// What this guest's session sent through the link (nothing for a bare link token:
/// everyone holding it shares it, so it lists no one's files).
pub async fn sent_files(state: &AppState, dropper: &Dropper) -> Result<Vec<db::files::FileRecord>, DbError> {
    match &dropper.session {
        Some(session) => Ok(db::files::sent_through(state.db.pool(), &dropper.link_id, session).await?),
        None => Ok(Vec::new()),
    }
}

/// The guest says their batch is finished: the studio (and the client who made the
/// link) get one email listing the files stored since the last one, and the guest a
/// receipt when they gave an address. Returns how many files it told; none, no email.
pub async fn announce_batch(state: &AppState, dropper: &Dropper, locale: Locale) -> Result<usize, GuestError> {
    let files = db::files::unannounced(state.db.pool(), &dropper.link_id, dropper.session.as_deref()).await?;
    let receipt = dropper
        .email
        .as_deref()
        .zip(dropper.session.as_deref())
        .map(|(address, session)| (address, locale, session));
    announce(state, &dropper.link_id, files, Teller::Guest { receipt }).await
}

/// Batches nobody closed (a script, a closed tab): files stored through a link with no
/// newer one for `QUIET_BATCH` are told now. Returns how many files.
pub async fn announce_quiet_batches(state: &AppState) -> Result<usize, GuestError> {
    let now = state.clock.now();
    let mut told = 0;
    for link in db::files::quiet_unannounced_links(state.db.pool(), now - QUIET_BATCH).await? {
        let files = db::files::unannounced(state.db.pool(), &link, None).await?;
        told += announce(state, &link, files, Teller::Sweep).await?;
    }
    Ok(told)
}

async fn announce(
    state: &AppState,
    link_id: &str,
    files: Vec<db::files::FileRecord>,
    teller: Teller<'_>,
) -> Result<usize, GuestError> {
    if files.is_empty() {
        return Ok(0);
    }
    let Some(link) = db::guest_links::find(state.db.pool(), link_id).await? else {
        return Ok(0);
    };
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let not_after = match teller {
        Teller::Guest { .. } => now - QUIET_BATCH,
        Teller::Sweep => now,
    };
    if !db::guest_links::claim_batch(&mut tx, link_id, not_after, now).await? {
        // Told less than ten minutes ago: these files go in the next quiet sweep.
        return Ok(0);
    }
    let ids: Vec<FileId> = files.iter().map(|f| f.id).collect();
    let marked = db::files::mark_announced(&mut tx, &ids, now).await?;
    // Another request told some of them first: each file is in one email only.
    let files: Vec<_> = files.into_iter().filter(|f| marked.contains(&f.id)).collect();
    if files.is_empty() {
        return Ok(0);
    }
    let listed: Vec<_> = files
        .iter()
        .map(|f| notices::Listed {
            name: &f.name,
            size: f.size.unwrap_or(0),
        })
        .collect();
    let mut names: Vec<&str> = Vec::new();
    for name in files.iter().filter_map(|f| f.guest_name.as_deref()) {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    let guest = names.join(", ");
    let studio_name = state.studio.name().await?;
    let base = state.cfg.public_url.as_str().trim_end_matches('/');
    let transfer = &link.transfer_id;
    let mut recipients: Vec<(db::users::User, String)> = db::users::active_with_role(&mut *tx, Role::Studio)
        .await?
        .into_iter()
        .map(|u| (u, format!("{base}/studio/transfers/{transfer}")))
        .collect();
    if let Some(maker) = link.created_by.as_deref().and_then(UserId::parse)
        && let Some(user) = db::users::find(&mut *tx, maker).await?
        && user.role == Role::Client
        && !user.disabled
    {
        recipients.push((user, format!("{base}/send")));
    }
    for (user, url) in &recipients {
        let to = notices::Recipient::of(user);
        let email = notices::guest_batch(&to, &studio_name, &guest, &link.label, &listed, url)
            .map_err(|e| GuestError::Db(DbError::Corrupt(format!("email template: {e}"))))?;
        mail::queue(&mut tx, &state.mailer, &email, Some(user.id), now).await?;
    }
    let receipt = match teller {
        Teller::Guest {
            receipt: Some((address, locale, session)),
        } if db::guest_links::count_receipt(&mut tx, session, RECEIPTS_PER_SESSION).await? => Some((address, locale)),
        _ => None,
    };
    if let Some((address, locale)) = receipt {
        let to = notices::Recipient {
            locale,
            address,
            name: &guest,
        };
        let email = notices::guest_receipt(&to, &studio_name, &link.label, &listed, base)
            .map_err(|e| GuestError::Db(DbError::Corrupt(format!("email template: {e}"))))?;
        mail::queue(&mut tx, &state.mailer, &email, None, now).await?;
    }
    tx.commit().await.map_err(DbError::from)?;
    state.jobs_queued();
    Ok(files.len())
}
