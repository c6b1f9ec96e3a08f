//! To a guest: the studio shared a delivery with them through a link.

use super::{Listed, Notice, Recipient, compose, plural_s};
use crate::domain::{Locale, Timestamp};
use crate::i18n;
use crate::mail::Composed;

/// The link itself, its label as a greeting, and whether a code will come separately
/// (never in the message: whoever reads one mailbox must not hold both).
pub fn guest_link(
    to: &Recipient<'_>,
    studio: &str,
    title: &str,
    has_pin: bool,
    expires_at: Option<Timestamp>,
    link: &str,
) -> Result<Composed, askama::Error> {
    let l = to.locale;
    let notice = match l {
        Locale::Fr => Notice {
            kind: "guest_link",
            subject: format!("{studio} partage avec vous « {title} »"),
            paragraphs: [
                Some(format!("Bonjour {},", to.name)),
                Some(format!(
                    "{studio} vous a ouvert une galerie : « {title} ». Le bouton ci-dessous l’ouvre, sans compte à créer."
                )),
                has_pin.then(|| "Elle est protégée par un code d’accès, que le studio vous donne séparément.".to_owned()),
                expires_at.map(|e| format!("Le lien fonctionne jusqu’au {}.", i18n::date(l, e))),
            ]
            .into_iter()
            .flatten()
            .collect(),
            items: Vec::new(),
            action: "Ouvrir la galerie",
            footer: "Vous recevez ce message parce que le studio a partagé cette galerie avec cette adresse. Ne transférez pas ce lien : il ouvre la galerie à qui le détient.",
        },
        Locale::En => Notice {
            kind: "guest_link",
            subject: format!("{studio} shares “{title}” with you"),
            paragraphs: [
                Some(format!("Hello {},", to.name)),
                Some(format!(
                    "{studio} opened a gallery for you: “{title}”. The button below opens it, no account needed."
                )),
                has_pin.then(|| "It is protected by an access code, which the studio gives you separately.".to_owned()),
                expires_at.map(|e| format!("The link works until {}.", i18n::date(l, e))),
            ]
            .into_iter()
            .flatten()
            .collect(),
            items: Vec::new(),
            action: "Open the gallery",
            footer: "You are receiving this because the studio shared this gallery with this address. Do not forward this link: it opens the gallery to whoever holds it.",
        },
    };
    compose(to, studio, link, notice)
}

/// To a guest: the studio asks them for files through an upload link.
pub fn upload_link(
    to: &Recipient<'_>,
    studio: &str,
    has_pin: bool,
    expires_at: Option<Timestamp>,
    link: &str,
) -> Result<Composed, askama::Error> {
    let l = to.locale;
    let notice = match l {
        Locale::Fr => Notice {
            kind: "upload_link",
            subject: format!("{studio} vous invite à envoyer vos fichiers"),
            paragraphs: [
                Some(format!("Bonjour {},", to.name)),
                Some(format!(
                    "{studio} vous invite à déposer vos fichiers. Le bouton ci-dessous ouvre la page d’envoi, sans compte à créer : de gros fichiers passent, et un envoi coupé reprend où il s’était arrêté."
                )),
                has_pin.then(|| "La page est protégée par un code d’accès, que le studio vous donne séparément.".to_owned()),
                expires_at.map(|e| format!("Le lien fonctionne jusqu’au {}.", i18n::date(l, e))),
            ]
            .into_iter()
            .flatten()
            .collect(),
            items: Vec::new(),
            action: "Envoyer mes fichiers",
            footer: "Vous recevez ce message parce que le studio vous demande des fichiers à cette adresse. Ne transférez pas ce lien : il permet à qui le détient d’envoyer des fichiers au studio.",
        },
        Locale::En => Notice {
            kind: "upload_link",
            subject: format!("{studio} invites you to send your files"),
            paragraphs: [
                Some(format!("Hello {},", to.name)),
                Some(format!(
                    "{studio} invites you to send your files. The button below opens the upload page, no account needed: large files are fine, and a cut upload resumes where it stopped."
                )),
                has_pin.then(|| "The page is protected by an access code, which the studio gives you separately.".to_owned()),
                expires_at.map(|e| format!("The link works until {}.", i18n::date(l, e))),
            ]
            .into_iter()
            .flatten()
            .collect(),
            items: Vec::new(),
            action: "Send my files",
            footer: "You are receiving this because the studio asks you for files at this address. Do not forward this link: whoever holds it can send files to the studio.",
        },
    };
    compose(to, studio, link, notice)
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
    let total: u64 = files.iter().map(|f| f.size).sum();
    let l = to.locale;
    let items = files
        .iter()
        .map(|f| format!("{} ({})", f.name, i18n::size(l, f.size)))
        .collect();
    let n = files.len();
    let notice = match l {
        Locale::Fr => Notice {
            kind: "guest_batch",
            subject: format!("{guest} a envoyé {n} fichier{} par « {link_label} »", plural_s(n)),
            paragraphs: vec![
                format!(
                    "{guest} a terminé un envoi par le lien « {link_label} » : {n} fichier{}, {} au total.",
                    plural_s(n),
                    i18n::size(l, total)
                ),
                "Ces fichiers attendent d’être validés par le studio.".to_owned(),
            ],
            items,
            action: "Voir les fichiers",
            footer: "Notification d’un lien d’envoi.",
        },
        Locale::En => Notice {
            kind: "guest_batch",
            subject: format!("{guest} sent {n} file{} through “{link_label}”", plural_s(n)),
            paragraphs: vec![
                format!(
                    "{guest} finished sending files through the link “{link_label}”: {n} file{}, {} in all.",
                    plural_s(n),
                    i18n::size(l, total)
                ),
                "These files wait for the studio to review them.".to_owned(),
            ],
            items,
            action: "See the files",
            footer: "Notification from an upload link.",
        },
    };
    compose(to, studio, link, notice)
}

