//! `POST /api/v1/uploads`: a new file in a transfer, and its upload.

use relais_storage::keys;
use relais_storage::resumable::RunningSha256;

use super::metadata::Metadata;
use super::{UploadError, invalid};
use crate::db::portfolio::SetRef;
use crate::db::transfers::Transfer;
use crate::db::uploads::UploadRow;
use crate::db::users::User;
use crate::db::{self, DbError};
use crate::domain::{
    AlbumId, ByteSize, Category, Direction, FileId, FileName, MediaType, Role, StoryId, TransferId, UploadId,
};
use crate::state::AppState;
use crate::transfers::{DEFAULT_INBOUND_TITLE, can_upload};

pub struct NewUpload<'a> {
    /// `None`: `Upload-Defer-Length: 1`.
    pub length: Option<u64>,
    /// The raw `Upload-Metadata` header.
    pub metadata: &'a str,
}

/// Refuses what a limit forbids before a single byte is stored.
pub(super) async fn check_limits(state: &AppState, transfer: &Transfer, length: u64) -> Result<(), UploadError> {
    let max = state.cfg.uploads.max_file_size;
    if length > max.bytes() {
        return Err(UploadError::TooLarge(format!(
            "the file is {} and the limit is {max} per file",
            ByteSize::from_bytes(length)
        )));
    }
    if transfer.direction == Direction::Inbound
        && let Some(client) = transfer.client
        && let Some(quota) = db::users::quota(state.db.pool(), client).await?
    {
        let used = db::files::inbound_bytes(state.db.pool(), client).await?;
        if used.saturating_add(length) > quota {
            return Err(UploadError::TooLarge(format!(
                "the storage quota of {} would be exceeded ({} already used)",
                ByteSize::from_bytes(quota),
                ByteSize::from_bytes(used)
            )));
        }
    }
    super::check_room(state, length)
}

/// Where a new file goes: a transfer, and for the portfolio the album or story that gets
/// an item for it in the same transaction as the file.
struct Target {
    transfer: Transfer,
    set: Option<SetRef>,
}

/// An upload into a portfolio album or story: the studio's, into the portfolio transfer.
async fn portfolio_target(state: &AppState, caller: &User, spec: &FileSpec<'_>) -> Result<Option<Target>, UploadError> {
    let set = match (spec.album, spec.story) {
        (None, None) => return Ok(None),
        (Some(a), None) => AlbumId::parse(a).map(SetRef::Album),
        (None, Some(s)) => StoryId::parse(s).map(SetRef::Story),
        (Some(_), Some(_)) => return Err(invalid("album", "name an album or a story, not both")),
    };
    let field = if spec.album.is_some() { "album" } else { "story" };
    if spec.transfer.is_some() {
        return Err(invalid(field, "a portfolio upload names no transfer"));
    }
    // A client gets the answer an unknown set gets: the portfolio is not theirs to fill.
    let unknown = || invalid(field, "no such album or story");
    let set = set.filter(|_| caller.role == Role::Studio).ok_or_else(unknown)?;
    match crate::portfolio::set_exists(state, set).await {
        Ok(()) => {}
        Err(crate::portfolio::PortfolioError::Db(e)) => return Err(e.into()),
        Err(_) => return Err(unknown()),
    }
    let transfer = db::transfers::portfolio(&state.db, caller.id, state.clock.now()).await?;
    Ok(Some(Target {
        transfer,
        set: Some(set),
    }))
}

async fn target_transfer(state: &AppState, caller: &User, requested: Option<&str>) -> Result<Transfer, UploadError> {
    match requested {
        Some(raw) => {
            let id = TransferId::parse(raw).ok_or_else(|| invalid("transfer", "not a transfer id"))?;
            let transfer = db::transfers::find(state.db.pool(), id).await?;
            transfer
                .filter(|t| can_upload(caller, t))
                .ok_or_else(|| invalid("transfer", "no such transfer, or not yours to fill"))
        }
        None if caller.role == Role::Client => {
            Ok(db::transfers::default_inbound(&state.db, caller.id, DEFAULT_INBOUND_TITLE, state.clock.now()).await?)
        }
        None => Err(invalid(
            "transfer",
            "the studio must say which transfer the file goes to",
        )),
    }
}

/// What a new upload says about its file, however it arrived (tus metadata, or the JSON
/// of the direct-to-bucket routes).
pub(super) struct FileSpec<'a> {
    pub filename: Option<&'a str>,
    pub filetype: Option<&'a str>,
    pub category: Option<&'a str>,
    pub transfer: Option<&'a str>,
    /// A portfolio album or story to put the file in.
    pub album: Option<&'a str>,
    pub story: Option<&'a str>,
    pub length: Option<u64>,
    /// Kept to answer tus HEAD requests.
    pub raw_metadata: &'a str,
    pub direct: bool,
}

