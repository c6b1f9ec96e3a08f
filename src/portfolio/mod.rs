//! The public portfolio: the studio arranges photos and videos into albums and stories;
//! visitors see what is published. Files come either from an upload into a set (they then
//! live in the portfolio's own transfer) or picked from any transfer (a delivery's best
//! photos), in which case the item points at the very same file: no copy, and a poster
//! changed on the delivery's video changes on the portfolio too.

pub mod public;

use crate::db::files::FileRecord;
use crate::db::portfolio::{self as store, Album, AlbumFields, Item, SetRef, Story, StoryFields};
use crate::db::{self, DbError};
use crate::domain::{AlbumId, Category, FileId, ItemId, Slug, StoryId, Timestamp};
use crate::state::AppState;

const TITLE_MAX: usize = 200;
const DESCRIPTION_MAX: usize = 5_000;
const CAPTION_MAX: usize = 1_000;

#[derive(Debug, thiserror::Error)]
pub enum PortfolioError {
    #[error("no such album, story or item")]
    NotFound,
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("the address /{0} is already used by another album or story")]
    SlugTaken(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

fn invalid(field: &'static str, message: impl Into<String>) -> PortfolioError {
    PortfolioError::Invalid {
        field,
        message: message.into(),
    }
}

/// Trimmed text of at most `max` characters; `required` refuses an empty one.
fn text(field: &'static str, raw: &str, max: usize, required: bool) -> Result<String, PortfolioError> {
    let trimmed = raw.trim();
    if required && trimmed.is_empty() {
        return Err(invalid(field, "required"));
    }
    if trimmed.chars().count() > max {
        return Err(invalid(field, format!("at most {max} characters")));
    }
    Ok(trimmed.to_owned())
}

/// The slug asked for, or one made from the title.
fn slug(raw: Option<&str>, title: &str) -> Result<Slug, PortfolioError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Slug::parse(s).map_err(|e| invalid("slug", e.to_string())),
        None => Slug::from_title(title).ok_or_else(|| invalid("slug", "the title gives no address; choose a slug")),
    }
}

/// An album as the studio writes it (every field; a PATCH is merged onto the current
/// album first).
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct AlbumInput {
    pub title: String,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub title_en: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub description_en: String,
    #[serde(default)]
    pub cover: Option<ItemId>,
    #[serde(default)]
    pub published: bool,
}

impl AlbumInput {
    pub fn of(album: &Album) -> Self {
        Self {
            title: album.title.clone(),
            slug: Some(album.slug.clone()),
            title_en: album.title_en.clone(),
            description: album.description.clone(),
            description_en: album.description_en.clone(),
            cover: album.cover_item,
            published: album.published_at.is_some(),
        }
    }
}

struct CheckedAlbum {
    slug: Slug,
    title: String,
    title_en: String,
    description: String,
    description_en: String,
}

fn check_album(input: &AlbumInput) -> Result<CheckedAlbum, PortfolioError> {
    let title = text("title", &input.title, TITLE_MAX, true)?;
    Ok(CheckedAlbum {
        slug: slug(input.slug.as_deref(), &title)?,
        title_en: text("title_en", &input.title_en, TITLE_MAX, false)?,
        description: text("description", &input.description, DESCRIPTION_MAX, false)?,
        description_en: text("description_en", &input.description_en, DESCRIPTION_MAX, false)?,
        title,
    })
}

/// When the set counts as published: kept from before, or now.
fn published_at(wanted: bool, before: Option<Timestamp>, now: Timestamp) -> Option<Timestamp> {
    wanted.then(|| before.unwrap_or(now))
}

/// Slugs are unique per kind; an album and a story may not share one either, so a link
/// never changes meaning when a set is renamed.
async fn slug_free(state: &AppState, slug: &Slug, except: Option<SetRef>) -> Result<(), PortfolioError> {
    let album = store::album_by_slug(state.db.pool(), slug).await?;
    let story = store::story_by_slug(state.db.pool(), slug).await?;
    let taken = album.is_some_and(|a| except != Some(SetRef::Album(a.id)))
        || story.is_some_and(|s| except != Some(SetRef::Story(s.id)));
    if taken {
        return Err(PortfolioError::SlugTaken(slug.to_string()));
    }
    Ok(())
}

fn unique_or_taken(slug: &Slug) -> impl FnOnce(DbError) -> PortfolioError + '_ {
    move |e| {
        if e.is_unique_violation() {
            PortfolioError::SlugTaken(slug.to_string())
        } else {
            e.into()
        }
    }
}

