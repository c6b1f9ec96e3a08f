//! Notification emails, all in one shape: a greeting, a few paragraphs, an optional list
//! and one button. The words live in one module per subject, French and English; the
//! layout in `web/templates/mail/notice.*`.

mod account;
mod appointments;
mod backups;
mod digest;
mod guests;
mod newsletter;
mod transfers;

pub use account::{address_moved, email_change, email_updated, password_reset};
pub use appointments::{Reminder, appointment_reminder};
pub use backups::backup_failed;
pub use digest::daily_digest;
pub use guests::{guest_batch, guest_link, guest_receipt, selection_submitted, upload_link};
pub use newsletter::confirm_subscription;
pub use transfers::{Listed, delivery_expiring, delivery_published, transfer_received};

use askama::Template;

use super::Composed;
use crate::domain::Locale;

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

pub(super) struct Notice {
    kind: &'static str,
    subject: String,
    paragraphs: Vec<String>,
    items: Vec<String>,
    action: &'static str,
    footer: &'static str,
}

pub(super) fn compose(to: &Recipient<'_>, studio: &str, link: &str, n: Notice) -> Result<Composed, askama::Error> {
    let (greeting, copy_hint) = match to.locale {
        // An address alone (a newsletter subscriber) is greeted without a name.
        Locale::Fr if to.name.is_empty() => (
            "Bonjour,".to_owned(),
            "Si le bouton ne fonctionne pas, copiez cette adresse dans votre navigateur :",
        ),
        Locale::En if to.name.is_empty() => (
            "Hello,".to_owned(),
            "If the button does not work, copy this address into your browser:",
        ),
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
        to_name: (!to.name.is_empty()).then(|| to.name.to_owned()),
        subject: n.subject,
        text,
        html,
        list_unsubscribe: None,
        calendar: None,
    })
}

pub(super) fn plural_s(n: usize) -> &'static str {
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
            Some(crate::domain::Timestamp::from_millis(1_795_219_200_000)),
            "https://x/d",
        )
        .unwrap();
        assert!(en.text.contains("1 file to view") && en.text.contains("until 21 November 2026"));
    }
}
