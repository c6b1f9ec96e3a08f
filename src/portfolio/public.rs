//! What visitors see: published albums, live stories, and for each item the picture sizes
//! a page offers the browser. Only files the media pipeline finished (`ready`) are shown;
//! a photo that did not decode stays visible to the studio only.

use std::collections::HashMap;

use crate::db::files::FileRecord;
use crate::db::portfolio::{self as store, Album, Item, SetRef, Story};
use crate::db::variants::VariantRow;
use crate::db::{self, DbError};
use crate::domain::{Category, FileStatus, ItemId, Locale, Slug, Timestamp};
use crate::state::AppState;

/// An item with its file and the file's variants.
#[derive(Debug, Clone)]
pub struct Media {
    pub item: Item,
    pub file: FileRecord,
    pub variants: Vec<VariantRow>,
}

impl Media {
    pub fn is_video(&self) -> bool {
        self.file.category == Category::Video || self.file.media_type.starts_with("video/")
    }

    /// Ready for visitors: processed, and a photo has its web sizes (a video plays even
    /// without a poster).
    pub fn is_public(&self) -> bool {
        self.file.status == FileStatus::Ready && (self.is_video() || self.variants.iter().any(|v| v.format == "jpeg"))
    }

    /// The variant of a name and format, for the media route.
    pub fn variant(&self, name: &str, format: &str) -> Option<&VariantRow> {
        self.variants.iter().find(|v| v.name == name && v.format == format)
    }

    /// The sizes a browser may choose from, or `None` for a video without a poster yet.
    pub fn picture(&self) -> Option<Picture> {
        let mut jpeg: Vec<&VariantRow> = self.variants.iter().filter(|v| v.format == "jpeg").collect();
        jpeg.sort_by_key(|v| v.width);
        let largest = *jpeg.last()?;
        let mut webp: Vec<&VariantRow> = self.variants.iter().filter(|v| v.format == "webp").collect();
        webp.sort_by_key(|v| v.width);
        let srcset = |rows: &[&VariantRow]| {
            rows.iter()
                .map(|v| format!("{} {}w", media_url(self.item.id, v), v.width))
                .collect::<Vec<_>>()
                .join(", ")
        };
        // The middle size is what a browser without srcset support, and Open Graph, get.
        let fallback = jpeg.iter().find(|v| v.name == "medium").copied().unwrap_or(largest);
        Some(Picture {
            src: media_url(self.item.id, fallback),
            jpeg_srcset: srcset(&jpeg),
            webp_srcset: (!webp.is_empty()).then(|| srcset(&webp)),
            width: largest.width.max(1) as u32,
            height: largest.height.max(1) as u32,
            og_width: fallback.width.max(1) as u32,
            og_height: fallback.height.max(1) as u32,
        })
    }
}

/// One image in its sizes: `<picture>` with a WebP `<source>` and a JPEG `<img>`.
#[derive(Debug, Clone)]
pub struct Picture {
    pub src: String,
    pub jpeg_srcset: String,
    pub webp_srcset: Option<String>,
    /// The proportions (of the largest size), so the page reserves the space before the
    /// image arrives and nothing jumps.
    pub width: u32,
    pub height: u32,
    /// The size of `src`, for Open Graph.
    pub og_width: u32,
    pub og_height: u32,
}

/// The public address of a variant of an item; the generation tag makes it safe to cache.
pub fn media_url(item: ItemId, v: &VariantRow) -> String {
    let ext = if v.format == "webp" { "webp" } else { "jpg" };
    format!("/media/{item}/{}.{ext}?v={}", v.name, crate::http::variants::tag(v))
}

/// The public address of a video's bytes, for `<video>` (ranged requests).
pub fn video_url(item: ItemId) -> String {
    format!("/media/{item}/video")
}

