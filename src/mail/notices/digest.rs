//! To the studio: what clients did since the last digest.

use super::{Recipient, compose};
use crate::mail::Composed;
use crate::texts::mail::for_locale;

/// One line per client and delivery, already in the reader's words.
pub fn daily_digest(
    to: &Recipient<'_>,
    studio: &str,
    items: Vec<String>,
    link: &str,
) -> Result<Composed, askama::Error> {
    let mut words = for_locale(to.locale).daily_digest();
    words.items.extend(items);
    compose(to, studio, link, "daily_digest", words)
}
