//! To a guest: the studio shared a delivery with them through a link.

use super::{Notice, Recipient, compose};
use crate::domain::{Locale, Millis};
use crate::i18n;
use crate::mail::Composed;

/// The link itself, its label as a greeting, and whether a code will come separately
/// (never in the message: whoever reads one mailbox must not hold both).
pub fn guest_link(
    to: &Recipient<'_>,
    studio: &str,
    title: &str,
    has_pin: bool,
    expires_at: Option<Millis>,
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
