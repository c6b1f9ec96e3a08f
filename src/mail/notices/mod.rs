//! Notification emails, all in one shape: a greeting, a few paragraphs, an optional list
//! and one button. Who gets which email with which link lives in one module per subject;
//! the words in the catalogue (`texts::mail`), the layout in `web/templates/mail/notice.*`.

mod account;
mod appointments;
mod backups;
mod digest;
mod guests;
mod newsletter;
mod transfers;

pub use account::{address_moved, email_change, email_updated, invitation, password_reset};
pub use appointments::{Reminder, appointment_reminder};
pub use backups::backup_failed;
pub use digest::daily_digest;
pub use guests::{guest_batch, guest_link, guest_receipt, selection_submitted, upload_link};
pub use newsletter::confirm_subscription;
pub use transfers::{Listed, delivery_expiring, delivery_published, transfer_received};

use askama::Template;

use super::Composed;
use crate::domain::Locale;
use crate::i18n;
use crate::texts::mail::{self as mail_texts, Words};

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

/// Renders one email from its words: the greeting and the button's fallback line come
/// from the catalogue too, in the recipient's language.
pub(super) fn compose(
    to: &Recipient<'_>,
    studio: &str,
    link: &str,
    kind: &'static str,
    words: Words,
) -> Result<Composed, askama::Error> {
    let t = mail_texts::for_locale(to.locale);
    let greeting = t.greeting(to.name);
    let text = NoticeText {
        greeting: &greeting,
        paragraphs: &words.paragraphs,
        items: &words.items,
        action: words.action,
        link,
        studio,
        footer: &words.footer,
    }
    .render()?;
    let html = NoticeHtml {
        lang: to.locale.as_str(),
        subject: &words.subject,
        greeting: &greeting,
        paragraphs: &words.paragraphs,
        items: &words.items,
        action: words.action,
        copy_hint: t.copy_hint(),
        link,
        studio,
        footer: &words.footer,
    }
    .render()?;
    Ok(Composed {
        kind,
        to_address: to.address.to_owned(),
        to_name: (!to.name.is_empty()).then(|| to.name.to_owned()),
        subject: words.subject,
        text,
        html,
        list_unsubscribe: None,
        calendar: None,
    })
}

/// Files as a notice lists them, "name (size)", and as its words sum them up.
pub(super) fn listed(locale: Locale, files: &[Listed<'_>]) -> (Vec<String>, String) {
    let items = files
        .iter()
        .map(|f| format!("{} ({})", f.name, i18n::size(locale, f.size)))
        .collect();
    let total = i18n::size(locale, files.iter().map(|f| f.size).sum());
    (items, total)
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
