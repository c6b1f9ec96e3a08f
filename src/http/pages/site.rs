//! The public site: the portfolio's home, albums, one album, one story. French at `/…`,
//! English at `/en/…`, so each language has its own address to share and to index; no
//! script, one small stylesheet, pictures in `<picture>` with WebP and JPEG sizes, their
//! dimensions set so nothing moves while they load, and Open Graph tags for link previews.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

use super::{PageError, Texts, assets};
use crate::db::portfolio::{Album, Story};
use crate::domain::Locale;
use crate::portfolio::public::{self, Media, Picture, localized};
use crate::state::AppState;
use crate::studio::Identity;

/// Grids of covers: one column on a phone, two on a tablet, three on a wide screen.
const GRID_SIZES: &str = "(min-width: 1100px) 340px, (min-width: 700px) 45vw, 100vw";
/// An album's pictures: two columns from tablet width.
const ALBUM_SIZES: &str = "(min-width: 1100px) 360px, (min-width: 700px) 48vw, 100vw";
/// Public pages change only when the studio publishes; a minute of caching is invisible
/// to visitors and spares the server on a busy day.
const CACHE: &str = "public, max-age=60";

/// What every public page's frame needs.
pub struct SiteChrome {
    pub t: &'static Texts,
    pub studio_name: String,
    /// The studio's tagline in the page's language, under its name.
    pub tagline: Option<String>,
    pub logo: Option<String>,
    pub contact_email: Option<String>,
    pub css: String,
    /// Which navigation entry is current: "home" or "albums".
    pub section: &'static str,
    pub title: String,
    pub description: String,
    /// Absolute addresses of this page in French and English.
    pub url_fr: String,
    pub url_en: String,
    pub canonical: String,
    /// This page's path in the other language, for the switch.
    pub other_path: String,
    pub og_image: Option<(String, u32, u32)>,
    /// The prefix of this language's paths: "" or "/en".
    pub prefix: &'static str,
}

impl SiteChrome {
    pub fn og_locale(&self) -> &'static str {
        if self.t.lang == "en" { "en_GB" } else { "fr_FR" }
    }

    pub fn og_alternate(&self) -> &'static str {
        if self.t.lang == "en" { "fr_FR" } else { "en_GB" }
    }
}

/// A picture as the templates write it.
pub struct Shown {
    pub picture: Option<Picture>,
    pub video: Option<String>,
    pub caption: String,
    pub alt: String,
    pub sizes: &'static str,
    /// The first picture of a page is what the eye lands on: fetched at once, not lazily.
    pub eager: bool,
}

fn shown(m: &Media, locale: Locale, fallback_alt: &str, sizes: &'static str, eager: bool) -> Shown {
    let caption = localized(&m.item.caption, &m.item.caption_en, locale).to_owned();
    Shown {
        picture: m.picture(),
        video: m.is_video().then(|| public::video_url(m.item.id)),
        alt: if caption.is_empty() {
            fallback_alt.to_owned()
        } else {
            caption.clone()
        },
        caption,
        sizes,
        eager,
    }
}

/// A tile linking to an album or a story.
pub struct Tile {
    pub href: String,
    pub title: String,
    pub shown: Shown,
}

fn locale_of(prefix: &str) -> Locale {
    if prefix == "/en" { Locale::En } else { Locale::Fr }
}

