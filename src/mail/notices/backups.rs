//! To the studio, about its backups.

use super::{Recipient, compose};
use crate::mail::Composed;
use crate::texts::mail::for_locale;

/// To the studio: the scheduled backup (or the weekly restore drill) failed. Sent once
/// until a run succeeds again.
pub fn backup_failed(
    to: &Recipient<'_>,
    studio: &str,
    drill: bool,
    target: &str,
    detail: &str,
    link: &str,
) -> Result<Composed, askama::Error> {
    let t = for_locale(to.locale);
    let mut words = if drill {
        t.restore_drill_failed(target)
    } else {
        t.backup_failed(target)
    };
    // The reason as the command gave it, a line per problem, at most a few.
    words.items.extend(
        detail
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .take(8)
            .map(String::from),
    );
    compose(to, studio, link, "backup_failed", words)
}
