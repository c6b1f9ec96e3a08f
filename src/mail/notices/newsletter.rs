//! About the newsletter: the link that confirms a subscription.

use super::{Notice, Recipient, compose};
use crate::domain::Locale;
use crate::mail::Composed;

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
    let notice = match to.locale {
        Locale::Fr => Notice {
            kind,
            subject: format!("Confirmez votre inscription à la lettre de {studio}"),
            paragraphs: vec![
                if imported {
                    format!(
                        "{studio} vous propose de recevoir sa lettre d’information : quelques nouvelles de temps en temps, des mariages et des séances récents."
                    )
                } else {
                    format!(
                        "Vous (ou quelqu’un avec votre adresse) avez demandé à recevoir la lettre d’information de {studio}."
                    )
                },
                format!(
                    "Confirmez en ouvrant le lien ci-dessous (valable {valid_days} jours). Sans confirmation, vous ne recevrez rien."
                ),
            ],
            items: Vec::new(),
            action: "Confirmer mon inscription",
            footer: "Si vous n’êtes pas à l’origine de cette demande, ignorez ce message.",
        },
        Locale::En => Notice {
            kind,
            subject: format!("Confirm your subscription to {studio}'s newsletter"),
            paragraphs: vec![
                if imported {
                    format!(
                        "{studio} would like to send you its newsletter: news now and then, recent weddings and sessions."
                    )
                } else {
                    format!("You (or someone with your address) asked to receive {studio}'s newsletter.")
                },
                format!(
                    "Confirm by opening the link below (valid for {valid_days} days). Without confirmation you will receive nothing."
                ),
            ],
            items: Vec::new(),
            action: "Confirm my subscription",
            footer: "If you did not ask for this, ignore this message.",
        },
    };
    compose(to, studio, link, notice)
}
