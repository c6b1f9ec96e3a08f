//! `/studio/transfers/{id}`: one transfer as the studio sees it. A delivery shows its
//! photos as a grid of thumbnails the studio can order and pick a cover from, the
//! uploader first (files go in before publishing), then the publication form; every file
//! says who got it, complete or not, by link, ZIP or in-page playing.

use axum::extract::{Path, Query, State};
use axum::response::Response;

use super::client::{Picture, UploaderConfig, category_text, cover, picture, status_text};
use super::paging::{PAGE, PageParams, Paging, not_past_the_end};
use super::studio::delivery_state;
use super::{Chrome, PageError, Viewer, render};
use crate::db::file_pages::{self, Audience};
use crate::db::users::User;
use crate::domain::{Direction, Locale, TransferId};
use crate::state::AppState;
use crate::texts::Texts;
use crate::{db, i18n};

struct FileRow {
    id: String,
    failure: Option<String>,
    name: String,
    category: &'static str,
    size: String,
    status: &'static str,
    status_class: &'static str,
    content: Option<String>,
    downloads: String,
    thumb: Option<Picture>,
    /// A photo with a thumbnail can be the delivery's cover.
    can_cover: bool,
    is_cover: bool,
    /// The question asked before it goes to the trash, naming it and its size.
    delete_confirm: String,
    /// A guest's file waiting for the studio ("à valider"), and who sent it.
    pending: bool,
    sent_by: Option<String>,
    /// A video's web copy: where it stands, and whether it may be made again.
    web_note: Option<String>,
    web_retry: bool,
    media_t: &'static crate::texts::media::MediaTexts,
}

#[derive(askama::Template)]
#[template(path = "pages/studio/transfer.html")]
struct TransferPage {
    chrome: Chrome,
    id: TransferId,
    title: String,
    client: User,
    is_delivery: bool,
    published: bool,
    /// Whether the client was told (a delivery can be published silently).
    announced: bool,
    state: &'static str,
    state_class: &'static str,
    expires: Option<(String, String)>,
    expires_value: String,
    files: Vec<FileRow>,
    any_downloadable: bool,
    paging: Paging,
    uploader: UploaderConfig,
    share: super::share_section::ShareSection,
    /// A client's own upload space is not deleted as a whole.
    deletable: bool,
    delete_confirm: String,
}

/// "Téléchargé 2 fois, dernier le …, complet · lu une fois dans la page" (a ZIP that
/// carried the file counts as a download of it; playing in the page is not one).
fn downloads_text(t: &Texts, locale: Locale, d: Option<&db::downloads::FileDownloads>) -> String {
    let Some(d) = d else {
        return t.never_downloaded.to_owned();
    };
    let mut parts = Vec::new();
    if d.count > 0 {
        let mut text = t.downloaded(d.count);
        if let Some(last) = d.last_at {
            text.push_str(&format!(", {} {}", t.last_on, i18n::date_time(locale, last)));
        }
        let done = if d.complete > 0 { t.complete } else { t.partial };
        parts.push(format!("{text} · {done}"));
    } else {
        parts.push(t.never_downloaded.to_owned());
    }
    if d.played > 0 {
        parts.push(t.played(d.played));
    }
    parts.join(" · ")
}

pub async fn transfer(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(params): Query<PageParams>,
) -> Result<Response, PageError> {
    viewer.studio()?;
    let (t, locale) = (viewer.texts(), viewer.locale);
    let id = TransferId::parse(&id).ok_or(PageError::NotFound)?;
    let after = params.cursor()?;
    let transfer = db::transfers::find(state.db.pool(), id)
        .await?
        .ok_or(PageError::NotFound)?;
    let Some(client_id) = transfer.client else {
        // The portfolio's files are managed from its own pages.
        return Err(PageError::Redirect("/studio/portfolio".into()));
    };
    let client = db::users::find(state.db.pool(), client_id)
        .await?
        .ok_or(PageError::NotFound)?;
    let downloads = db::downloads::summary_for_transfer(state.db.pool(), id).await?;
    let page = file_pages::page(state.db.pool(), id, Audience::Studio, after.as_ref(), PAGE).await?;
    not_past_the_end(after.as_ref(), &page, &format!("/studio/transfers/{id}"))?;
    let ids: Vec<_> = page.files.iter().map(|f| f.id).collect();
    let variants = db::variants::for_files(state.db.pool(), &ids).await?;
    let totals = file_pages::totals(state.db.pool(), id, Audience::Studio).await?;
    // The cover the client's list shows, chosen or by default: say which.
    let shown_cover = cover(&state, &transfer).await?.map(|(f, _)| f);
    let files: Vec<FileRow> = page
        .files
        .into_iter()
        .map(|f| {
            let (status, status_class) = status_text(t, f.status);
            let rows = variants.get(&f.id.to_string()).map_or(&[][..], Vec::as_slice);
            let thumb = picture(&f, rows, "thumb");
            let delete_confirm = t
                .confirm_delete_file
                .replace("{name}", &f.name)
                .replace("{size}", &i18n::size(locale, f.size.unwrap_or(0)))
                .replace("{days}", &state.cfg.trash_days.to_string());
            let s = crate::texts::share::ShareTexts::for_locale(locale);
            let media_t = crate::texts::media::MediaTexts::for_locale(locale);
            FileRow {
                web_note: media_t.web_state(&f),
                web_retry: matches!(
                    f.web_state,
                    Some(crate::db::files::WebState::Failed | crate::db::files::WebState::Ready)
                ),
                media_t,
                pending: f.pending_review,
                sent_by: f.guest_name.as_ref().map(|name| s.sent_by.replace("{name}", name)),
                delete_confirm,
                id: f.id.to_string(),
                failure: f.failure.clone(),
                category: category_text(t, f.category),
                size: i18n::size(locale, f.size.unwrap_or(0)),
                status,
                status_class,
                content: f.has_bytes().then(|| format!("/api/v1/files/{}/content", f.id)),
                downloads: downloads_text(t, locale, downloads.get(&f.id.to_string())),
                can_cover: thumb.is_some(),
                is_cover: shown_cover == Some(f.id),
                thumb,
                name: f.name,
            }
        })
        .collect();
    let (state_text, state_class) = delivery_state(t, &transfer, state.clock.now());
    let delete_confirm = t
        .confirm_delete_transfer
        .replace("{name}", &transfer.title)
        .replace("{count}", &t.files_count(totals.listed as usize))
        .replace("{size}", &i18n::size(locale, totals.bytes))
        .replace("{days}", &state.cfg.trash_days.to_string());
    let mut uploader = UploaderConfig::new(&state, t, locale, id);
    uploader.reload_on_done = true;
    let share = super::share_section::build(&state, t, locale, &transfer).await?;
    render(TransferPage {
        share,
        chrome: viewer.chrome("clients", transfer.title.clone()),
        id,
        title: transfer.title.clone(),
        is_delivery: transfer.direction == Direction::Delivery,
        published: transfer.published_at.is_some(),
        announced: db::transfers::announced_at(state.db.pool(), id).await?.is_some(),
        state: state_text,
        state_class,
        expires: transfer.expires_at.map(|e| (i18n::iso(e), i18n::date(locale, e))),
        expires_value: transfer
            .expires_at
            .map(|e| i18n::iso(e).chars().take(10).collect())
            .unwrap_or_default(),
        any_downloadable: totals.stored > 0,
        paging: Paging::new(
            locale,
            &format!("/studio/transfers/{id}"),
            after.is_none(),
            page.next,
            totals.listed,
        ),
        files,
        client,
        uploader,
        deletable: !transfer.is_default,
        delete_confirm,
    })
}