/// A tus creation request.
pub async fn create(state: &AppState, caller: &User, new: NewUpload<'_>) -> Result<UploadRow, UploadError> {
    let metadata = Metadata::parse(new.metadata).map_err(|e| invalid("Upload-Metadata", e))?;
    let spec = FileSpec {
        filename: metadata.get("filename"),
        filetype: metadata.get("filetype"),
        category: metadata.get("category"),
        transfer: metadata.get("transfer"),
        album: metadata.get("album"),
        story: metadata.get("story"),
        length: new.length,
        raw_metadata: new.metadata,
        direct: false,
    };
    create_upload(state, caller, spec).await
}

/// Creates the file and its upload, after every limit is checked: no byte is accepted for
/// a file that could not be kept.
pub(super) async fn create_upload(
    state: &AppState,
    caller: &User,
    spec: FileSpec<'_>,
) -> Result<UploadRow, UploadError> {
    let new = NewUpload {
        length: spec.length,
        metadata: spec.raw_metadata,
    };
    let name = FileName::parse(spec.filename.unwrap_or("upload")).map_err(|e| invalid("filename", e))?;
    let media_type = MediaType::parse_or_default(spec.filetype);
    let category = match spec.category {
        Some(c) => {
            Category::parse(c).ok_or_else(|| invalid("category", "expected music, document, photo, video or other"))?
        }
        None => Category::guess(&media_type, &name),
    };
    let target = match portfolio_target(state, caller, &spec).await? {
        Some(target) => target,
        None => Target {
            transfer: target_transfer(state, caller, spec.transfer).await?,
            set: None,
        },
    };
    if target.set.is_some() && !matches!(category, Category::Photo | Category::Video) {
        return Err(invalid("filetype", "the portfolio shows photos and videos"));
    }
    check_limits(state, &target.transfer, new.length.unwrap_or(0)).await?;
    let file = NewFileSpec {
        name: &name,
        media_type: &media_type,
        category,
        length: new.length,
        metadata: new.metadata,
        direct: spec.direct,
    };
    insert(state, target, file, Origin::Account(caller.id)).await
}

/// The file a new upload makes, once its input is parsed.
struct NewFileSpec<'a> {
    name: &'a FileName,
    media_type: &'a MediaType,
    category: Category,
    length: Option<u64>,
    metadata: &'a str,
    direct: bool,
}

/// Who a new upload comes from.
enum Origin<'a> {
    Account(crate::domain::UserId),
    Link(&'a LinkDrop<'a>),
}

/// Creates the file and upload rows (and starts the multipart upload on S3). A guest's
/// file is counted against its link's limits in the same transaction, the link's row
/// held, so that uploads started at once cannot pass a limit together.
async fn insert(
    state: &AppState,
    target: Target,
    spec: NewFileSpec<'_>,
    origin: Origin<'_>,
) -> Result<UploadRow, UploadError> {
    let transfer = target.transfer;
    let file = FileId::new();
    let id = UploadId::new();
    let multipart = relais_storage::resumable::begin(&state.blobs, &keys::file(file.uuid())).await?;
    if spec.direct && multipart.is_none() {
        return Err(invalid("storage", "direct-to-bucket uploads need S3 storage"));
    }
    let now = state.clock.now();
    let (owner, uploader, guest, link, link_session) = match &origin {
        Origin::Account(user) => (*user, Some(*user), None, None, None),
        Origin::Link(drop) => (
            drop.owner,
            None,
            Some(db::files::GuestFile {
                link: drop.link,
                session: drop.session,
                name: drop.guest_name,
                email: drop.guest_email,
            }),
            Some(drop.link),
            drop.session,
        ),
    };
    let result: Result<(), UploadError> = async {
        let mut tx = state.db.begin().await?;
        if let Origin::Link(drop) = &origin {
            db::guest_links::lock(&mut tx, state.db.backend(), drop.link).await?;
            let (files, bytes) = db::guest_links::sent_totals(&mut *tx, drop.link).await?;
            drop.check_totals(files, bytes, spec.length.unwrap_or(0))?;
        }
        let new_file = db::files::NewFile {
            id: file,
            transfer: transfer.id,
            name: spec.name.as_str(),
            size: spec.length,
            media_type: spec.media_type.as_str(),
            category: spec.category,
            uploader,
            guest,
        };
        db::files::insert(&mut *tx, new_file, now).await?;
        let row = db::uploads::NewUpload {
            id,
            file,
            owner,
            length: spec.length,
            metadata: spec.metadata,
            hash_state: RunningSha256::new().save(),
            multipart_id: multipart.as_ref().map(|m| m.0.as_str()),
            part_size: state.cfg.uploads.part_size.bytes(),
            expires_at: super::expiry(state, now),
            direct: spec.direct,
            link,
            link_session,
        };
        db::uploads::insert(&mut *tx, row, now).await?;
        if let Some(set) = target.set {
            db::portfolio::append_item(&mut tx, set, file, now).await?;
        }
        tx.commit().await.map_err(DbError::from)?;
        Ok(())
    }
    .await;
    if let Err(e) = result {
        if multipart.is_some() {
            let key = keys::file(file.uuid());
            let _ = relais_storage::resumable::discard(&state.blobs, id.uuid(), &key, multipart.as_ref(), 0).await;
        }
        return Err(e);
    }
    db::uploads::find(state.db.pool(), id)
        .await?
        .ok_or(UploadError::NotFound)
}

