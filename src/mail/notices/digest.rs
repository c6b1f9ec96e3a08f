//! To the studio: what clients did since the last digest.

use super::{Notice, Recipient, compose};
use crate::domain::Locale;
use crate::mail::Composed;

/// One line per client and delivery, already in the reader's words.
pub fn daily_digest(
    to: &Recipient<'_>,
    studio: &str,
    items: Vec<String>,
    link: &str,
) -> Result<Composed, askama::Error> {
    let notice = match to.locale {
        Locale::Fr => Notice {
            kind: "daily_digest",
            subject: "Vos clients ces dernières 24 heures".into(),
            paragraphs: vec!["Voici ce que vos clients ont fait depuis le dernier résumé :".into()],
            items,
            action: "Voir l’activité",
            footer: "Ce résumé part chaque jour à l’heure réglée (digest.at), seulement s’il s’est passé quelque chose.",
        },
        Locale::En => Notice {
            kind: "daily_digest",
            subject: "Your clients in the last 24 hours".into(),
            paragraphs: vec!["Here is what your clients did since the last digest:".into()],
            items,
            action: "See the activity",
            footer: "This digest goes every day at the set time (digest.at), only when something happened.",
        },
    };
    compose(to, studio, link, notice)
}
