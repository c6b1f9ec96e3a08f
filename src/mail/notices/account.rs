//! About an account: a password to choose again, an address that changes.

use super::{Notice, Recipient, compose};
use crate::domain::Locale;
use crate::mail::Composed;

/// To anyone who asked: a link to choose a new password.
pub fn password_reset(
    to: &Recipient<'_>,
    studio: &str,
    valid_hours: u64,
    link: &str,
) -> Result<Composed, askama::Error> {
    let notice = match to.locale {
        Locale::Fr => Notice {
            kind: "password_reset",
            subject: "Choisir un nouveau mot de passe".into(),
            paragraphs: vec![
                "Vous avez demandé à changer le mot de passe de votre espace. Le lien ci-dessous vous permet d’en choisir un nouveau.".into(),
                format!("Il ne sert qu’une fois et expire dans {valid_hours} heures. Si vous n’êtes pas à l’origine de cette demande, ignorez ce message : votre mot de passe actuel reste valable."),
            ],
            items: Vec::new(),
            action: "Choisir un nouveau mot de passe",
            footer: "Message envoyé à la suite d’une demande sur votre espace.",
        },
        Locale::En => Notice {
            kind: "password_reset",
            subject: "Choose a new password".into(),
            paragraphs: vec![
                "You asked to change the password of your space. The link below lets you choose a new one.".into(),
                format!("It works once and expires in {valid_hours} hours. If you did not ask for this, ignore this message: your current password still works."),
            ],
            items: Vec::new(),
            action: "Choose a new password",
            footer: "Sent after a request made on your space.",
        },
    };
    compose(to, studio, link, notice)
}

/// To a new address: confirm it before the account moves to it.
pub fn email_change(to: &Recipient<'_>, studio: &str, link: &str) -> Result<Composed, askama::Error> {
    let notice = match to.locale {
        Locale::Fr => Notice {
            kind: "email_change",
            subject: "Confirmez votre nouvelle adresse".into(),
            paragraphs: vec![
                "Vous avez demandé à utiliser cette adresse pour votre espace. Confirmez-la avec le lien ci-dessous : elle remplacera l’ancienne dès ce moment.".into(),
                "Le lien ne sert qu’une fois et expire dans 24 heures. Si vous n’êtes pas à l’origine de cette demande, ignorez ce message.".into(),
            ],
            items: Vec::new(),
            action: "Confirmer cette adresse",
            footer: "Message envoyé à la suite d’une demande sur votre espace.",
        },
        Locale::En => Notice {
            kind: "email_change",
            subject: "Confirm your new address".into(),
            paragraphs: vec![
                "You asked to use this address for your space. Confirm it with the link below: it replaces the old one from then on.".into(),
                "The link works once and expires in 24 hours. If you did not ask for this, ignore this message.".into(),
            ],
            items: Vec::new(),
            action: "Confirm this address",
            footer: "Sent after a request made on your space.",
        },
    };
    compose(to, studio, link, notice)
}

/// To the new address, when the quote site changed it: the space now answers to it.
pub fn email_updated(to: &Recipient<'_>, studio: &str, link: &str) -> Result<Composed, askama::Error> {
    let notice = match to.locale {
        Locale::Fr => Notice {
            kind: "email_updated",
            subject: "Votre espace utilise désormais cette adresse".into(),
            paragraphs: vec![
                format!(
                    "{studio} a enregistré cette adresse pour votre espace client : c’est désormais avec elle que vous vous connectez, et c’est ici que vous recevrez nos messages."
                ),
                "Votre mot de passe ne change pas. Si vous ne reconnaissez pas ce changement, répondez à ce message."
                    .into(),
            ],
            items: Vec::new(),
            action: "Ouvrir mon espace",
            footer: "Message envoyé à la suite d’un changement d’adresse.",
        },
        Locale::En => Notice {
            kind: "email_updated",
            subject: "Your space now uses this address".into(),
            paragraphs: vec![
                format!(
                    "{studio} recorded this address for your client space: you now sign in with it, and our messages will come here."
                ),
                "Your password does not change. If you do not recognise this change, reply to this message.".into(),
            ],
            items: Vec::new(),
            action: "Open my space",
            footer: "Sent after a change of address.",
        },
    };
    compose(to, studio, link, notice)
}

/// To the address an account left: it moved, and to where.
pub fn address_moved(
    to: &Recipient<'_>,
    studio: &str,
    new_address: &str,
    link: &str,
) -> Result<Composed, askama::Error> {
    let notice = match to.locale {
        Locale::Fr => Notice {
            kind: "address_moved",
            subject: "L’adresse de votre espace a changé".into(),
            paragraphs: vec![
                format!(
                    "Votre espace client chez {studio} utilise désormais l’adresse {new_address}. Cette adresse-ci ne permet plus de s’y connecter, et les liens envoyés ici auparavant ne fonctionnent plus."
                ),
                format!(
                    "Si vous n’êtes pas à l’origine de ce changement, répondez à ce message ou contactez {studio} sans attendre."
                ),
            ],
            items: Vec::new(),
            action: "Ouvrir mon espace",
            footer: "Message envoyé à la suite d’un changement d’adresse.",
        },
        Locale::En => Notice {
            kind: "address_moved",
            subject: "Your space’s address has changed".into(),
            paragraphs: vec![
                format!(
                    "Your client space with {studio} now uses the address {new_address}. This address no longer signs in, and links sent here before no longer work."
                ),
                format!("If you did not make this change, reply to this message or contact {studio} right away."),
            ],
            items: Vec::new(),
            action: "Open my space",
            footer: "Sent after a change of address.",
        },
    };
    compose(to, studio, link, notice)
}
