//! The client's space: deliveries (list, one delivery with previews and downloads) and
//! the page to send files.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};

use super::paging::{PAGE, PageParams, Paging, not_past_the_end};
use super::{Chrome, PageError, Viewer, render};
use crate::db::file_pages::{self, Audience};
use crate::db::files::FileRecord;
use crate::db::transfers::Transfer;
use crate::db::variants::VariantRow;
use crate::domain::{Category, Direction, FileId, FileStatus, Locale, TransferId};
use crate::http::variants::url as variant_url;
use crate::state::AppState;
use crate::texts::Texts;
use crate::{db, i18n, transfers};

/// A transfer as a tile in a list.
pub struct Tile {
    pub href: String,
    pub title: String,
    pub files: String,
    pub size: String,
    pub date_iso: String,
    pub date: String,
    pub expires: Option<(String, String)>,
    /// A delivery's cover picture (thumbnail size), when it has photos.
    pub cover: Option<Picture>,
}

pub fn tile(t: &Texts, locale: Locale, transfer: &Transfer, totals: (u64, u64), href: String) -> Tile {
    let date_ms = transfer.published_at.unwrap_or(transfer.created_at);
    Tile {
        href,
        title: transfer.title.clone(),
        files: t.files_count(totals.0 as usize),
        size: i18n::size(locale, totals.1),
        date_iso: i18n::iso(date_ms),
        date: i18n::date(locale, date_ms),
        expires: transfer.expires_at.map(|e| (i18n::iso(e), i18n::date(locale, e))),
        cover: None,
    }
}

/// The file that stands for a delivery, and its thumbnail: the studio's chosen cover,
/// else its first photo (in the studio's order) that has a thumbnail. The client's list
/// shows it and the studio's page marks it. Two small queries, whatever the delivery's size.
pub async fn cover(state: &AppState, transfer: &Transfer) -> Result<Option<(FileId, Picture)>, PageError> {
    let pool = state.db.pool();
    if let Some(chosen) = transfer.cover
        && let Some(file) = db::files::find(pool, chosen).await?
        && file.transfer == transfer.id
        && let Some(picture) = picture(&file, &db::variants::for_file(pool, file.id).await?, "thumb")
    {
        return Ok(Some((file.id, picture)));
    }
    Ok(match file_pages::first_photo_with_thumb(pool, transfer.id).await? {
        Some(file) => picture(&file, &db::variants::for_file(pool, file.id).await?, "thumb").map(|p| (file.id, p)),
        None => None,
    })
}

#[derive(askama::Template)]
#[template(path = "pages/deliveries.html")]
struct DeliveriesPage {
    chrome: Chrome,
    deliveries: Vec<Tile>,
    sent: Vec<Tile>,
}

pub async fn deliveries(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let user = viewer.client()?;
    let t = viewer.texts();
    let now = state.clock.now();
    let totals = db::files::stored_totals(state.db.pool(), Some(user.id)).await?;
    let mut deliveries = Vec::new();
    let mut sent = Vec::new();
    for transfer in db::transfers::list(state.db.pool(), Some(user.id)).await? {
        if !transfers::can_read(user, &transfer, now) {
            continue;
        }
        let counts = totals.get(&transfer.id).copied().unwrap_or((0, 0));
        let href = format!("/deliveries/{}", transfer.id);
        match transfer.direction {
            Direction::Delivery => {
                let mut shown = tile(t, viewer.locale, &transfer, counts, href);
                shown.cover = cover(&state, &transfer).await?.map(|(_, p)| p);
                deliveries.push(shown);
            }
            Direction::Inbound if counts.0 > 0 => sent.push(tile(t, viewer.locale, &transfer, counts, href)),
            Direction::Inbound | Direction::Portfolio => {}
        }
    }
    render(DeliveriesPage {
        chrome: viewer.chrome("deliveries", t.deliveries_title),
        deliveries,
        sent,
    })
}

