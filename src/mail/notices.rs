//! Notification emails (a transfer received, a delivery published or about to expire),
//! all in one shape: a greeting, a few paragraphs, an optional list and one button. The
//! words live here, French and English; the layout in `web/templates/mail/notice.*`.

use askama::Template;

use super::Composed;
use crate::domain::{Locale, Millis};
use crate::i18n;

#[derive(Template)]
#[template(path = "mail/notice.txt")]
struct NoticeText<'a> {
    greeting: &'a str,
    paragraphs: &'a [String],
    items: &'a [String],
    action: &'a str,
    link: &'a str,
    studio: &'a str,
    footer: &'a str,
}

#[derive(Template)]
#[template(path = "mail/notice.html")]
struct NoticeHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    greeting: &'a str,
    paragraphs: &'a [String],
    items: &'a [String],
    action: &'a str,
    copy_hint: &'a str,
    link: &'a str,
    studio: &'a str,
    footer: &'a str,
}

/// Who gets the email and in which language.
pub struct Recipient<'a> {
    pub locale: Locale,
    pub address: &'a str,
    pub name: &'a str,
}

impl<'a> Recipient<'a> {
    /// An account, at its address, in its language.
    pub fn of(user: &'a crate::db::users::User) -> Self {
        Self {
            locale: user.locale,
            address: &user.email,
            name: &user.name,
        }
    }
}

struct Notice {
    kind: &'static str,
    subject: String,
    paragraphs: Vec<String>,
    items: Vec<String>,
    action: &'static str,
    footer: &'static str,
}

fn compose(to: &Recipient<'_>, studio: &str, link: &str, n: Notice) -> Result<Composed, askama::Error> {
    let (greeting, copy_hint) = match to.locale {
        Locale::Fr => (
            format!("Bonjour {},", to.name),
            "Si le bouton ne fonctionne pas, copiez cette adresse dans votre navigateur :",
        ),
        Locale::En => (
            format!("Hello {},", to.name),
            "If the button does not work, copy this address into your browser:",
        ),
    };
    let text = NoticeText {
        greeting: &greeting,
        paragraphs: &n.paragraphs,
        items: &n.items,
        action: n.action,
        link,
        studio,
        footer: n.footer,
    }
    .render()?;
    let html = NoticeHtml {
        lang: to.locale.as_str(),
        subject: &n.subject,
        greeting: &greeting,
        paragraphs: &n.paragraphs,
        items: &n.items,
        action: n.action,
        copy_hint,
        link,
        studio,
        footer: n.footer,
    }
    .render()?;
    Ok(Composed {
        kind: n.kind,
        to_address: to.address.to_owned(),
        to_name: Some(to.name.to_owned()),
        subject: n.subject,
        text,
        html,
    })
}

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
    expires_at: Option<Millis>,
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
    expires_at: Millis,
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

fn plural_s(n: usize) -> &'static str {
    if n > 1 { "s" } else { "" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_received_transfer_lists_its_files_and_escapes_names_in_html() {
        let to = Recipient {
            locale: Locale::Fr,
            address: "studio@example.fr",
            name: "Studio",
        };
        let files = [
            Listed {
                name: "<b>danse</b>.mp3",
                size: 5_000_000,
            },
            Listed {
                name: "plan.pdf",
                size: 1_000,
            },
        ];
        let mail = transfer_received(&to, "Studio Lumière", "Anne", "Musique", &files, "https://x/studio").unwrap();
        assert_eq!(mail.subject, "Anne vous a envoyé 2 fichiers");
        assert!(mail.text.contains("  - <b>danse</b>.mp3 (5\u{a0}Mo)"), "{}", mail.text);
        assert!(mail.text.contains("https://x/studio"));
        assert!(!mail.html.contains("<b>danse"), "{}", mail.html);
        let en = delivery_published(
            &Recipient {
                locale: Locale::En,
                ..to
            },
            "Studio",
            "Wedding",
            1,
            Some(1_795_219_200_000),
            "https://x/d",
        )
        .unwrap();
        assert!(en.text.contains("1 file to view") && en.text.contains("until 21 November 2026"));
    }
}
