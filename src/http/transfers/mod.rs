//! `/api/v1/transfers`: creating, listing, reading and publishing transfers; the views of
//! transfers and files every API answer shares. One file's routes are in `files`.

mod files;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::ApiJson;
use super::auth::{Caller, Reader, Studio};
use super::list_pages::Paged;

use crate::db::variants::VariantRow;
use crate::db::{self, files::FileRecord, transfers::Transfer};
use crate::domain::{Category, Direction, FileId, FileStatus, Role, Timestamp, TransferId, UserId};
use crate::http::error::AppError;
use crate::state::AppState;
use crate::transfers;

pub use files::{accept, file, patch_file, receipts, remake_web_copy, reprocess};

/// A file as the API shows it.
#[derive(Serialize)]
pub struct FileView {
    id: FileId,
    transfer: TransferId,
    name: String,
    size: Option<u64>,
    media_type: String,
    category: Category,
    sha256: Option<String>,
    status: FileStatus,
    /// Web-sized images and posters, by name (`thumb`, `medium`, `large`), once made.
    variants: serde_json::Map<String, serde_json::Value>,
    width: Option<u32>,
    height: Option<u32>,
    /// Why processing failed, when `status` is `failed`.
    failure: Option<String>,
    /// How long it plays, for audio and video (when ffprobe is installed).
    duration_ms: Option<i64>,
    created_at: Timestamp,
    stored_at: Option<Timestamp>,
    /// Never shown through a guest's link, not even in its ZIP.
    hidden_from_guests: bool,
    /// Sent by a guest through an upload link: the link and the name they gave.
    #[serde(skip_serializing_if = "Option::is_none")]
    link: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    guest_name: Option<String>,
    /// A guest's file waiting for the studio to accept it ("à valider").
    pending_review: bool,
    /// A video's web copy (what the pages play): `queued`, `making` (with `progress` per
    /// mille), `ready`, or `failed` with its `error`; absent for other files.
    #[serde(skip_serializing_if = "Option::is_none")]
    web_copy: Option<WebCopyView>,
}

#[derive(Serialize)]
pub struct WebCopyView {
    state: db::files::WebState,
    progress: Option<i64>,
    error: Option<String>,
    /// Width, height and size of the copy once made.
    width: Option<i64>,
    height: Option<i64>,
    size: Option<i64>,
}

impl FileView {
    /// The file as a guest sees it: why the studio's pipeline failed is the studio's
    /// business.
    pub fn for_guest(mut self) -> Self {
        self.failure = None;
        self
    }

    pub fn new(f: FileRecord, variants: &[VariantRow]) -> Self {
        let mut map = serde_json::Map::new();
        for v in variants.iter().filter(|v| v.format == "jpeg") {
            let webp = variants
                .iter()
                .find(|w| w.format == "webp" && w.name == v.name)
                .map(|w| super::variants::url(f.id, w));
            map.insert(
                v.name.clone(),
                serde_json::json!({
                    "width": v.width,
                    "height": v.height,
                    "url": super::variants::url(f.id, v),
                    "webp": webp,
                }),
            );
        }
        Self {
            id: f.id,
            transfer: f.transfer,
            name: f.name,
            size: f.size,
            media_type: f.media_type,
            category: f.category,
            sha256: f.sha256,
            status: f.status,
            variants: map,
            width: f.dimensions.map(|d| d.0),
            height: f.dimensions.map(|d| d.1),
            failure: f.failure,
            duration_ms: f.duration_ms,
            created_at: f.created_at,
            stored_at: f.stored_at,
            hidden_from_guests: f.hidden_from_guests,
            link: f.link,
            guest_name: f.guest_name,
            pending_review: f.pending_review,
            web_copy: f.web_state.map(|state| {
                let made = variants.iter().find(|v| v.name == "web" && v.format == "mp4");
                WebCopyView {
                    state,
                    progress: f.web_progress,
                    error: f.web_error.clone(),
                    width: made.map(|v| v.width),
                    height: made.map(|v| v.height),
                    size: made.map(|v| v.size),
                }
            }),
        }
    }
}

