//! The words of long galleries shown a page at a time, French and English.

use crate::domain::Locale;

pub struct PagingTexts {
    /// The link to the next page (loaded in place as the reader scrolls).
    pub more: &'static str,
    /// Said while the next page loads, and when it could not.
    pub loading: &'static str,
    pub failed: &'static str,
    /// On a page that does not start at the first file (no script).
    pub from_start: &'static str,
}

pub const FR: PagingTexts = PagingTexts {
    more: "Afficher la suite",
    loading: "Chargement…",
    failed: "La suite n’a pas pu être chargée. Réessayer",
    from_start: "Revenir au début",
};

pub const EN: PagingTexts = PagingTexts {
    more: "Show more",
    loading: "Loading…",
    failed: "The rest could not be loaded. Try again",
    from_start: "Back to the start",
};

impl PagingTexts {
    pub fn for_locale(locale: Locale) -> &'static Self {
        match locale {
            Locale::Fr => &FR,
            Locale::En => &EN,
        }
    }
}
