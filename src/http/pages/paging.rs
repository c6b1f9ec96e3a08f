//! Galleries a page at a time: a delivery of 10 000 photos opens with its first page
//! (`PAGE` cards), and the next pages come as the reader scrolls. Each page is a real
//! page (`?after=<cursor>`), so without a script the "Show more" link still leads on;
//! with one, the page's cards are fetched and added in place.

use serde::Deserialize;

use super::PageError;
use crate::db::file_pages::{FileCursor, Page};
use crate::domain::Locale;
use crate::texts::paging::PagingTexts;

/// Cards on one page of a gallery: a phone's first screenful many times over, a small
/// fraction of a wedding's 2 000 photos.
pub const PAGE: u32 = 150;

/// `?after=<cursor>`: where this page starts.
#[derive(Debug, Default, Deserialize)]
pub struct PageParams {
    after: Option<String>,
}

impl PageParams {
    /// The cursor this page starts after; a cursor no page gave is a page that does not
    /// exist.
    pub fn cursor(&self) -> Result<Option<FileCursor>, PageError> {
        match self.after.as_deref().filter(|a| !a.is_empty()) {
            None => Ok(None),
            Some(text) => FileCursor::parse(text).map(Some).ok_or(PageError::NotFound),
        }
    }
}

/// A page past the gallery's end (its files went since the link was made) leads back to
/// the first page rather than showing an empty gallery.
pub fn not_past_the_end(after: Option<&FileCursor>, page: &Page, path: &str) -> Result<(), PageError> {
    if after.is_some() && page.files.is_empty() {
        return Err(PageError::Redirect(path.to_owned()));
    }
    Ok(())
}

/// The way on from a page, and back to its start.
pub struct Paging {
    pub s: &'static PagingTexts,
    /// The next page's address, when there is one.
    pub next: Option<String>,
    /// The first page's address, on a page that is not the first.
    pub start: Option<String>,
    /// Files in the whole gallery, for the preview's "12 / 10 000".
    pub total: u64,
}

impl Paging {
    pub fn new(locale: Locale, path: &str, first: bool, next: Option<FileCursor>, total: u64) -> Self {
        Self {
            s: PagingTexts::for_locale(locale),
            next: next.map(|c| format!("{path}?after={c}")),
            start: (!first).then(|| path.to_owned()),
            total,
        }
    }
}
