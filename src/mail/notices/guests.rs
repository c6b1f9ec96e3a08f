//! To guests and about them: a delivery shared through a link, an upload link, the files a
//! guest sent, a selection submitted.

use super::{Listed, Recipient, compose, listed};
use crate::domain::Timestamp;
use crate::i18n;
use crate::mail::Composed;
use crate::texts::mail::{Files, for_locale};

/// The link itself, greeting the guest by the link's label, and whether a code will come
/// separately (never in the message: whoever reads one mailbox must not hold both).
pub fn guest_link(
    to: &Recipient<'_>,
    studio: &str,
    title: &str,
    has_pin: bool,
    expires_at: Option<Timestamp>,
    link: &str,
) -> Result<Composed, askama::Error> {
    let until = expires_at.map(|e| i18n::date(to.locale, e));
    let words = for_locale(to.locale).guest_link(studio, title, has_pin, until.as_deref());
    compose(to, studio, link, "guest_link", words)
}

/// To a guest: the studio asks them for files through an upload link.
pub fn upload_link(
    to: &Recipient<'_>,
    studio: &str,
    has_pin: bool,
    expires_at: Option<Timestamp>,
    link: &str,
) -> Result<Composed, askama::Error> {
    let until = expires_at.map(|e| i18n::date(to.locale, e));
    let words = for_locale(to.locale).upload_link(studio, has_pin, until.as_deref());
    compose(to, studio, link, "upload_link", words)
}

/// To the studio (and the client who made the link): a guest finished sending files
/// through an upload link; they wait for review.
pub fn guest_batch(
    to: &Recipient<'_>,
    studio: &str,
    guest: &str,
    link_label: &str,
    files: &[Listed<'_>],
    link: &str,
) -> Result<Composed, askama::Error> {
    let (items, total) = listed(to.locale, files);
    let summary = Files {
        count: files.len(),
        total: &total,
    };
    let mut words = for_locale(to.locale).guest_batch(guest, link_label, summary);
    words.items.extend(items);
    compose(to, studio, link, "guest_batch", words)
}

/// To a guest who gave an address: the files the studio received from them.
pub fn guest_receipt(
    to: &Recipient<'_>,
    studio: &str,
    link_label: &str,
    files: &[Listed<'_>],
    link: &str,
) -> Result<Composed, askama::Error> {
    let (items, total) = listed(to.locale, files);
    let summary = Files {
        count: files.len(),
        total: &total,
    };
    let mut words = for_locale(to.locale).guest_receipt(studio, link_label, summary);
    words.items.extend(items);
    compose(to, studio, link, "guest_receipt", words)
}

/// To the studio: a client (or a guest) submitted their selection.
pub fn selection_submitted(
    to: &Recipient<'_>,
    studio: &str,
    who: &str,
    list: &str,
    count: i64,
    title: &str,
    link: &str,
) -> Result<Composed, askama::Error> {
    let n = usize::try_from(count).unwrap_or(0);
    let words = for_locale(to.locale).selection_submitted(who, list, n, title);
    compose(to, studio, link, "selection_submitted", words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Locale;

    #[test]
    fn a_guest_is_greeted_once_by_the_links_label() {
        let to = Recipient {
            locale: Locale::Fr,
            address: "mamie@example.fr",
            name: "Mamie",
        };
        let mail = guest_link(&to, "Studio", "Mariage", true, None, "https://x/l/lnk").unwrap();
        assert!(mail.text.starts_with("Bonjour Mamie,\n"), "{}", mail.text);
        assert_eq!(mail.text.matches("Bonjour").count(), 1, "{}", mail.text);
        assert_eq!(mail.html.matches("Bonjour").count(), 1, "{}", mail.html);
        assert!(mail.text.contains("code d’accès") && !mail.text.contains("jusqu’au"));
    }
}