/// To a guest who gave an address: the files the studio received from them.
pub fn guest_receipt(
    to: &Recipient<'_>,
    studio: &str,
    link_label: &str,
    files: &[Listed<'_>],
    link: &str,
) -> Result<Composed, askama::Error> {
    let total: u64 = files.iter().map(|f| f.size).sum();
    let l = to.locale;
    let items = files
        .iter()
        .map(|f| format!("{} ({})", f.name, i18n::size(l, f.size)))
        .collect();
    let n = files.len();
    let notice = match l {
        Locale::Fr => Notice {
            kind: "guest_receipt",
            subject: format!("{studio} a bien reçu vos {n} fichier{}", plural_s(n)),
            paragraphs: vec![
                format!("Bonjour {},", to.name),
                format!(
                    "{studio} a bien reçu ce que vous avez envoyé par « {link_label} » : {n} fichier{}, {} au total, chacun vérifié à l’octet près.",
                    plural_s(n),
                    i18n::size(l, total)
                ),
            ],
            items,
            action: "Visiter le site du studio",
            footer: "Vous recevez cet accusé de réception parce que vous avez donné cette adresse en envoyant vos fichiers.",
        },
        Locale::En => Notice {
            kind: "guest_receipt",
            subject: format!("{studio} received your {n} file{}", plural_s(n)),
            paragraphs: vec![
                format!("Hello {},", to.name),
                format!(
                    "{studio} received what you sent through “{link_label}”: {n} file{}, {} in all, each checked to the byte.",
                    plural_s(n),
                    i18n::size(l, total)
                ),
            ],
            items,
            action: "Visit the studio's site",
            footer: "You are receiving this receipt because you gave this address when sending your files.",
        },
    };
    compose(to, studio, link, notice)
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
    let notice = match to.locale {
        Locale::Fr => Notice {
            kind: "selection_submitted",
            subject: format!("{who} a envoyé sa sélection « {list} » ({n} fichier{})", plural_s(n)),
            paragraphs: vec![format!(
                "{who} a terminé sa sélection « {list} » dans « {title} » : {n} fichier{}. La liste est verrouillée ; vous pouvez la rouvrir depuis la livraison.",
                plural_s(n)
            )],
            items: Vec::new(),
            action: "Voir la sélection",
            footer: "Notification d’une sélection.",
        },
        Locale::En => Notice {
            kind: "selection_submitted",
            subject: format!("{who} submitted their selection “{list}” ({n} file{})", plural_s(n)),
            paragraphs: vec![format!(
                "{who} finished their selection “{list}” in “{title}”: {n} file{}. The list is locked; you can reopen it from the delivery.",
                plural_s(n)
            )],
            items: Vec::new(),
            action: "See the selection",
            footer: "Notification of a selection.",
        },
    };
    compose(to, studio, link, notice)
}