pub async fn create_album(state: &AppState, input: &AlbumInput) -> Result<Album, PortfolioError> {
    let c = check_album(input)?;
    slug_free(state, &c.slug, None).await?;
    let now = state.clock.now();
    let fields = AlbumFields {
        slug: &c.slug,
        title: &c.title,
        title_en: &c.title_en,
        description: &c.description,
        description_en: &c.description_en,
        cover_item: None,
        published_at: published_at(input.published, None, now),
    };
    let mut tx = state.db.begin().await?;
    let album = store::insert_album(&mut tx, &fields, now)
        .await
        .map_err(unique_or_taken(&c.slug))?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(album)
}

pub async fn album(state: &AppState, id: AlbumId) -> Result<Album, PortfolioError> {
    store::find_album(state.db.pool(), id)
        .await?
        .ok_or(PortfolioError::NotFound)
}

pub async fn update_album(state: &AppState, id: AlbumId, input: &AlbumInput) -> Result<Album, PortfolioError> {
    let before = album(state, id).await?;
    let c = check_album(input)?;
    slug_free(state, &c.slug, Some(SetRef::Album(id))).await?;
    if let Some(cover) = input.cover {
        let item = store::find_item(state.db.pool(), cover).await?;
        if !item.is_some_and(|i| i.set == SetRef::Album(id)) {
            return Err(invalid("cover", "not an item of this album"));
        }
    }
    let now = state.clock.now();
    let fields = AlbumFields {
        slug: &c.slug,
        title: &c.title,
        title_en: &c.title_en,
        description: &c.description,
        description_en: &c.description_en,
        cover_item: input.cover,
        published_at: published_at(input.published, before.published_at, now),
    };
    let mut tx = state.db.begin().await?;
    store::update_album(&mut tx, id, &fields, now)
        .await
        .map_err(unique_or_taken(&c.slug))?;
    tx.commit().await.map_err(DbError::from)?;
    album(state, id).await
}

/// Deletes an album and its items; the files stay where they are (a delivery keeps its
/// photos; uploads into the portfolio stay in its transfer).
pub async fn delete_album(state: &AppState, id: AlbumId) -> Result<(), PortfolioError> {
    if store::delete_album(state.db.pool(), id).await? {
        Ok(())
    } else {
        Err(PortfolioError::NotFound)
    }
}

/// Puts the albums in the given order; the list must name each album once.
pub async fn order_albums(state: &AppState, ids: &[AlbumId]) -> Result<(), PortfolioError> {
    let current: Vec<AlbumId> = store::albums(state.db.pool(), false)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    same_members("albums", &current, ids)?;
    let mut tx = state.db.begin().await?;
    store::order_albums(&mut tx, ids, state.clock.now()).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

fn same_members<T: Ord + Copy>(field: &'static str, current: &[T], wanted: &[T]) -> Result<(), PortfolioError> {
    let mut a = current.to_vec();
    let mut b = wanted.to_vec();
    a.sort();
    b.sort();
    if a != b {
        return Err(invalid(field, "expected every one of them, each once"));
    }
    Ok(())
}

/// A story as the studio writes it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct StoryInput {
    pub title: String,
    #[serde(default)]
    pub slug: Option<String>,
    #[serde(default)]
    pub title_en: String,
    #[serde(default)]
    pub pinned: bool,
    /// Milliseconds since the epoch, as for deliveries.
    #[serde(default)]
    pub expires_at: Option<Timestamp>,
    #[serde(default)]
    pub published: bool,
}

impl StoryInput {
    pub fn of(story: &Story) -> Self {
        Self {
            title: story.title.clone(),
            slug: Some(story.slug.clone()),
            title_en: story.title_en.clone(),
            pinned: story.pinned,
            expires_at: story.expires_at,
            published: story.published_at.is_some(),
        }
    }
}

pub async fn create_story(state: &AppState, input: &StoryInput) -> Result<Story, PortfolioError> {
    save_story(state, None, input).await
}

pub async fn update_story(state: &AppState, id: StoryId, input: &StoryInput) -> Result<Story, PortfolioError> {
    save_story(state, Some(story(state, id).await?), input).await
}

