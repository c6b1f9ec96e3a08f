//! The studio's portfolio pages: the list of albums and stories, and one set's page (its
//! texts, publication, pictures with captions, order and cover, uploads into it, and
//! photos picked from a delivery). Every change goes through `/api/v1/portfolio`.

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::client::UploaderConfig;
use super::{Chrome, PageError, Viewer, render};
use crate::db::portfolio::{self as store, SetRef};
use crate::domain::{AlbumId, Direction, Locale, StoryId, TransferId};
use crate::portfolio::public::{Media, set_media};
use crate::state::AppState;
use crate::texts::Texts;
use crate::{db, i18n};

pub struct SetRow {
    pub id: String,
    pub href: String,
    pub title: String,
    pub state: &'static str,
    pub state_class: &'static str,
    pub pinned: bool,
    pub count: usize,
}

#[derive(askama::Template)]
#[template(path = "pages/studio/portfolio.html")]
struct ListPage {
    chrome: Chrome,
    albums: Vec<SetRow>,
    stories: Vec<SetRow>,
}

pub async fn list(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    viewer.studio()?;
    let t = viewer.texts();
    let now = state.clock.now();
    let mut albums = Vec::new();
    for a in store::albums(state.db.pool(), false).await? {
        let count = store::items(state.db.pool(), SetRef::Album(a.id)).await?.len();
        let (label, class) = if a.published_at.is_some() {
            (t.set_published, "ok")
        } else {
            (t.set_draft, "")
        };
        albums.push(SetRow {
            href: format!("/studio/portfolio/albums/{}", a.id),
            id: a.id.to_string(),
            title: a.title,
            state: label,
            state_class: class,
            pinned: false,
            count,
        });
    }
    let mut stories = Vec::new();
    for s in store::stories(state.db.pool()).await? {
        let count = store::items(state.db.pool(), SetRef::Story(s.id)).await?.len();
        let (label, class) = match (s.published_at, s.is_live(now)) {
            (None, _) => (t.set_draft, ""),
            (Some(_), true) => (t.set_published, "ok"),
            (Some(_), false) => (t.set_expired, "warn"),
        };
        stories.push(SetRow {
            href: format!("/studio/portfolio/stories/{}", s.id),
            id: s.id.to_string(),
            pinned: s.pinned,
            title: s.title,
            state: label,
            state_class: class,
            count,
        });
    }
    render(ListPage {
        chrome: viewer.chrome("portfolio", t.nav_portfolio),
        albums,
        stories,
    })
}

/// One picture of the set as the studio sees it.
pub struct ItemRow {
    pub id: String,
    pub file: String,
    pub name: String,
    pub thumb: Option<String>,
    pub is_video: bool,
    pub status: String,
    pub ready: bool,
    pub failure: Option<String>,
    pub caption: String,
    pub caption_en: String,
    pub is_cover: bool,
}

fn item_row(m: &Media, cover: Option<crate::domain::ItemId>) -> ItemRow {
    let thumb = m
        .variants
        .iter()
        .find(|v| v.name == "thumb" && v.format == "jpeg")
        .map(|v| crate::http::variants::url(m.file.id, v));
    ItemRow {
        id: m.item.id.to_string(),
        file: m.file.id.to_string(),
        name: m.file.name.clone(),
        thumb,
        is_video: m.is_video(),
        status: m.file.status.as_str().to_owned(),
        ready: m.is_public(),
        failure: m.file.failure.clone(),
        caption: m.item.caption.clone(),
        caption_en: m.item.caption_en.clone(),
        is_cover: cover == Some(m.item.id),
    }
}

/// A delivery's photo or video the studio may add.
pub struct Pickable {
    pub file: String,
    pub name: String,
    pub thumb: Option<String>,
    pub in_portfolio: bool,
}

pub struct DeliveryChoice {
    pub id: String,
    pub label: String,
    pub selected: bool,
}

/// What differs between an album's page and a story's.
pub enum SetForm {
    Album {
        description: String,
        description_en: String,
    },
    Story {
        pinned: bool,
        /// `YYYY-MM-DD` for the date input.
        expires: String,
    },
}

#[derive(askama::Template)]
#[template(path = "pages/studio/set.html")]
struct SetPage {
    chrome: Chrome,
    /// "albums" or "stories", as in the API paths.
    kind: &'static str,
    id: String,
    title: String,
    title_en: String,
    slug: String,
    published: bool,
    public_url: Option<String>,
    form: SetForm,
    items: Vec<ItemRow>,
    uploader: UploaderConfig,
    deliveries: Vec<DeliveryChoice>,
    pickable: Option<Vec<Pickable>>,
    /// A published album: the body of a newsletter draft that announces it.
    announce: Option<String>,
}

/// A draft letter announcing a published album, in the studio's language, its cover as
/// the picture.
fn announcement(state: &AppState, t: &Texts, album: &store::Album) -> Option<String> {
    album.published_at?;
    let url = state.cfg.public_url.join(&format!("albums/{}", album.slug)).ok()?;
    let body = serde_json::json!({
        "subject": t.nls_announce_subject.replace("{title}", &album.title),
        "markdown": t.nls_announce_body.replace("{title}", &album.title).replace("{url}", url.as_str()),
        "picture_item": album.cover_item.map(|i| i.to_string()),
    });
    Some(body.to_string())
}