#[derive(Serialize)]
pub struct TransferView {
    #[serde(flatten)]
    transfer: Transfer,
    #[serde(skip_serializing_if = "Option::is_none")]
    files: Option<Vec<FileView>>,
}

#[derive(Deserialize)]
pub struct CreateBody {
    title: String,
    #[serde(default)]
    direction: Option<String>,
    #[serde(default)]
    client: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, axum::Json<TransferView>), AppError> {
    let direction = body
        .direction
        .as_deref()
        .map(|d| Direction::parse(d).ok_or_else(|| AppError::validation("direction", "expected inbound or delivery")))
        .transpose()?;
    let client = body
        .client
        .as_deref()
        .map(|c| UserId::parse(c).ok_or_else(|| AppError::validation("client", "not a client id")))
        .transpose()?;
    let transfer = transfers::create(&state, &caller.user, &body.title, direction, client).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(TransferView {
            transfer,
            files: Some(Vec::new()),
        }),
    ))
}

#[derive(Deserialize)]
pub struct ListQuery {
    client: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// `GET /api/v1/transfers[?client=…][&limit=N&cursor=C]`: newest first; a page at a time
/// with `limit` (the next page's address in the `Link` header).
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> Result<(axum::http::HeaderMap, axum::Json<Vec<TransferView>>), AppError> {
    let paged = Paged::parse(q.limit.as_deref(), q.cursor.as_deref(), 2)?;
    let filter = match caller.user.role {
        // A client sees their own transfers whatever they ask for.
        Role::Client => Some(caller.user.id),
        Role::Studio => q
            .client
            .as_deref()
            .map(|c| UserId::parse(c).ok_or_else(|| AppError::validation("client", "not a client id")))
            .transpose()?,
    };
    let now = state.clock.now();
    let Some(limit) = paged.limit else {
        let mut all = db::transfers::list(state.db.pool(), filter).await?;
        all.retain(|t| transfers::can_read(&caller.user, t, now));
        let views = all.into_iter().map(|transfer| TransferView { transfer, files: None });
        return Ok((axum::http::HeaderMap::new(), axum::Json(views.collect())));
    };
    // Newest first from the cursor; transfers the caller may not read (a client's draft
    // deliveries) are passed over, so a page may take a few reads to fill.
    let (mut at, mut id) = match &paged.after {
        Some(key) => (
            key[0]
                .parse::<i64>()
                .map(Timestamp::from_millis)
                .map_err(|_| AppError::validation("cursor", "not a cursor this list gave"))?,
            key[1].clone(),
        ),
        None => (Timestamp::MAX, String::new()),
    };
    let mut shown = Vec::new();
    let mut more = false;
    loop {
        let batch = db::transfers::list_page(state.db.pool(), filter, (at, &id), limit + 1).await?;
        let exhausted = batch.len() <= limit as usize;
        for t in batch {
            (at, id) = (t.created_at, t.id.to_string());
            if !transfers::can_read(&caller.user, &t, now) {
                continue;
            }
            if shown.len() == limit as usize {
                more = true;
                break;
            }
            shown.push(t);
        }
        if more || exhausted {
            break;
        }
    }
    let headers = match shown.last() {
        Some(last) if more => {
            let mut query = Vec::new();
            if let Some(c) = &q.client {
                query.push(("client", c.clone()));
            }
            paged.next_link(
                "/api/v1/transfers",
                &query,
                &[last.created_at.as_millis().to_string(), last.id.to_string()],
            )
        }
        _ => axum::http::HeaderMap::new(),
    };
    let views = shown.into_iter().map(|transfer| TransferView { transfer, files: None });
    Ok((headers, axum::Json(views.collect())))
}

pub async fn show(
    State(state): State<AppState>,
    reader: Reader,
    Path(id): Path<String>,
) -> Result<axum::Json<TransferView>, AppError> {
    let id = TransferId::parse(&id).ok_or(AppError::NotFound)?;
    let (mut transfer, guest) = match &reader {
        Reader::User(caller) => (transfers::readable(&state, &caller.user, id).await?, false),
        Reader::Guest(guest) => (guest.transfer(id)?, true),
    };
    let user = match &reader {
        Reader::User(caller) => Some(&caller.user),
        Reader::Guest(_) => None,
    };
    if guest {
        // Nothing of the client's account reaches a guest.
        transfer.client = None;
    }
    // A guest sees what is stored and not hidden from guests.
    let files = db::files::list_for_transfer(state.db.pool(), id)
        .await?
        .into_iter()
        .filter(|f| !guest || (f.has_bytes() && !f.hidden_from_guests))
        .filter(|f| user.is_none_or(|u| transfers::can_see_file(u, f)))
        .collect::<Vec<_>>();
    if guest && transfer.cover.is_some_and(|c| !files.iter().any(|f| f.id == c)) {
        // A hidden file's id is not given away as the cover.
        transfer.cover = None;
    }
    let mut variants = db::variants::for_transfer(state.db.pool(), id).await?;
    let files = files
        .into_iter()
        .map(|f| {
            let own = variants.remove(&f.id.to_string()).unwrap_or_default();
            let view = FileView::new(f, &own);
            if guest { view.for_guest() } else { view }
        })
        .collect();
    Ok(axum::Json(TransferView {
        transfer,
        files: Some(files),
    }))
}

#[derive(Serialize)]
pub struct Completed {
    /// How many files the studio's email listed (0: nothing new, no email).
    notified_files: usize,
}

/// `POST /api/v1/transfers/{id}/complete`: the uploader is done; the studio is told once.
pub async fn complete(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<axum::Json<Completed>, AppError> {
    let id = TransferId::parse(&id).ok_or(AppError::NotFound)?;
    let notified_files = transfers::lifecycle::complete(&state, &caller.user, id).await?;
    Ok(axum::Json(Completed { notified_files }))
}

#[derive(Deserialize)]
pub struct PublishBody {
    /// Milliseconds since the epoch; absent or null: no expiry.
    #[serde(default)]
    expires_at: Option<Timestamp>,
    /// Tell the client by email now; false publishes silently, and the studio sends the
    /// email later (`POST …/announcement`). Absent: yes for a first publication, no for a
    /// change to one already published (a new expiry is no news).
    #[serde(default)]
    notify: Option<bool>,
}

/// `PUT /api/v1/transfers/{id}/publication`: the client may see the delivery.
pub async fn publish(
    State(state): State<AppState>,
    Studio(caller): Studio,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PublishBody>,
) -> Result<axum::Json<TransferView>, AppError> {
    let id = TransferId::parse(&id).ok_or(AppError::NotFound)?;
    let transfer = transfers::lifecycle::publish(&state, &caller.user, id, body.expires_at, body.notify).await?;
    Ok(axum::Json(TransferView { transfer, files: None }))
}

/// `POST /api/v1/transfers/{id}/announcement`: the publication email of a delivery
/// published silently (204; 409 `already_announced` the second time).
pub async fn announce(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
) -> Result<axum::http::StatusCode, AppError> {
    let id = TransferId::parse(&id).ok_or(AppError::NotFound)?;
    transfers::lifecycle::announce(&state, id).await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// `DELETE /api/v1/transfers/{id}/publication`: the client no longer sees it.
pub async fn unpublish(
    State(state): State<AppState>,
    Studio(caller): Studio,
    Path(id): Path<String>,
) -> Result<axum::Json<TransferView>, AppError> {
    let id = TransferId::parse(&id).ok_or(AppError::NotFound)?;
    let transfer = transfers::lifecycle::unpublish(&state, &caller.user, id).await?;
    Ok(axum::Json(TransferView { transfer, files: None }))
}
