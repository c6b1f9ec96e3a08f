//! The studio's portfolio API under `/api/v1/portfolio`: albums and stories (create, read,
//! change, delete, order) and their items (pick a file, caption, order, remove). Uploads
//! into a set go through tus with the `album` or `story` metadata key.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Deserializer, Serialize};

use super::ApiJson;
use super::auth::Studio;
use super::transfers::FileView;
use crate::db::portfolio::{Album, SetRef, Story};
use crate::domain::{AlbumId, FileId, ItemId, StoryId, Timestamp};
use crate::http::error::AppError;
use crate::portfolio::public::{Media, set_media};
use crate::portfolio::{self, AlbumInput, StoryInput};
use crate::state::AppState;

#[derive(Serialize)]
pub struct ItemView {
    id: ItemId,
    caption: String,
    caption_en: String,
    position: i64,
    file: FileView,
}

impl ItemView {
    fn new(m: Media) -> Self {
        Self {
            id: m.item.id,
            caption: m.item.caption,
            caption_en: m.item.caption_en,
            position: m.item.position,
            file: FileView::new(m.file, &m.variants),
        }
    }
}

#[derive(Serialize)]
pub struct AlbumView {
    #[serde(flatten)]
    album: Album,
    /// Where visitors see it once published.
    url: String,
    published: bool,
    items: Vec<ItemView>,
}

async fn album_view(state: &AppState, album: Album) -> Result<AlbumView, AppError> {
    let items = set_media(state, SetRef::Album(album.id)).await?;
    Ok(AlbumView {
        url: format!("/albums/{}", album.slug),
        published: album.published_at.is_some(),
        items: items.into_iter().map(ItemView::new).collect(),
        album,
    })
}

#[derive(Serialize)]
pub struct StoryView {
    #[serde(flatten)]
    story: Story,
    url: String,
    published: bool,
    /// Visible on the public site now (published, and pinned or not expired).
    live: bool,
    items: Vec<ItemView>,
}

async fn story_view(state: &AppState, story: Story) -> Result<StoryView, AppError> {
    let items = set_media(state, SetRef::Story(story.id)).await?;
    Ok(StoryView {
        url: format!("/stories/{}", story.slug),
        published: story.published_at.is_some(),
        live: story.is_live(state.clock.now()),
        items: items.into_iter().map(ItemView::new).collect(),
        story,
    })
}

fn album_id(raw: &str) -> Result<AlbumId, AppError> {
    AlbumId::parse(raw).ok_or(AppError::NotFound)
}

fn story_id(raw: &str) -> Result<StoryId, AppError> {
    StoryId::parse(raw).ok_or(AppError::NotFound)
}

/// A field that may be absent (keep), `null` (clear) or a value.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

pub async fn albums(State(state): State<AppState>, _: Studio) -> Result<axum::Json<Vec<AlbumView>>, AppError> {
    let mut out = Vec::new();
    for album in crate::db::portfolio::albums(state.db.pool(), false).await? {
        out.push(album_view(&state, album).await?);
    }
    Ok(axum::Json(out))
}

pub async fn create_album(
    State(state): State<AppState>,
    _: Studio,
    ApiJson(input): ApiJson<AlbumInput>,
) -> Result<(StatusCode, axum::Json<AlbumView>), AppError> {
    let album = portfolio::create_album(&state, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(album_view(&state, album).await?)))
}

pub async fn album(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
) -> Result<axum::Json<AlbumView>, AppError> {
    let album = portfolio::album(&state, album_id(&id)?).await?;
    Ok(axum::Json(album_view(&state, album).await?))
}

/// What a PATCH may change; absent fields keep their value.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlbumPatch {
    title: Option<String>,
    slug: Option<String>,
    title_en: Option<String>,
    description: Option<String>,
    description_en: Option<String>,
    #[serde(default, deserialize_with = "present")]
    cover: Option<Option<ItemId>>,
    published: Option<bool>,
}

pub async fn update_album(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<AlbumPatch>,
) -> Result<axum::Json<AlbumView>, AppError> {
    let id = album_id(&id)?;
    let mut input = AlbumInput::of(&portfolio::album(&state, id).await?);
    input.title = patch.title.unwrap_or(input.title);
    input.slug = patch.slug.or(input.slug);
    input.title_en = patch.title_en.unwrap_or(input.title_en);
    input.description = patch.description.unwrap_or(input.description);
    input.description_en = patch.description_en.unwrap_or(input.description_en);
    input.cover = patch.cover.unwrap_or(input.cover);
    input.published = patch.published.unwrap_or(input.published);
    let album = portfolio::update_album(&state, id, &input).await?;
    Ok(axum::Json(album_view(&state, album).await?))
}