#[allow(clippy::too_many_arguments)] // one frame, every part of it named at the call
pub(super) fn chrome(
    state: &AppState,
    studio: &Identity,
    locale: Locale,
    section: &'static str,
    path: &str,
    title: String,
    description: String,
    og: Option<&Picture>,
) -> SiteChrome {
    let t = Texts::for_locale(locale);
    let absolute = |p: &str| {
        state
            .cfg
            .public_url
            .join(p.trim_start_matches('/'))
            .map(String::from)
            .unwrap_or_else(|_| p.to_owned())
    };
    let fr_path = if path.is_empty() {
        "/".to_owned()
    } else {
        path.to_owned()
    };
    let en_path = format!("/en{path}");
    let (canonical, other_path) = match locale {
        Locale::Fr => (absolute(&fr_path), en_path.clone()),
        Locale::En => (absolute(&en_path), fr_path.clone()),
    };
    SiteChrome {
        t,
        studio_name: studio.name.clone(),
        tagline: studio.tagline(locale).map(str::to_owned),
        logo: studio.logo_url(),
        contact_email: studio.contact_email.clone(),
        css: assets::url("app.css"),
        section,
        title,
        description,
        url_fr: absolute(&fr_path),
        url_en: absolute(&en_path),
        canonical,
        other_path,
        og_image: og.map(|p| (absolute(&p.src), p.og_width, p.og_height)),
        prefix: if locale == Locale::En { "/en" } else { "" },
    }
}

fn render(page: impl Template) -> Result<Response, PageError> {
    let mut response = Html(page.render()?).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(CACHE));
    Ok(response)
}

/// A cover stands for a set and links to it: a video shows as its poster there, never as
/// a player inside a link.
fn cover_shown(m: &Media, locale: Locale, title: &str, sizes: &'static str, eager: bool) -> Shown {
    Shown {
        video: None,
        ..shown(m, locale, title, sizes, eager)
    }
}

fn album_tile(prefix: &str, locale: Locale, album: &Album, cover: &Media, eager: bool) -> Tile {
    let title = localized(&album.title, &album.title_en, locale).to_owned();
    Tile {
        href: format!("{prefix}/albums/{}", album.slug),
        shown: cover_shown(cover, locale, &title, GRID_SIZES, eager),
        title,
    }
}

fn story_tile(prefix: &str, locale: Locale, story: &Story, first: &Media) -> Tile {
    let title = localized(&story.title, &story.title_en, locale).to_owned();
    Tile {
        href: format!("{prefix}/stories/{}", story.slug),
        shown: cover_shown(first, locale, &title, "160px", false),
        title,
    }
}

/// How many albums the home page shows before "see all".
const HOME_ALBUMS: usize = 6;

#[derive(Template)]
#[template(path = "site/home.html")]
struct HomePage {
    chrome: SiteChrome,
    stories: Vec<Tile>,
    albums: Vec<Tile>,
    more: bool,
}

async fn home(state: &AppState, prefix: &'static str) -> Result<Response, PageError> {
    let locale = locale_of(prefix);
    let now = state.clock.now();
    let stories = public::stories(state, now).await?;
    let albums = public::albums(state).await?;
    let og = albums.first().and_then(|(_, cover)| cover.picture());
    let studio = state.studio.identity().await?;
    let description = studio.tagline(locale).unwrap_or(&studio.name).to_owned();
    let chrome = chrome(
        state,
        &studio,
        locale,
        "home",
        "",
        studio.name.clone(),
        description,
        og.as_ref(),
    );
    render(HomePage {
        stories: stories.iter().map(|(s, m)| story_tile(prefix, locale, s, m)).collect(),
        more: albums.len() > HOME_ALBUMS,
        albums: albums
            .iter()
            .take(HOME_ALBUMS)
            .enumerate()
            .map(|(i, (a, m))| album_tile(prefix, locale, a, m, i == 0))
            .collect(),
        chrome,
    })
}

#[derive(Template)]
#[template(path = "site/albums.html")]
struct AlbumsPage {
    chrome: SiteChrome,
    albums: Vec<Tile>,
}

async fn albums(state: &AppState, prefix: &'static str) -> Result<Response, PageError> {
    let locale = locale_of(prefix);
    let albums = public::albums(state).await?;
    let og = albums.first().and_then(|(_, cover)| cover.picture());
    let t = Texts::for_locale(locale);
    let studio = state.studio.identity().await?;
    let chrome = chrome(
        state,
        &studio,
        locale,
        "albums",
        "/albums",
        t.site_albums.to_owned(),
        studio.tagline(locale).unwrap_or(&studio.name).to_owned(),
        og.as_ref(),
    );
    render(AlbumsPage {
        albums: albums
            .iter()
            .enumerate()
            .map(|(i, (a, m))| album_tile(prefix, locale, a, m, i == 0))
            .collect(),
        chrome,
    })
}

