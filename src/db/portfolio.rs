//! Albums, stories and their items. Positions are dense integers rewritten as a whole when
//! the studio reorders, so the order a page shows is always the order last saved.

use sqlx::{Any, Executor, FromRow};

use super::{DbError, Tx, parse_id};
use crate::domain::{AlbumId, FileId, ItemId, Slug, StoryId, Timestamp};

/// The set an item belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetRef {
    Album(AlbumId),
    Story(StoryId),
}

impl SetRef {
    /// The item column naming this kind of set; a constant, safe to put in SQL.
    fn column(self) -> &'static str {
        match self {
            SetRef::Album(_) => "album_id",
            SetRef::Story(_) => "story_id",
        }
    }

    fn id(self) -> String {
        match self {
            SetRef::Album(id) => id.to_db(),
            SetRef::Story(id) => id.to_db(),
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Album {
    pub id: AlbumId,
    pub slug: String,
    pub title: String,
    pub title_en: String,
    pub description: String,
    pub description_en: String,
    /// The item chosen as cover; `None`: the first item.
    pub cover_item: Option<ItemId>,
    pub position: i64,
    pub published_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(FromRow)]
struct AlbumRow {
    id: String,
    slug: String,
    title: String,
    title_en: String,
    description: String,
    description_en: String,
    cover_item_id: Option<String>,
    position: i64,
    published_at: Option<Timestamp>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl AlbumRow {
    fn into_album(self) -> Result<Album, DbError> {
        Ok(Album {
            id: parse_id(&self.id, AlbumId::parse)?,
            slug: self.slug,
            title: self.title,
            title_en: self.title_en,
            description: self.description,
            description_en: self.description_en,
            cover_item: self.cover_item_id.as_deref().and_then(ItemId::parse),
            position: self.position,
            published_at: self.published_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

const ALBUM_COLUMNS: &str = "id, slug, title, title_en, description, description_en, cover_item_id, position, \
                             published_at, created_at, updated_at";

#[derive(Debug, Clone, serde::Serialize)]
pub struct Story {
    pub id: StoryId,
    pub slug: String,
    pub title: String,
    pub title_en: String,
    pub pinned: bool,
    pub expires_at: Option<Timestamp>,
    pub published_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl Story {
    /// On the public site now: published, and pinned or not yet expired.
    pub fn is_live(&self, now: Timestamp) -> bool {
        self.published_at.is_some() && (self.pinned || self.expires_at.is_none_or(|e| e > now))
    }
}

#[derive(FromRow)]
struct StoryRow {
    id: String,
    slug: String,
    title: String,
    title_en: String,
    pinned: i64,
    expires_at: Option<Timestamp>,
    published_at: Option<Timestamp>,
    created_at: Timestamp,
    updated_at: Timestamp,
}

impl StoryRow {
    fn into_story(self) -> Result<Story, DbError> {
        Ok(Story {
            id: parse_id(&self.id, StoryId::parse)?,
            slug: self.slug,
            title: self.title,
            title_en: self.title_en,
            pinned: self.pinned != 0,
            expires_at: self.expires_at,
            published_at: self.published_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

const STORY_COLUMNS: &str = "id, slug, title, title_en, pinned, expires_at, published_at, created_at, updated_at";

#[derive(Debug, Clone)]
pub struct Item {
    pub id: ItemId,
    pub set: SetRef,
    pub file: FileId,
    pub caption: String,
    pub caption_en: String,
    pub position: i64,
}

#[derive(FromRow)]
struct ItemRow {
    id: String,
    album_id: Option<String>,
    story_id: Option<String>,
    file_id: String,
    caption: String,
    caption_en: String,
    position: i64,
}

impl ItemRow {
    fn into_item(self) -> Result<Item, DbError> {
        let set = match (self.album_id, self.story_id) {
            (Some(a), None) => SetRef::Album(parse_id(&a, AlbumId::parse)?),
            (None, Some(s)) => SetRef::Story(parse_id(&s, StoryId::parse)?),
            _ => return Err(DbError::Corrupt(format!("item {} in no single set", self.id))),
        };
        Ok(Item {
            id: parse_id(&self.id, ItemId::parse)?,
            set,
            file: parse_id(&self.file_id, FileId::parse)?,
            caption: self.caption,
            caption_en: self.caption_en,
            position: self.position,
        })
    }
}

const ITEM_COLUMNS: &str = "id, album_id, story_id, file_id, caption, caption_en, position";

/// What the studio writes about an album; the slug is already checked.
pub struct AlbumFields<'a> {
    pub slug: &'a Slug,
    pub title: &'a str,
    pub title_en: &'a str,
    pub description: &'a str,
    pub description_en: &'a str,
    pub cover_item: Option<ItemId>,
    pub published_at: Option<Timestamp>,
}

pub async fn insert_album(tx: &mut Tx, f: &AlbumFields<'_>, now: Timestamp) -> Result<Album, DbError> {
    let id = AlbumId::new();
    // New albums go first: the studio usually publishes its latest work on top.
    let (first,): (Option<i64>,) = sqlx::query_as("SELECT MIN(position) FROM albums")
        .fetch_one(&mut **tx)
        .await?;
    let position = first.map_or(0, |p| p - 1);
    sqlx::query(
        "INSERT INTO albums (id, slug, title, title_en, description, description_en, cover_item_id, position, \
         published_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
    )
    .bind(id.to_db())
    .bind(f.slug.as_str())
    .bind(f.title)
    .bind(f.title_en)
    .bind(f.description)
    .bind(f.description_en)
    .bind(f.cover_item.map(|i| i.to_db()))
    .bind(position)
    .bind(f.published_at)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    find_album(&mut **tx, id)
        .await?
        .ok_or(DbError::Corrupt("album vanished".into()))
}

pub async fn update_album(tx: &mut Tx, id: AlbumId, f: &AlbumFields<'_>, now: Timestamp) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE albums SET slug = $2, title = $3, title_en = $4, description = $5, description_en = $6, \
         cover_item_id = $7, published_at = $8, updated_at = $9 WHERE id = $1",
    )
    .bind(id.to_db())
    .bind(f.slug.as_str())
    .bind(f.title)
    .bind(f.title_en)
    .bind(f.description)
    .bind(f.description_en)
    .bind(f.cover_item.map(|i| i.to_db()))
    .bind(f.published_at)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn find_album<'e>(ex: impl Executor<'e, Database = Any>, id: AlbumId) -> Result<Option<Album>, DbError> {
    let sql = format!("SELECT {ALBUM_COLUMNS} FROM albums WHERE id = $1");
    let row: Option<AlbumRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.to_db())
        .fetch_optional(ex)
        .await?;
    row.map(AlbumRow::into_album).transpose()
}

pub async fn album_by_slug<'e>(ex: impl Executor<'e, Database = Any>, slug: &Slug) -> Result<Option<Album>, DbError> {
    let sql = format!("SELECT {ALBUM_COLUMNS} FROM albums WHERE slug = $1");
    let row: Option<AlbumRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(slug.as_str())
        .fetch_optional(ex)
        .await?;
    row.map(AlbumRow::into_album).transpose()
}

/// Every album in the studio's order; only the published ones with `published_only`.
pub async fn albums<'e>(ex: impl Executor<'e, Database = Any>, published_only: bool) -> Result<Vec<Album>, DbError> {
    let filter = if published_only {
        "WHERE published_at IS NOT NULL"
    } else {
        ""
    };
    let sql = format!("SELECT {ALBUM_COLUMNS} FROM albums {filter} ORDER BY position, created_at DESC");
    let rows: Vec<AlbumRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(ex).await?;
    rows.into_iter().map(AlbumRow::into_album).collect()
}

pub async fn delete_album<'e>(ex: impl Executor<'e, Database = Any>, id: AlbumId) -> Result<bool, DbError> {
    let done = sqlx::query("DELETE FROM albums WHERE id = $1")
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Gives the albums the order of `ids` (which the caller checked is all of them).
pub async fn order_albums(tx: &mut Tx, ids: &[AlbumId], now: Timestamp) -> Result<(), DbError> {
    for (position, id) in ids.iter().enumerate() {
        sqlx::query("UPDATE albums SET position = $2, updated_at = $3 WHERE id = $1")
            .bind(id.to_db())
            .bind(position as i64)
            .bind(now)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// What the studio writes about a story; the slug is already checked.
pub struct StoryFields<'a> {
    pub slug: &'a Slug,
    pub title: &'a str,
    pub title_en: &'a str,
    pub pinned: bool,
    pub expires_at: Option<Timestamp>,
    pub published_at: Option<Timestamp>,
}

pub async fn insert_story(tx: &mut Tx, f: &StoryFields<'_>, now: Timestamp) -> Result<Story, DbError> {
    let id = StoryId::new();
    sqlx::query(
        "INSERT INTO stories (id, slug, title, title_en, pinned, expires_at, published_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
    )
    .bind(id.to_db())
    .bind(f.slug.as_str())
    .bind(f.title)
    .bind(f.title_en)
    .bind(i64::from(f.pinned))
    .bind(f.expires_at)
    .bind(f.published_at)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    find_story(&mut **tx, id)
        .await?
        .ok_or(DbError::Corrupt("story vanished".into()))
}

pub async fn update_story(tx: &mut Tx, id: StoryId, f: &StoryFields<'_>, now: Timestamp) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE stories SET slug = $2, title = $3, title_en = $4, pinned = $5, expires_at = $6, published_at = $7, \
         updated_at = $8 WHERE id = $1",
    )
    .bind(id.to_db())
    .bind(f.slug.as_str())
    .bind(f.title)
    .bind(f.title_en)
    .bind(i64::from(f.pinned))
    .bind(f.expires_at)
    .bind(f.published_at)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn find_story<'e>(ex: impl Executor<'e, Database = Any>, id: StoryId) -> Result<Option<Story>, DbError> {
    let sql = format!("SELECT {STORY_COLUMNS} FROM stories WHERE id = $1");
    let row: Option<StoryRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.to_db())
        .fetch_optional(ex)
        .await?;
    row.map(StoryRow::into_story).transpose()
}

pub async fn story_by_slug<'e>(ex: impl Executor<'e, Database = Any>, slug: &Slug) -> Result<Option<Story>, DbError> {
    let sql = format!("SELECT {STORY_COLUMNS} FROM stories WHERE slug = $1");
    let row: Option<StoryRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(slug.as_str())
        .fetch_optional(ex)
        .await?;
    row.map(StoryRow::into_story).transpose()
}

/// Every story: pinned first, then the newest.
pub async fn stories<'e>(ex: impl Executor<'e, Database = Any>) -> Result<Vec<Story>, DbError> {
    let sql = format!("SELECT {STORY_COLUMNS} FROM stories ORDER BY pinned DESC, created_at DESC");
    let rows: Vec<StoryRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(ex).await?;
    rows.into_iter().map(StoryRow::into_story).collect()
}

pub async fn delete_story<'e>(ex: impl Executor<'e, Database = Any>, id: StoryId) -> Result<bool, DbError> {
    let done = sqlx::query("DELETE FROM stories WHERE id = $1")
        .bind(id.to_db())
        .execute(ex)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Puts a file at the end of a set.
pub async fn append_item(tx: &mut Tx, set: SetRef, file: FileId, now: Timestamp) -> Result<ItemId, DbError> {
    let id = ItemId::new();
    let column = set.column();
    let sql = format!(
        "INSERT INTO portfolio_items (id, {column}, file_id, position, created_at, updated_at) \
         SELECT $1, $2, $3, COALESCE(MAX(position) + 1, 0), $4, $4 FROM portfolio_items WHERE {column} = $2"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id.to_db())
        .bind(set.id())
        .bind(file.to_db())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    Ok(id)
}

pub async fn find_item<'e>(ex: impl Executor<'e, Database = Any>, id: ItemId) -> Result<Option<Item>, DbError> {
    let sql = format!("SELECT {ITEM_COLUMNS} FROM portfolio_items WHERE id = $1");
    let row: Option<ItemRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id.to_db())
        .fetch_optional(ex)
        .await?;
    row.map(ItemRow::into_item).transpose()
}

/// The items of a set, in order.
pub async fn items<'e>(ex: impl Executor<'e, Database = Any>, set: SetRef) -> Result<Vec<Item>, DbError> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM portfolio_items WHERE {} = $1 ORDER BY position, created_at",
        set.column()
    );
    let rows: Vec<ItemRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(set.id())
        .fetch_all(ex)
        .await?;
    rows.into_iter().map(ItemRow::into_item).collect()
}