async fn save_story(state: &AppState, before: Option<Story>, input: &StoryInput) -> Result<Story, PortfolioError> {
    let title = text("title", &input.title, TITLE_MAX, true)?;
    let title_en = text("title_en", &input.title_en, TITLE_MAX, false)?;
    let slug = slug(input.slug.as_deref(), &title)?;
    slug_free(state, &slug, before.as_ref().map(|s| SetRef::Story(s.id))).await?;
    let now = state.clock.now();
    if let Some(at) = input.expires_at
        && at <= now
        && before.as_ref().and_then(|s| s.expires_at) != Some(at)
    {
        return Err(invalid("expires_at", "must be in the future"));
    }
    let fields = StoryFields {
        slug: &slug,
        title: &title,
        title_en: &title_en,
        pinned: input.pinned,
        expires_at: input.expires_at,
        published_at: published_at(input.published, before.as_ref().and_then(|s| s.published_at), now),
    };
    let mut tx = state.db.begin().await?;
    let id = match &before {
        Some(s) => {
            store::update_story(&mut tx, s.id, &fields, now)
                .await
                .map_err(unique_or_taken(&slug))?;
            s.id
        }
        None => {
            store::insert_story(&mut tx, &fields, now)
                .await
                .map_err(unique_or_taken(&slug))?
                .id
        }
    };
    tx.commit().await.map_err(DbError::from)?;
    story(state, id).await
}

pub async fn story(state: &AppState, id: StoryId) -> Result<Story, PortfolioError> {
    store::find_story(state.db.pool(), id)
        .await?
        .ok_or(PortfolioError::NotFound)
}

pub async fn delete_story(state: &AppState, id: StoryId) -> Result<(), PortfolioError> {
    if store::delete_story(state.db.pool(), id).await? {
        Ok(())
    } else {
        Err(PortfolioError::NotFound)
    }
}

/// Checks that a set exists.
pub async fn set_exists(state: &AppState, set: SetRef) -> Result<(), PortfolioError> {
    match set {
        SetRef::Album(id) => album(state, id).await.map(drop),
        SetRef::Story(id) => story(state, id).await.map(drop),
    }
}

/// Only what a page can show goes into the portfolio: photos and videos.
pub fn showable(file: &FileRecord) -> bool {
    matches!(file.category, Category::Photo | Category::Video)
        || file.media_type.starts_with("image/")
        || file.media_type.starts_with("video/")
}

/// Places an existing file (a delivery's photo, an earlier upload) at the end of a set.
pub async fn pick(state: &AppState, set: SetRef, file: FileId) -> Result<Item, PortfolioError> {
    set_exists(state, set).await?;
    let record = db::files::find(state.db.pool(), file)
        .await?
        .ok_or_else(|| invalid("file", "no such file"))?;
    if !showable(&record) {
        return Err(invalid("file", "the portfolio shows photos and videos"));
    }
    if !record.has_bytes() {
        return Err(invalid("file", "the file is not completely uploaded yet"));
    }
    let mut tx = state.db.begin().await?;
    let id = store::append_item(&mut tx, set, file, state.clock.now()).await?;
    tx.commit().await.map_err(DbError::from)?;
    item(state, id).await
}

pub async fn item(state: &AppState, id: ItemId) -> Result<Item, PortfolioError> {
    store::find_item(state.db.pool(), id)
        .await?
        .ok_or(PortfolioError::NotFound)
}

pub async fn caption(state: &AppState, id: ItemId, fr: &str, en: &str) -> Result<Item, PortfolioError> {
    item(state, id).await?;
    let fr = text("caption", fr, CAPTION_MAX, false)?;
    let en = text("caption_en", en, CAPTION_MAX, false)?;
    store::set_caption(state.db.pool(), id, &fr, &en, state.clock.now()).await?;
    item(state, id).await
}

/// Takes an item out of its set; the file itself stays.
pub async fn remove(state: &AppState, id: ItemId) -> Result<(), PortfolioError> {
    item(state, id).await?;
    let mut tx = state.db.begin().await?;
    store::delete_item(&mut tx, id).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}

/// Puts a set's items in the given order; the list must name each item once.
pub async fn order_items(state: &AppState, set: SetRef, ids: &[ItemId]) -> Result<(), PortfolioError> {
    set_exists(state, set).await?;
    let current: Vec<ItemId> = store::items(state.db.pool(), set)
        .await?
        .into_iter()
        .map(|i| i.id)
        .collect();
    same_members("items", &current, ids)?;
    let mut tx = state.db.begin().await?;
    store::order_items(&mut tx, ids, state.clock.now()).await?;
    tx.commit().await.map_err(DbError::from)?;
    Ok(())
}