/// A file as a card: what it is, how to preview it, where to download it.
pub struct Card {
    /// The thumbnail (JPEG and WebP URLs, width, height) once the pipeline made it.
    pub thumb: Option<Picture>,
    /// The large variant, for the preview; else the original.
    pub preview: String,
    /// A video's poster (medium size), shown before it plays.
    pub poster: Option<String>,
    /// "3:07" for audio and video, when known.
    pub duration: Option<String>,
    pub name: String,
    /// Shown where the thumbnail will be: what kind of file this is.
    pub label: &'static str,
    pub size: String,
    pub kind: &'static str,
    pub content: String,
    /// What the page's player loads: the same bytes, receipted as "played".
    pub play: String,
    pub status: &'static str,
    pub status_class: &'static str,
    /// Processing states are the studio's business: a client sees one only when it tells
    /// them something (a file still arriving, or one that failed).
    pub show_status: bool,
    pub downloadable: bool,
    /// Its players play (audio, video): a guest who may only look still listens.
    pub viewable: bool,
    pub id: String,
    /// The question asked before the client takes back a file they sent; `None` for
    /// what they cannot remove (what the studio gave them).
    pub remove_confirm: Option<String>,
    /// The photo's web-size download (2400 px JPEG), when it has one.
    pub web: Option<String>,
    /// A video whose web copy is still being made: a word for the viewer.
    pub note: Option<&'static str>,
}

pub fn status_text(t: &Texts, status: FileStatus) -> (&'static str, &'static str) {
    match status {
        FileStatus::Uploading => (t.status_uploading, "warn"),
        FileStatus::Stored => (t.status_stored, "ok"),
        FileStatus::Processing => (t.status_processing, ""),
        FileStatus::Ready => (t.status_ready, "ok"),
        FileStatus::Failed => (t.status_failed, "bad"),
    }
}

pub fn category_text(t: &Texts, c: Category) -> &'static str {
    match c {
        Category::Music => t.category_music,
        Category::Document => t.category_document,
        Category::Photo => t.category_photo,
        Category::Video => t.category_video,
        Category::Other => t.category_other,
    }
}

/// One variant as a page shows it.
pub struct Picture {
    pub jpeg: String,
    pub webp: Option<String>,
    pub width: i64,
    pub height: i64,
}

pub fn picture(file: &FileRecord, variants: &[VariantRow], name: &str) -> Option<Picture> {
    let jpeg = variants.iter().find(|v| v.name == name && v.format == "jpeg")?;
    let webp = variants.iter().find(|v| v.name == name && v.format == "webp");
    Some(Picture {
        jpeg: variant_url(file.id, jpeg),
        webp: webp.map(|w| variant_url(file.id, w)),
        width: jpeg.width,
        height: jpeg.height,
    })
}

/// Where a web-size copy may not be taken, a photo previews at its medium size (or not
/// at all when it has none and its original is not offered either).
pub(super) fn preview_without_web(card: &mut Card, f: &FileRecord, variants: &[VariantRow]) {
    card.web = None;
    if card.kind != "photo" {
        return;
    }
    match picture(f, variants, "medium") {
        Some(medium) => card.preview = medium.jpeg,
        None if card.downloadable => card.preview = card.content.clone(),
        None => card.kind = "file",
    }
}