#[derive(Deserialize)]
pub struct SetQuery {
    /// A delivery to pick photos from.
    from: Option<String>,
}

async fn picking(
    state: &AppState,
    locale: Locale,
    from: Option<&str>,
) -> Result<(Vec<DeliveryChoice>, Option<Vec<Pickable>>), PageError> {
    let chosen = from.and_then(TransferId::parse);
    let mut clients = std::collections::HashMap::new();
    for c in db::users::clients(state.db.pool(), "").await? {
        clients.insert(c.user.id, c.user.name);
    }
    let deliveries: Vec<DeliveryChoice> = db::transfers::list(state.db.pool(), None)
        .await?
        .into_iter()
        .filter(|t| t.direction == Direction::Delivery)
        .map(|t| {
            let client = t.client.and_then(|c| clients.get(&c).cloned()).unwrap_or_default();
            DeliveryChoice {
                selected: Some(t.id) == chosen,
                label: format!("{} — {} ({})", t.title, client, i18n::date(locale, t.created_at)),
                id: t.id.to_string(),
            }
        })
        .collect();
    let Some(transfer) = chosen.filter(|c| deliveries.iter().any(|d| d.id == c.to_string())) else {
        return Ok((deliveries, None));
    };
    let used = store::files_in_portfolio(state.db.pool()).await?;
    let variants = db::variants::for_transfer(state.db.pool(), transfer).await?;
    let pickable = db::files::list_for_transfer(state.db.pool(), transfer)
        .await?
        .into_iter()
        .filter(|f| f.has_bytes() && crate::portfolio::showable(f))
        .map(|f| {
            let key = f.id.to_db();
            let thumb = variants
                .get(&key)
                .and_then(|vs| vs.iter().find(|v| v.name == "thumb" && v.format == "jpeg"))
                .map(|v| crate::http::variants::url(f.id, v));
            Pickable {
                in_portfolio: used.contains(&key),
                file: key,
                name: f.name,
                thumb,
            }
        })
        .collect();
    Ok((deliveries, Some(pickable)))
}

pub async fn album(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<SetQuery>,
) -> Result<Response, PageError> {
    viewer.studio()?;
    let (t, locale) = (viewer.texts(), viewer.locale);
    let id = AlbumId::parse(&id).ok_or(PageError::NotFound)?;
    let album = store::find_album(state.db.pool(), id)
        .await?
        .ok_or(PageError::NotFound)?;
    let media = set_media(&state, SetRef::Album(id)).await?;
    let (deliveries, pickable) = picking(&state, locale, q.from.as_deref()).await?;
    let announce = announcement(&state, t, &album);
    render(SetPage {
        announce,
        chrome: viewer.chrome("portfolio", album.title.clone()),
        kind: "albums",
        id: id.to_string(),
        public_url: album.published_at.map(|_| format!("/albums/{}", album.slug)),
        published: album.published_at.is_some(),
        items: media.iter().map(|m| item_row(m, album.cover_item)).collect(),
        uploader: set_uploader(&state, t, locale, "album", &id.to_string()),
        form: SetForm::Album {
            description: album.description,
            description_en: album.description_en,
        },
        title: album.title,
        title_en: album.title_en,
        slug: album.slug,
        deliveries,
        pickable,
    })
}

pub async fn story(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<SetQuery>,
) -> Result<Response, PageError> {
    viewer.studio()?;
    let (t, locale) = (viewer.texts(), viewer.locale);
    let id = StoryId::parse(&id).ok_or(PageError::NotFound)?;
    let story = store::find_story(state.db.pool(), id)
        .await?
        .ok_or(PageError::NotFound)?;
    let media = set_media(&state, SetRef::Story(id)).await?;
    let (deliveries, pickable) = picking(&state, locale, q.from.as_deref()).await?;
    let live = story.is_live(state.clock.now());
    render(SetPage {
        announce: None,
        chrome: viewer.chrome("portfolio", story.title.clone()),
        kind: "stories",
        id: id.to_string(),
        public_url: live.then(|| format!("/stories/{}", story.slug)),
        published: story.published_at.is_some(),
        items: media.iter().map(|m| item_row(m, None)).collect(),
        uploader: set_uploader(&state, t, locale, "story", &id.to_string()),
        form: SetForm::Story {
            pinned: story.pinned,
            expires: story
                .expires_at
                .map(|e| i18n::iso(e)[..10].to_owned())
                .unwrap_or_default(),
        },
        title: story.title,
        title_en: story.title_en,
        slug: story.slug,
        deliveries,
        pickable,
    })
}

fn set_uploader(state: &AppState, t: &'static Texts, locale: Locale, key: &str, id: &str) -> UploaderConfig {
    let mut uploader = UploaderConfig::into_target(state, t, locale, key, id);
    uploader.reload_on_done = true;
    // The portfolio shows photos and videos; the picker offers nothing else.
    uploader.accept_json = Some(r#"["image/*","video/*"]"#.into());
    uploader.categories = false;
    uploader
}
