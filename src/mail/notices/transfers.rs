//! About transfers: a client sent files, a delivery is published or about to expire.

use super::{Recipient, compose, listed};
use crate::domain::Timestamp;
use crate::i18n;
use crate::mail::Composed;
use crate::texts::mail::{Files, for_locale};

/// A file as a notification lists it.
pub struct Listed<'a> {
    pub name: &'a str,
    pub size: u64,
}

/// To the studio: a client finished sending files.
pub fn transfer_received(
    to: &Recipient<'_>,
    studio: &str,
    client: &str,
    title: &str,
    files: &[Listed<'_>],
    link: &str,
) -> Result<Composed, askama::Error> {
    let (items, total) = listed(to.locale, files);
    let mut words = for_locale(to.locale).transfer_received(
        client,
        title,
        Files {
            count: files.len(),
            total: &total,
        },
    );
    words.items.extend(items);
    compose(to, studio, link, "transfer_received", words)
}

/// To a client: the studio published a delivery.
pub fn delivery_published(
    to: &Recipient<'_>,
    studio: &str,
    title: &str,
    file_count: usize,
    expires_at: Option<Timestamp>,
    link: &str,
) -> Result<Composed, askama::Error> {
    let until = expires_at.map(|e| i18n::date(to.locale, e));
    let words = for_locale(to.locale).delivery_published(studio, title, file_count, until.as_deref());
    compose(to, studio, link, "delivery_published", words)
}

/// To a client: a delivery expires soon.
pub fn delivery_expiring(
    to: &Recipient<'_>,
    studio: &str,
    title: &str,
    expires_at: Timestamp,
    link: &str,
) -> Result<Composed, askama::Error> {
    let words = for_locale(to.locale).delivery_expiring(title, &i18n::date(to.locale, expires_at));
    compose(to, studio, link, "delivery_expiring", words)
}