/// An upload link, as far as a guest's new upload is concerned: where the files go and
/// what the link takes.
#[derive(Debug)]
pub struct LinkDrop<'a> {
    pub link: &'a str,
    /// The hash of the guest's session token, when they hold one.
    pub session: Option<&'a str>,
    pub guest_name: &'a str,
    pub guest_email: Option<&'a str>,
    /// The inbound transfer the link fills.
    pub transfer: &'a Transfer,
    /// The account the upload is kept under (the transfer's client).
    pub owner: crate::domain::UserId,
    pub max_files: Option<u64>,
    pub max_bytes: Option<u64>,
    /// The categories the link takes; every one when `None`.
    pub categories: Option<&'a [Category]>,
}

impl LinkDrop<'_> {
    /// Refuses a file that would take the link past its limits (413 naming the limit).
    fn check_totals(&self, files: i64, bytes: i64, incoming: u64) -> Result<(), UploadError> {
        let (files, bytes) = (files.max(0) as u64, bytes.max(0) as u64);
        if let Some(max) = self.max_files
            && files >= max
        {
            return Err(UploadError::TooLarge(format!(
                "this link takes at most {max} file{} and has them",
                if max == 1 { "" } else { "s" }
            )));
        }
        if let Some(max) = self.max_bytes
            && bytes.saturating_add(incoming) > max
        {
            return Err(UploadError::TooLarge(format!(
                "this link takes at most {} in all ({} already sent, this file is {})",
                ByteSize::from_bytes(max),
                ByteSize::from_bytes(bytes),
                ByteSize::from_bytes(incoming)
            )));
        }
        Ok(())
    }
}

/// A tus creation request through an upload link. The link decides the transfer (the
/// metadata cannot name another, nor an album); the guest's name comes from the session
/// they opened with it, or else from the metadata key `uploader`.
pub async fn create_through_link(
    state: &AppState,
    drop: &LinkDrop<'_>,
    new: NewUpload<'_>,
) -> Result<UploadRow, UploadError> {
    let metadata = Metadata::parse(new.metadata).map_err(|e| invalid("Upload-Metadata", e))?;
    for key in ["transfer", "album", "story"] {
        if metadata.get(key).is_some() {
            return Err(invalid(
                "transfer",
                format!("an upload link decides where files go; drop `{key}`"),
            ));
        }
    }
    // Limits are checked before any byte is stored: a length given later could not be.
    let Some(length) = new.length else {
        return Err(invalid(
            "Upload-Length",
            "an upload through a link says its length at creation",
        ));
    };
    let name = FileName::parse(metadata.get("filename").unwrap_or("upload")).map_err(|e| invalid("filename", e))?;
    if name.as_str().chars().any(char::is_control) {
        // It shows in the studio's emails and pages: one line, as typed.
        return Err(invalid("filename", "no control characters"));
    }
    let media_type = MediaType::parse_or_default(metadata.get("filetype"));
    // A guest's own `category` or `filetype` could claim anything: the extension decides
    // what the link takes.
    let category = Category::by_extension(&name);
    if let Some(allowed) = drop.categories
        && !allowed.contains(&category)
    {
        let names: Vec<&str> = allowed.iter().map(|c| c.as_str()).collect();
        return Err(UploadError::NotAccepted(format!(
            "this link takes {} files; this one is {}",
            names.join(", "),
            category.as_str()
        )));
    }
    // The name given when the session opened wins; the metadata names the sender of a
    // bare link token (a script).
    let uploader = Some(drop.guest_name)
        .filter(|n| !n.is_empty())
        .or(metadata.get("uploader"))
        .unwrap_or_default();
    let uploader = crate::guests::guest_name(uploader).map_err(|m| invalid("uploader", m))?;
    let drop = LinkDrop {
        guest_name: &uploader,
        ..*drop
    };
    check_limits(state, drop.transfer, length).await?;
    // A first look at the link's totals, before anything is started in storage; the
    // transaction counts again with the link's row held.
    let (files, bytes) = db::guest_links::sent_totals(state.db.pool(), drop.link).await?;
    drop.check_totals(files, bytes, length)?;
    let target = Target {
        transfer: drop.transfer.clone(),
        set: None,
    };
    let spec = NewFileSpec {
        name: &name,
        media_type: &media_type,
        category,
        length: Some(length),
        metadata: new.metadata,
        direct: false,
    };
    insert(state, target, spec, Origin::Link(&drop)).await
}
