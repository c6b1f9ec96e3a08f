//! About the newsletter: the link that confirms a subscription.

use super::{Recipient, compose};
use crate::mail::Composed;
use crate::texts::mail::for_locale;

/// To an address someone subscribed (on the site, or by the studio's import): nothing is
/// sent to it until this link is opened and confirmed.
pub fn confirm_subscription(
    to: &Recipient<'_>,
    studio: &str,
    imported: bool,
    valid_days: u64,
    link: &str,
) -> Result<Composed, askama::Error> {
    let kind = if imported {
        "newsletter_import"
    } else {
        "newsletter_confirm"
    };
    let words = for_locale(to.locale).confirm_subscription(studio, imported, valid_days);
    compose(to, studio, link, kind, words)
}