pub async fn delete_album(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    portfolio::delete_album(&state, album_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct AlbumOrder {
    albums: Vec<AlbumId>,
}

pub async fn order_albums(
    State(state): State<AppState>,
    _: Studio,
    ApiJson(body): ApiJson<AlbumOrder>,
) -> Result<StatusCode, AppError> {
    portfolio::order_albums(&state, &body.albums).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn stories(State(state): State<AppState>, _: Studio) -> Result<axum::Json<Vec<StoryView>>, AppError> {
    let mut out = Vec::new();
    for story in crate::db::portfolio::stories(state.db.pool()).await? {
        out.push(story_view(&state, story).await?);
    }
    Ok(axum::Json(out))
}

pub async fn create_story(
    State(state): State<AppState>,
    _: Studio,
    ApiJson(input): ApiJson<StoryInput>,
) -> Result<(StatusCode, axum::Json<StoryView>), AppError> {
    let story = portfolio::create_story(&state, &input).await?;
    Ok((StatusCode::CREATED, axum::Json(story_view(&state, story).await?)))
}

pub async fn story(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
) -> Result<axum::Json<StoryView>, AppError> {
    let story = portfolio::story(&state, story_id(&id)?).await?;
    Ok(axum::Json(story_view(&state, story).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoryPatch {
    title: Option<String>,
    slug: Option<String>,
    title_en: Option<String>,
    pinned: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    expires_at: Option<Option<Timestamp>>,
    published: Option<bool>,
}

pub async fn update_story(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<StoryPatch>,
) -> Result<axum::Json<StoryView>, AppError> {
    let id = story_id(&id)?;
    let mut input = StoryInput::of(&portfolio::story(&state, id).await?);
    input.title = patch.title.unwrap_or(input.title);
    input.slug = patch.slug.or(input.slug);
    input.title_en = patch.title_en.unwrap_or(input.title_en);
    input.pinned = patch.pinned.unwrap_or(input.pinned);
    input.expires_at = patch.expires_at.unwrap_or(input.expires_at);
    input.published = patch.published.unwrap_or(input.published);
    let story = portfolio::update_story(&state, id, &input).await?;
    Ok(axum::Json(story_view(&state, story).await?))
}

pub async fn delete_story(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    portfolio::delete_story(&state, story_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
pub struct Pick {
    file: FileId,
}

async fn item_view(state: &AppState, item: crate::db::portfolio::Item) -> Result<ItemView, AppError> {
    let media = set_media(state, item.set)
        .await?
        .into_iter()
        .find(|m| m.item.id == item.id)
        .ok_or(AppError::NotFound)?;
    Ok(ItemView::new(media))
}

pub async fn pick_into_album(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Pick>,
) -> Result<(StatusCode, axum::Json<ItemView>), AppError> {
    let item = portfolio::pick(&state, SetRef::Album(album_id(&id)?), body.file).await?;
    Ok((StatusCode::CREATED, axum::Json(item_view(&state, item).await?)))
}

pub async fn pick_into_story(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Pick>,
) -> Result<(StatusCode, axum::Json<ItemView>), AppError> {
    let item = portfolio::pick(&state, SetRef::Story(story_id(&id)?), body.file).await?;
    Ok((StatusCode::CREATED, axum::Json(item_view(&state, item).await?)))
}

#[derive(Deserialize)]
pub struct ItemOrder {
    items: Vec<ItemId>,
}

pub async fn order_album_items(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ItemOrder>,
) -> Result<StatusCode, AppError> {
    portfolio::order_items(&state, SetRef::Album(album_id(&id)?), &body.items).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn order_story_items(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ItemOrder>,
) -> Result<StatusCode, AppError> {
    portfolio::order_items(&state, SetRef::Story(story_id(&id)?), &body.items).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemPatch {
    caption: Option<String>,
    caption_en: Option<String>,
}

pub async fn update_item(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<ItemPatch>,
) -> Result<axum::Json<ItemView>, AppError> {
    let id = ItemId::parse(&id).ok_or(AppError::NotFound)?;
    let item = portfolio::item(&state, id).await?;
    let item = portfolio::caption(
        &state,
        id,
        patch.caption.as_deref().unwrap_or(&item.caption),
        patch.caption_en.as_deref().unwrap_or(&item.caption_en),
    )
    .await?;
    Ok(axum::Json(item_view(&state, item).await?))
}

pub async fn delete_item(
    State(state): State<AppState>,
    _: Studio,
    Path(id): Path<String>,
) -> Result<StatusCode, AppError> {
    portfolio::remove(&state, ItemId::parse(&id).ok_or(AppError::NotFound)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn routes() -> axum::Router<AppState> {
    use axum::routing::{get, patch, post, put};
    axum::Router::new()
        .route("/portfolio/albums", get(albums).post(create_album))
        .route("/portfolio/albums/order", put(order_albums))
        .route(
            "/portfolio/albums/{id}",
            get(album).patch(update_album).delete(delete_album),
        )
        .route("/portfolio/albums/{id}/items", post(pick_into_album))
        .route("/portfolio/albums/{id}/order", put(order_album_items))
        .route("/portfolio/stories", get(stories).post(create_story))
        .route(
            "/portfolio/stories/{id}",
            get(story).patch(update_story).delete(delete_story),
        )
        .route("/portfolio/stories/{id}/items", post(pick_into_story))
        .route("/portfolio/stories/{id}/order", put(order_story_items))
        .route("/portfolio/items/{id}", patch(update_item).delete(delete_item))
}