pub async fn set_caption<'e>(
    ex: impl Executor<'e, Database = Any>,
    id: ItemId,
    caption: &str,
    caption_en: &str,
    now: Timestamp,
) -> Result<(), DbError> {
    sqlx::query("UPDATE portfolio_items SET caption = $2, caption_en = $3, updated_at = $4 WHERE id = $1")
        .bind(id.to_db())
        .bind(caption)
        .bind(caption_en)
        .bind(now)
        .execute(ex)
        .await?;
    Ok(())
}

pub async fn delete_item(tx: &mut Tx, id: ItemId) -> Result<(), DbError> {
    // An album whose cover this was falls back to its first item.
    sqlx::query("UPDATE albums SET cover_item_id = NULL WHERE cover_item_id = $1")
        .bind(id.to_db())
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM portfolio_items WHERE id = $1")
        .bind(id.to_db())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Gives a set's items the order of `ids` (which the caller checked is all of them).
pub async fn order_items(tx: &mut Tx, ids: &[ItemId], now: Timestamp) -> Result<(), DbError> {
    for (position, id) in ids.iter().enumerate() {
        sqlx::query("UPDATE portfolio_items SET position = $2, updated_at = $3 WHERE id = $1")
            .bind(id.to_db())
            .bind(position as i64)
            .bind(now)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The ids of the files some album or story shows, for the studio's "already in the
/// portfolio" marks when it picks from a delivery.
pub async fn files_in_portfolio<'e>(
    ex: impl Executor<'e, Database = Any>,
) -> Result<std::collections::HashSet<String>, DbError> {
    let rows: Vec<(String,)> = sqlx::query_as("SELECT DISTINCT file_id FROM portfolio_items")
        .fetch_all(ex)
        .await?;
    Ok(rows.into_iter().map(|(f,)| f).collect())
}

/// The files of a set's items.
pub async fn set_files<'e, E>(ex: E, set: SetRef) -> Result<Vec<super::files::FileRecord>, DbError>
where
    E: Executor<'e, Database = Any>,
{
    let condition = format!(
        "id IN (SELECT file_id FROM portfolio_items WHERE {} = $1)",
        set.column()
    );
    super::files::list_where(ex, &condition, &set.id()).await
}

/// The variants of a set's files, by file id.
pub async fn set_variants<'e>(
    ex: impl Executor<'e, Database = Any>,
    set: SetRef,
) -> Result<std::collections::HashMap<String, Vec<super::variants::VariantRow>>, DbError> {
    let condition = format!(
        "file_id IN (SELECT file_id FROM portfolio_items WHERE {} = $1)",
        set.column()
    );
    super::variants::list_where(ex, &condition, &set.id()).await
}
