//! Every word of the emails, French and English. One trait, one implementation per
//! language: a text missing in either is a compile error, as with the pages' `Texts`.
//! Only words live here; who gets which email, with which link, is `mail::notices`'
//! business, and dates and sizes arrive already formatted for the reader.

mod en;
mod fr;

use crate::domain::Locale;

/// What one email says: its subject, its paragraphs, an optional list, the label of its one
/// button and the line under the studio's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    pub subject: String,
    pub paragraphs: Vec<String>,
    /// Lines the words themselves bring (an appointment's place); a notice may add its own
    /// (the files it lists) after them.
    pub items: Vec<String>,
    pub action: &'static str,
    pub footer: String,
}

impl Words {
    fn new(subject: String, paragraphs: Vec<String>, action: &'static str, footer: impl Into<String>) -> Self {
        Self {
            subject,
            paragraphs,
            items: Vec::new(),
            action,
            footer: footer.into(),
        }
    }
}

/// A line of the studio's daily digest: what one client did in one delivery.
#[derive(Debug, Clone, Copy)]
pub enum DigestLine<'a> {
    Opened {
        client: &'a str,
        title: &'a str,
    },
    Downloads {
        client: &'a str,
        title: &'a str,
        count: i64,
    },
    Sent {
        client: &'a str,
        title: &'a str,
        count: i64,
    },
}

/// A client's appointment as a reminder names it, in the reader's words and time zone.
#[derive(Debug, Clone, Copy)]
pub struct Appointment<'a> {
    pub kind: &'a str,
    /// "samedi 12 juin 2027 à 14:30 (UTC+2)".
    pub when: &'a str,
    pub place: Option<&'a str>,
    pub notes: Option<&'a str>,
}

/// A list of files as a notice sums it up: how many, and their total size written out.
#[derive(Debug, Clone, Copy)]
pub struct Files<'a> {
    pub count: usize,
    pub total: &'a str,
}

pub trait MailTexts: Sync {
    /// "Bonjour Anne," — or without a name when there is none (a newsletter subscriber).
    fn greeting(&self, name: &str) -> String;
    /// Under the button in HTML, for mail readers that do not follow it.
    fn copy_hint(&self) -> &'static str;

    // Accounts.
    fn invitation(&self, studio: &str, valid_days: u64) -> Words;
    fn password_reset(&self, valid_hours: u64) -> Words;
    fn email_change(&self) -> Words;
    fn email_updated(&self, studio: &str) -> Words;
    fn address_moved(&self, studio: &str, new_address: &str) -> Words;