/// The items of a set with their files and variants, in the studio's order.
pub async fn set_media(state: &AppState, set: SetRef) -> Result<Vec<Media>, DbError> {
    let pool = state.db.pool();
    let items = store::items(pool, set).await?;
    let files: HashMap<String, FileRecord> = store::set_files(pool, set)
        .await?
        .into_iter()
        .map(|f| (f.id.to_db(), f))
        .collect();
    let variants = store::set_variants(pool, set).await?;
    Ok(items
        .into_iter()
        .filter_map(|item| {
            // Cloned, not moved out: the same file may be in a set twice.
            let key = item.file.to_db();
            let file = files.get(&key).cloned()?;
            let variants = variants.get(&key).cloned().unwrap_or_default();
            Some(Media { item, file, variants })
        })
        .collect())
}

/// An album's cover: the chosen item when it can be shown, else its first showable one.
pub fn cover<'a>(album: &Album, media: &'a [Media]) -> Option<&'a Media> {
    let shown = || media.iter().filter(|m| m.is_public() && m.picture().is_some());
    album
        .cover_item
        .and_then(|c| shown().find(|m| m.item.id == c))
        .or_else(|| shown().next())
}

/// French, or English when asked and written (else the French).
pub fn localized<'a>(fr: &'a str, en: &'a str, locale: Locale) -> &'a str {
    match locale {
        Locale::En if !en.trim().is_empty() => en,
        _ => fr,
    }
}

/// A published album by its address, with what visitors may see of it.
pub async fn album(state: &AppState, slug: &str) -> Result<Option<(Album, Vec<Media>)>, DbError> {
    let Ok(slug) = Slug::parse(slug) else {
        return Ok(None);
    };
    let Some(album) = store::album_by_slug(state.db.pool(), &slug).await? else {
        return Ok(None);
    };
    if album.published_at.is_none() {
        return Ok(None);
    }
    let mut media = set_media(state, SetRef::Album(album.id)).await?;
    media.retain(Media::is_public);
    Ok(Some((album, media)))
}

/// A live story by its address.
pub async fn story(state: &AppState, slug: &str, now: Timestamp) -> Result<Option<(Story, Vec<Media>)>, DbError> {
    let Ok(slug) = Slug::parse(slug) else {
        return Ok(None);
    };
    let Some(story) = store::story_by_slug(state.db.pool(), &slug).await? else {
        return Ok(None);
    };
    if !story.is_live(now) {
        return Ok(None);
    }
    let mut media = set_media(state, SetRef::Story(story.id)).await?;
    media.retain(Media::is_public);
    Ok(Some((story, media)))
}

/// The published albums, each with its cover (albums with nothing to show are left out).
pub async fn albums(state: &AppState) -> Result<Vec<(Album, Media)>, DbError> {
    let mut out = Vec::new();
    for album in store::albums(state.db.pool(), true).await? {
        let media = set_media(state, SetRef::Album(album.id)).await?;
        if let Some(cover) = cover(&album, &media).cloned() {
            out.push((album, cover));
        }
    }
    Ok(out)
}

/// The live stories, pinned first, each with its first picture.
pub async fn stories(state: &AppState, now: Timestamp) -> Result<Vec<(Story, Media)>, DbError> {
    let mut out = Vec::new();
    for story in store::stories(state.db.pool()).await? {
        if !story.is_live(now) {
            continue;
        }
        let media = set_media(state, SetRef::Story(story.id)).await?;
        if let Some(first) = media.into_iter().find(|m| m.is_public() && m.picture().is_some()) {
            out.push((story, first));
        }
    }
    Ok(out)
}

/// An item visitors may fetch: in a published album or a live story, and ready.
pub async fn visible_item(state: &AppState, id: ItemId) -> Result<Option<Media>, DbError> {
    let pool = state.db.pool();
    let Some(item) = store::find_item(pool, id).await? else {
        return Ok(None);
    };
    let public = match item.set {
        SetRef::Album(a) => store::find_album(pool, a)
            .await?
            .is_some_and(|a| a.published_at.is_some()),
        SetRef::Story(s) => store::find_story(pool, s)
            .await?
            .is_some_and(|s| s.is_live(state.clock.now())),
    };
    if !public {
        return Ok(None);
    }
    let Some(file) = db::files::find(pool, item.file).await? else {
        return Ok(None);
    };
    let variants = db::variants::for_file(pool, item.file).await?;
    let media = Media { item, file, variants };
    Ok(media.is_public().then_some(media))
}