pub(super) fn card(t: &Texts, locale: Locale, f: &FileRecord, variants: &[VariantRow]) -> Card {
    // What the browser can show by itself; everything else is a download. A photo whose
    // web sizes exist previews through them, whatever type its sender declared.
    let large = picture(f, variants, "large");
    let kind = match (f.category, f.media_type.split('/').next().unwrap_or_default()) {
        // A video's variants are its poster: it still plays.
        (Category::Photo, _) | (_, "image") if large.is_some() => "photo",
        (_, "image")
            if matches!(
                f.media_type.as_str(),
                "image/jpeg" | "image/png" | "image/webp" | "image/gif" | "image/avif"
            ) =>
        {
            "photo"
        }
        (_, "audio") | (Category::Music, _) => "audio",
        (_, "video") | (Category::Video, _) => "video",
        _ => "file",
    };
    let (status, status_class) = status_text(t, f.status);
    let content = format!("/api/v1/files/{}/content", f.id);
    // A photo's web size; a video's pictures are its poster.
    let web = large
        .as_ref()
        .filter(|_| !f.is_video())
        .map(|_| format!("{content}?size=web"));
    let note = matches!(
        f.web_state,
        Some(crate::db::files::WebState::Queued | crate::db::files::WebState::Making)
    )
    .then(|| crate::texts::media::MediaTexts::for_locale(locale).client_making);
    Card {
        note,
        web,
        thumb: picture(f, variants, "thumb"),
        poster: picture(f, variants, "medium").map(|p| p.jpeg),
        duration: f.duration_ms.map(|ms| {
            let secs = ms / 1000;
            if secs >= 3600 {
                format!("{}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
            } else {
                format!("{}:{:02}", secs / 60, secs % 60)
            }
        }),
        preview: large.map_or_else(|| content.clone(), |p| p.jpeg),
        label: category_text(t, f.category),
        name: f.name.clone(),
        size: i18n::size(locale, f.size.unwrap_or(0)),
        kind,
        play: format!("{content}?play=1"),
        content,
        status,
        status_class,
        show_status: matches!(f.status, FileStatus::Uploading | FileStatus::Failed),
        downloadable: f.has_bytes(),
        viewable: f.has_bytes(),
        id: f.id.to_string(),
        remove_confirm: None,
    }
}

#[derive(askama::Template)]
#[template(path = "pages/unavailable.html")]
struct UnavailablePage {
    chrome: Chrome,
}

#[derive(askama::Template)]
#[template(path = "pages/delivery.html", whitespace = "minimize")]
struct DeliveryPage {
    chrome: Chrome,
    tile: Tile,
    id: TransferId,
    cards: Vec<Card>,
    any_downloadable: bool,
    picks: super::share_section::Picks,
    /// The client's own links for their guests, when the studio lets them make some.
    share: Option<super::share_section::ShareSection>,
    paging: Paging,
}

pub async fn delivery(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(params): Query<PageParams>,
) -> Result<Response, PageError> {
    let user = viewer.client()?;
    let t = viewer.texts();
    let id = TransferId::parse(&id).ok_or(PageError::NotFound)?;
    let after = params.cursor()?;
    let transfer = match transfers::readable(&state, user, id).await {
        Ok(t) => t,
        // The client's own delivery, unpublished or past its date: say so in words, with
        // a way back. Anyone else's stays a plain "not found".
        Err(crate::transfers::TransferError::NotFound) => {
            return match db::transfers::find(state.db.pool(), id).await? {
                Some(t) if t.client == Some(user.id) && t.direction == Direction::Delivery => {
                    let page = render(UnavailablePage {
                        chrome: viewer.chrome("deliveries", viewer.texts().delivery_gone_title),
                    })?;
                    Ok((axum::http::StatusCode::GONE, page).into_response())
                }
                _ => Err(PageError::NotFound),
            };
        }
        Err(e) => return Err(e.into()),
    };
    // For the studio's digest; a failure here must not cost the client their page.
    if let Err(e) = crate::digest::opened(&state, user, &transfer).await {
        tracing::warn!(error = %e, "cannot note that a delivery was opened");
    }
    let page = file_pages::page(state.db.pool(), id, Audience::Client, after.as_ref(), PAGE).await?;
    not_past_the_end(after.as_ref(), &page, &format!("/deliveries/{id}"))?;
    let files = page.files;
    let ids: Vec<_> = files.iter().map(|f| f.id).collect();
    let variants = db::variants::for_files(state.db.pool(), &ids).await?;
    let cards: Vec<Card> = files
        .iter()
        .map(|f| {
            let mut card = card(
                t,
                viewer.locale,
                f,
                variants.get(&f.id.to_string()).map_or(&[][..], Vec::as_slice),
            );
            // Sizes the studio does not offer are not offered here either.
            card.downloadable &= transfer.download_sizes.original || transfer.direction != Direction::Delivery;
            if transfer.direction == Direction::Delivery && !transfer.download_sizes.web {
                preview_without_web(
                    &mut card,
                    f,
                    variants.get(&f.id.to_string()).map_or(&[][..], Vec::as_slice),
                );
            }
            // What they sent is theirs to take back; what the studio gave them is not.
            if transfer.direction == Direction::Inbound && f.uploader == Some(user.id) {
                card.remove_confirm = Some(
                    t.confirm_remove_sent
                        .replace("{name}", &f.name)
                        .replace("{size}", &card.size),
                );
            }
            card
        })
        .collect();
    let totals = file_pages::totals(state.db.pool(), id, Audience::Client).await?;
    let picks = super::share_section::Picks::build(
        &state,
        viewer.locale,
        &transfer,
        (transfer.direction == Direction::Delivery).then(|| format!("user:{}", user.id)),
        transfer.direction == Direction::Delivery,
    )
    .await?
    .with_web_zip(totals.any_web_sized);
    let share = super::share_section::for_client(&state, t, viewer.locale, &transfer, user.id).await?;
    let any_downloadable =
        totals.stored > 0 && (transfer.download_sizes.original || transfer.direction != Direction::Delivery);
    render(DeliveryPage {
        share,
        chrome: viewer.chrome("deliveries", transfer.title.clone()),
        tile: tile(t, viewer.locale, &transfer, (totals.files, totals.bytes), String::new()),
        paging: Paging::new(
            viewer.locale,
            &format!("/deliveries/{id}"),
            after.is_none(),
            page.next,
            totals.listed,
        ),
        id,
        any_downloadable,
        cards,
        picks,
    })
}

/// The uploader's settings, shared by the client's send page and the studio's deliveries.
pub struct UploaderConfig {
    pub mode: &'static str,
    /// Where files go, as the upload metadata says it (`transfer`, or a portfolio `album`
    /// or `story`), in JSON for the script.
    pub meta_json: String,
    /// Names this uploader's saved state in the browser, apart from other targets'.
    pub target: String,
    pub max_size: u64,
    pub max_size_text: String,
    pub complete: Option<String>,
    pub categories_json: String,
    pub reload_on_done: bool,
    /// Only these kinds of files (Uppy's `allowedFileTypes`, in JSON), when limited.
    pub accept_json: Option<String>,
    /// Whether the page offers the category choice (not for the portfolio).
    pub categories: bool,
    /// A guest's page: the upload link's session token, sent as a bearer (never a cookie
    /// another site could ride on); the batch is closed on `/api/v1/links/current/complete`.
    pub bearer: Option<String>,
    /// The words once every file is sent, when not the page's usual ones.
    pub done_text: Option<String>,
}

impl UploaderConfig {
    pub fn new(state: &AppState, t: &Texts, locale: Locale, transfer: TransferId) -> Self {
        Self::into_target(state, t, locale, "transfer", &transfer.to_string())
    }

    /// An uploader whose files go where the metadata `key` names (`transfer`, `album`,
    /// `story`).
    pub fn into_target(state: &AppState, t: &Texts, locale: Locale, key: &str, id: &str) -> Self {
        let direct = state.cfg.uploads.direct_to_bucket && state.blobs.backend() == "s3";
        let max = state.cfg.uploads.max_file_size.bytes();
        let categories = serde_json::json!({
            "music": t.category_music,
            "document": t.category_document,
            "photo": t.category_photo,
            "video": t.category_video,
            "other": t.category_other,
        });
        Self {
            mode: if direct { "s3" } else { "tus" },
            meta_json: serde_json::json!({ key: id }).to_string(),
            target: id.to_owned(),
            max_size: max,
            max_size_text: i18n::limit(locale, max),
            complete: None,
            categories_json: categories.to_string(),
            reload_on_done: false,
            accept_json: None,
            categories: true,
            bearer: None,
            done_text: None,
        }
    }
}

#[derive(askama::Template)]
#[template(path = "pages/send.html")]
struct SendPage {
    chrome: Chrome,
    lead: String,
    uploader: UploaderConfig,
    /// Every batch the client sent, named or not, newest first.
    sent: Vec<Tile>,
    /// The client's own upload links, when the studio lets them make some.
    share: Option<super::share_section::ShareSection>,
}

pub async fn send(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let user = viewer.client()?;
    let t = viewer.texts();
    let transfer =
        db::transfers::default_inbound(&state.db, user.id, transfers::DEFAULT_INBOUND_TITLE, state.clock.now()).await?;
    let mut uploader = UploaderConfig::new(&state, t, viewer.locale, transfer.id);
    uploader.complete = Some(format!("/api/v1/transfers/{}/complete", transfer.id));
    let totals = db::files::stored_totals(state.db.pool(), Some(user.id)).await?;
    let mut sent: Vec<Tile> = Vec::new();
    for inbound in db::transfers::list(state.db.pool(), Some(user.id)).await? {
        let counts = totals.get(&inbound.id).copied().unwrap_or((0, 0));
        if inbound.direction == Direction::Inbound && counts.0 > 0 {
            let href = format!("/deliveries/{}", inbound.id);
            sent.push(tile(t, viewer.locale, &inbound, counts, href));
        }
    }
    sent.reverse();
    let share = super::share_section::for_client(&state, t, viewer.locale, &transfer, user.id).await?;
    render(SendPage {
        share,
        chrome: viewer.chrome("send", t.send_title),
        lead: t.send_lead.replace("{max}", &uploader.max_size_text),
        uploader,
        sent,
    })
}
