//! To the studio, about its backups.

use super::{Notice, Recipient, compose};
use crate::domain::Locale;
use crate::mail::Composed;

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
    let l = to.locale;
    // The reason as the command gave it, a line per problem, at most a few.
    let items: Vec<String> = detail
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(8)
        .map(String::from)
        .collect();
    let notice = match (l, drill) {
        (Locale::Fr, false) => Notice {
            kind: "backup_failed",
            subject: "La sauvegarde de cette nuit a échoué".into(),
            paragraphs: vec![
                format!(
                    "La sauvegarde vers {target} n’a pas abouti. Vos fichiers sont intacts, mais ils ne sont plus copiés tant que le problème demeure."
                ),
                "Voici ce qui s’est passé :".into(),
            ],
            items,
            action: "Voir le tableau de bord",
            footer: "Vous ne recevrez pas d’autre message avant que les sauvegardes repartent.",
        },
        (Locale::Fr, true) => Notice {
            kind: "backup_failed",
            subject: "L’essai de restauration de la semaine a échoué".into(),
            paragraphs: vec![
                format!(
                    "La dernière sauvegarde sur {target} n’a pas pu être relue entièrement : elle ne permettrait peut-être pas de tout restaurer."
                ),
                "Voici ce qui s’est passé :".into(),
            ],
            items,
            action: "Voir le tableau de bord",
            footer: "Vous ne recevrez pas d’autre message avant qu’un essai réussisse.",
        },
        (Locale::En, false) => Notice {
            kind: "backup_failed",
            subject: "Last night's backup failed".into(),
            paragraphs: vec![
                format!(
                    "The backup to {target} did not complete. Your files are safe, but they are not being copied while the problem lasts."
                ),
                "What happened:".into(),
            ],
            items,
            action: "Open the dashboard",
            footer: "You will get no other message until backups work again.",
        },
        (Locale::En, true) => Notice {
            kind: "backup_failed",
            subject: "This week's restore drill failed".into(),
            paragraphs: vec![
                format!(
                    "The latest backup on {target} could not be read back in full: it might not restore everything."
                ),
                "What happened:".into(),
            ],
            items,
            action: "Open the dashboard",
            footer: "You will get no other message until a drill succeeds.",
        },
    };
    compose(to, studio, link, notice)
}