    // Transfers.
    fn transfer_received(&self, client: &str, title: &str, files: Files<'_>) -> Words;
    fn delivery_published(&self, studio: &str, title: &str, file_count: usize, until: Option<&str>) -> Words;
    fn delivery_expiring(&self, title: &str, on: &str) -> Words;

    // Guests, links and selections.
    fn guest_link(&self, studio: &str, title: &str, has_pin: bool, until: Option<&str>) -> Words;
    fn upload_link(&self, studio: &str, has_pin: bool, until: Option<&str>) -> Words;
    fn guest_batch(&self, guest: &str, link_label: &str, files: Files<'_>) -> Words;
    fn guest_receipt(&self, studio: &str, link_label: &str, files: Files<'_>) -> Words;
    fn selection_submitted(&self, who: &str, list: &str, count: usize, title: &str) -> Words;

    // The studio's own mail.
    fn backup_failed(&self, target: &str) -> Words;
    fn restore_drill_failed(&self, target: &str) -> Words;
    fn daily_digest(&self) -> Words;
    fn digest_line(&self, line: DigestLine<'_>) -> String;

    // Appointments.
    fn appointment_reminder(&self, studio: &str, appointment: Appointment<'_>) -> Words;

    // Newsletter.
    fn confirm_subscription(&self, studio: &str, imported: bool, valid_days: u64) -> Words;
    /// Why a subscriber gets the letter, under each issue.
    fn newsletter_why(&self, studio: &str) -> String;
    fn unsubscribe(&self) -> &'static str;
    /// The subject of the copy the studio sends itself before sending an issue.
    fn test_subject(&self, subject: &str) -> String;
}

pub fn for_locale(locale: Locale) -> &'static dyn MailTexts {
    match locale {
        Locale::Fr => &fr::French,
        Locale::En => &en::English,
    }
}

/// French counts zero and one in the singular.
fn plural_fr(n: impl Into<i64>) -> &'static str {
    if n.into() > 1 { "s" } else { "" }
}

/// English counts only one in the singular.
fn plural_en(n: impl Into<i64>) -> &'static str {
    if n.into() == 1 { "" } else { "s" }
}

/// Usize counts as `i64` for the plural rules (a count never nears `i64::MAX`).
fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both() -> [&'static dyn MailTexts; 2] {
        [for_locale(Locale::Fr), for_locale(Locale::En)]
    }

    #[test]
    fn counts_agree_with_their_number_in_each_language() {
        let fr = for_locale(Locale::Fr);
        let en = for_locale(Locale::En);
        let one = Files {
            count: 1,
            total: "5 Mo",
        };
        let many = Files {
            count: 2,
            total: "5 Mo",
        };
        assert_eq!(
            fr.transfer_received("Anne", "Musique", one).subject,
            "Anne vous a envoyé 1 fichier"
        );
        assert_eq!(
            fr.transfer_received("Anne", "Musique", many).subject,
            "Anne vous a envoyé 2 fichiers"
        );
        assert_eq!(
            en.transfer_received("Anne", "Music", one).subject,
            "Anne sent you 1 file"
        );
        assert_eq!(
            en.transfer_received("Anne", "Music", many).subject,
            "Anne sent you 2 files"
        );
        assert_eq!(
            fr.digest_line(DigestLine::Downloads {
                client: "Anne",
                title: "Mariage",
                count: 1
            }),
            "Anne : 1 téléchargement dans « Mariage »"
        );
        assert_eq!(
            en.digest_line(DigestLine::Sent {
                client: "Anne",
                title: "Wedding",
                count: 3
            }),
            "Anne sent you 3 files (“Wedding”)"
        );
    }

    #[test]
    fn every_email_has_a_subject_a_paragraph_an_action_and_a_footer_in_both_languages() {
        let files = Files {
            count: 2,
            total: "1 Go",
        };
        let appointment = Appointment {
            kind: "Essai coiffure",
            when: "samedi 12 juin 2027 à 14:30 (UTC+2)",
            place: Some("Lyon"),
            notes: None,
        };
        for t in both() {
            let all = [
                t.invitation("Studio", 7),
                t.password_reset(2),
                t.email_change(),
                t.email_updated("Studio"),
                t.address_moved("Studio", "new@example.fr"),
                t.transfer_received("Anne", "Musique", files),
                t.delivery_published("Studio", "Mariage", 3, Some("1 mai")),
                t.delivery_expiring("Mariage", "1 mai"),
                t.guest_link("Studio", "Mariage", true, None),
                t.upload_link("Studio", false, Some("1 mai")),
                t.guest_batch("Mamie", "Photos", files),
                t.guest_receipt("Studio", "Photos", files),
                t.selection_submitted("Anne", "Album", 40, "Mariage"),
                t.backup_failed("s3://b"),
                t.restore_drill_failed("s3://b"),
                t.daily_digest(),
                t.appointment_reminder("Studio", appointment),
                t.confirm_subscription("Studio", false, 7),
                t.confirm_subscription("Studio", true, 7),
            ];
            for w in all {
                assert!(
                    !w.subject.is_empty() && !w.action.is_empty() && !w.footer.is_empty(),
                    "{w:?}"
                );
                assert!(
                    w.paragraphs.iter().all(|p| !p.is_empty()) && !w.paragraphs.is_empty(),
                    "{w:?}"
                );
                // The greeting is the layout's: no paragraph says hello a second time.
                assert!(
                    w.paragraphs
                        .iter()
                        .all(|p| !p.starts_with("Bonjour") && !p.starts_with("Hello")),
                    "{w:?}"
                );
            }
        }
    }

    #[test]
    fn optional_sentences_appear_only_when_they_have_something_to_say() {
        let fr = for_locale(Locale::Fr);
        assert_eq!(fr.guest_link("S", "T", false, None).paragraphs.len(), 1);
        let full = fr.guest_link("S", "T", true, Some("1 mai 2027"));
        assert_eq!(full.paragraphs.len(), 3);
        assert!(full.paragraphs[2].contains("1 mai 2027"));
        assert_eq!(
            for_locale(Locale::En)
                .delivery_published("S", "T", 1, None)
                .paragraphs
                .len(),
            1
        );
        let reminder = for_locale(Locale::En).appointment_reminder(
            "S",
            Appointment {
                kind: "Shoot",
                when: "today",
                place: None,
                notes: Some("bring shoes"),
            },
        );
        assert_eq!(reminder.items, ["Note: bring shoes"]);
    }
}