#[derive(Template)]
#[template(path = "site/set.html")]
struct SetPage {
    chrome: SiteChrome,
    heading: String,
    text: String,
    items: Vec<Shown>,
}

/// The first sentence-sized part of a text, for descriptions in link previews.
fn summary(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= 200 {
        return flat;
    }
    let cut: String = flat.chars().take(199).collect();
    format!("{}…", cut.trim_end())
}

fn set_items(media: &[Media], locale: Locale, title: &str) -> Vec<Shown> {
    media
        .iter()
        .enumerate()
        .map(|(i, m)| shown(m, locale, title, ALBUM_SIZES, i < 2))
        .collect()
}

async fn album(state: &AppState, prefix: &'static str, slug: &str) -> Result<Response, PageError> {
    let locale = locale_of(prefix);
    let (album, media) = public::album(state, slug).await?.ok_or(PageError::NotFound)?;
    let title = localized(&album.title, &album.title_en, locale).to_owned();
    let text = localized(&album.description, &album.description_en, locale).to_owned();
    let og = public::cover(&album, &media).and_then(Media::picture);
    let studio = state.studio.identity().await?;
    let description = if text.is_empty() {
        studio.name.clone()
    } else {
        summary(&text)
    };
    let path = format!("/albums/{}", album.slug);
    let chrome = chrome(
        state,
        &studio,
        locale,
        "albums",
        &path,
        title.clone(),
        description,
        og.as_ref(),
    );
    render(SetPage {
        items: set_items(&media, locale, &title),
        heading: title,
        text,
        chrome,
    })
}

async fn story(state: &AppState, prefix: &'static str, slug: &str) -> Result<Response, PageError> {
    let locale = locale_of(prefix);
    let (story, media) = public::story(state, slug, state.clock.now())
        .await?
        .ok_or(PageError::NotFound)?;
    let title = localized(&story.title, &story.title_en, locale).to_owned();
    let og = media.iter().find_map(Media::picture);
    let path = format!("/stories/{}", story.slug);
    let studio = state.studio.identity().await?;
    let chrome = chrome(
        state,
        &studio,
        locale,
        "home",
        &path,
        title.clone(),
        studio.name.clone(),
        og.as_ref(),
    );
    render(SetPage {
        items: set_items(&media, locale, &title),
        heading: title,
        text: String::new(),
        chrome,
    })
}

/// `/`: the public home, for everyone (the studio sees its site as visitors do).
pub async fn home_fr(State(state): State<AppState>) -> Result<Response, PageError> {
    home(&state, "").await
}

pub async fn home_en(State(state): State<AppState>) -> Result<Response, PageError> {
    home(&state, "/en").await
}

pub async fn albums_fr(State(state): State<AppState>) -> Result<Response, PageError> {
    albums(&state, "").await
}

pub async fn albums_en(State(state): State<AppState>) -> Result<Response, PageError> {
    albums(&state, "/en").await
}

pub async fn album_fr(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response, PageError> {
    album(&state, "", &slug).await
}

pub async fn album_en(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response, PageError> {
    album(&state, "/en", &slug).await
}

pub async fn story_fr(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response, PageError> {
    story(&state, "", &slug).await
}

pub async fn story_en(State(state): State<AppState>, Path(slug): Path<String>) -> Result<Response, PageError> {
    story(&state, "/en", &slug).await
}

#[cfg(test)]
mod tests {
    use super::summary;

    #[test]
    fn previews_get_a_short_flat_description() {
        assert_eq!(summary("Un jour\n\nde juin."), "Un jour de juin.");
        let long = "mot ".repeat(100);
        let cut = summary(&long);
        assert!(cut.ends_with('…') && cut.chars().count() <= 200, "{cut}");
    }
}
