//! About transfers: a client sent files, a delivery is published or about to expire.

use super::{Notice, Recipient, compose, plural_s};
use crate::domain::{Locale, Timestamp};
use crate::i18n;
use crate::mail::Composed;

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
    let total: u64 = files.iter().map(|f| f.size).sum();
    let l = to.locale;
    let items = files
        .iter()
        .map(|f| format!("{} ({})", f.name, i18n::size(l, f.size)))
        .collect();
    let notice = match l {
        Locale::Fr => Notice {
            kind: "transfer_received",
            subject: format!(
                "{client} vous a envoyé {} fichier{}",
                files.len(),
                plural_s(files.len())
            ),
            paragraphs: vec![format!(
                "{client} a terminé un envoi dans « {title} » : {} fichier{}, {} au total.",
                files.len(),
                plural_s(files.len()),
                i18n::size(l, total)
            )],
            items,
            action: "Voir les fichiers",
            footer: "Notification de votre espace Relais.",
        },
        Locale::En => Notice {
            kind: "transfer_received",
            subject: format!("{client} sent you {} file{}", files.len(), plural_s(files.len())),
            paragraphs: vec![format!(
                "{client} finished sending files to “{title}”: {} file{}, {} in all.",
                files.len(),
                plural_s(files.len()),
                i18n::size(l, total)
            )],
            items,
            action: "See the files",
            footer: "A notification from your Relais space.",
        },
    };
    compose(to, studio, link, notice)
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
    let l = to.locale;
    let notice = match l {
        Locale::Fr => Notice {
            kind: "delivery_published",
            subject: format!("Vos fichiers sont prêts : {title}"),
            paragraphs: [
                Some(format!(
                    "{studio} vous a livré « {title} » : {file_count} fichier{} à regarder et à télécharger.",
                    plural_s(file_count)
                )),
                expires_at.map(|e| format!("Ils restent disponibles jusqu’au {}.", i18n::date(l, e))),
            ]
            .into_iter()
            .flatten()
            .collect(),
            items: Vec::new(),
            action: "Voir ma livraison",
            footer: "Vous recevez ce message parce que vous avez un espace client chez ce studio.",
        },
        Locale::En => Notice {
            kind: "delivery_published",
            subject: format!("Your files are ready: {title}"),
            paragraphs: [
                Some(format!(
                    "{studio} delivered “{title}” to you: {file_count} file{} to view and download.",
                    plural_s(file_count)
                )),
                expires_at.map(|e| format!("They remain available until {}.", i18n::date(l, e))),
            ]
            .into_iter()
            .flatten()
            .collect(),
            items: Vec::new(),
            action: "See my delivery",
            footer: "You are receiving this because you have a client space with this studio.",
        },
    };
    compose(to, studio, link, notice)
}

/// To a client: a delivery expires soon.
pub fn delivery_expiring(
    to: &Recipient<'_>,
    studio: &str,
    title: &str,
    expires_at: Timestamp,
    link: &str,
) -> Result<Composed, askama::Error> {
    let l = to.locale;
    let notice = match l {
        Locale::Fr => Notice {
            kind: "delivery_expiring",
            subject: format!("Dernier rappel : « {title} » expire le {}", i18n::date(l, expires_at)),
            paragraphs: vec![format!(
                "Votre livraison « {title} » ne sera plus disponible après le {}. Pensez à télécharger vos fichiers d’ici là.",
                i18n::date(l, expires_at)
            )],
            items: Vec::new(),
            action: "Télécharger mes fichiers",
            footer: "Vous recevez ce message parce que vous avez un espace client chez ce studio.",
        },
        Locale::En => Notice {
            kind: "delivery_expiring",
            subject: format!("Last reminder: “{title}” expires on {}", i18n::date(l, expires_at)),
            paragraphs: vec![format!(
                "Your delivery “{title}” will no longer be available after {}. Remember to download your files before then.",
                i18n::date(l, expires_at)
            )],
            items: Vec::new(),
            action: "Download my files",
            footer: "You are receiving this because you have a client space with this studio.",
        },
    };
    compose(to, studio, link, notice)
}
