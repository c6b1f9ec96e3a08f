//! The emails in English.

use super::{Appointment, DigestLine, Files, MailTexts, Words, count, plural_en as s};

pub(super) struct English;

const A_REQUEST: &str = "Sent after a request made on your space.";
const A_NEW_ADDRESS: &str = "Sent after a change of address.";
const A_CLIENT: &str = "You are receiving this because you have a client space with this studio.";
const WHAT_HAPPENED: &str = "What happened:";

impl MailTexts for English {
    fn greeting(&self, name: &str) -> String {
        if name.is_empty() {
            "Hello,".to_owned()
        } else {
            format!("Hello {name},")
        }
    }

    fn copy_hint(&self) -> &'static str {
        "If the button does not work, copy this address into your browser:"
    }

    fn invitation(&self, studio: &str, valid_days: u64) -> Words {
        Words::new(
            format!("{studio} invites you to your client space"),
            vec![
                format!(
                    "{studio} has opened a client space for you to exchange files easily: you can drop music, documents, photos and videos there, and find your deliveries."
                ),
                format!(
                    "To get in, choose your password. This link is personal, works once and expires in {valid_days} days."
                ),
            ],
            "Choose my password",
            format!("You are receiving this because {studio} invited you."),
        )
    }

    fn password_reset(&self, valid_hours: u64) -> Words {
        Words::new(
            "Choose a new password".into(),
            vec![
                "You asked to change the password of your space. The link below lets you choose a new one.".into(),
                format!(
                    "It works once and expires in {valid_hours} hours. If you did not ask for this, ignore this message: your current password still works."
                ),
            ],
            "Choose a new password",
            A_REQUEST,
        )
    }

    fn email_change(&self) -> Words {
        Words::new(
            "Confirm your new address".into(),
            vec![
                "You asked to use this address for your space. Confirm it with the link below: it replaces the old one from then on.".into(),
                "The link works once and expires in 24 hours. If you did not ask for this, ignore this message.".into(),
            ],
            "Confirm this address",
            A_REQUEST,
        )
    }

    fn email_updated(&self, studio: &str) -> Words {
        Words::new(
            "Your space now uses this address".into(),
            vec![
                format!(
                    "{studio} recorded this address for your client space: you now sign in with it, and our messages will come here."
                ),
                "Your password does not change. If you do not recognise this change, reply to this message.".into(),
            ],
            "Open my space",
            A_NEW_ADDRESS,
        )
    }

    fn address_moved(&self, studio: &str, new_address: &str) -> Words {
        Words::new(
            "Your space’s address has changed".into(),
            vec![
                format!(
                    "Your client space with {studio} now uses the address {new_address}. This address no longer signs in, and links sent here before no longer work."
                ),
                format!("If you did not make this change, reply to this message or contact {studio} right away."),
            ],
            "Open my space",
            A_NEW_ADDRESS,
        )
    }

    fn transfer_received(&self, client: &str, title: &str, files: Files<'_>) -> Words {
        let (n, total) = (files.count, files.total);
        let s = s(count(n));
        Words::new(
            format!("{client} sent you {n} file{s}"),
            vec![format!(
                "{client} finished sending files to “{title}”: {n} file{s}, {total} in all."
            )],
            "See the files",
            "A notification from your Relais space.",
        )
    }

    fn delivery_published(&self, studio: &str, title: &str, file_count: usize, until: Option<&str>) -> Words {
        let s = s(count(file_count));
        Words::new(
            format!("Your files are ready: {title}"),
            [
                Some(format!(
                    "{studio} delivered “{title}” to you: {file_count} file{s} to view and download."
                )),
                until.map(|d| format!("They remain available until {d}.")),
            ]
            .into_iter()
            .flatten()
            .collect(),
            "See my delivery",
            A_CLIENT,
        )
    }

    fn delivery_expiring(&self, title: &str, on: &str) -> Words {
        Words::new(
            format!("Last reminder: “{title}” expires on {on}"),
            vec![format!(
                "Your delivery “{title}” will no longer be available after {on}. Remember to download your files before then."
            )],
            "Download my files",
            A_CLIENT,
        )
    }

    fn guest_link(&self, studio: &str, title: &str, has_pin: bool, until: Option<&str>) -> Words {
        Words::new(
            format!("{studio} shares “{title}” with you"),
            [
                Some(format!(
                    "{studio} opened a gallery for you: “{title}”. The button below opens it, no account needed."
                )),
                has_pin.then(|| "It is protected by an access code, which the studio gives you separately.".to_owned()),
                until.map(|d| format!("The link works until {d}.")),
            ]
            .into_iter()
            .flatten()
            .collect(),
            "Open the gallery",
            "You are receiving this because the studio shared this gallery with this address. Do not forward this link: it opens the gallery to whoever holds it.",
        )
    }

    fn upload_link(&self, studio: &str, has_pin: bool, until: Option<&str>) -> Words {
        Words::new(
            format!("{studio} invites you to send your files"),
            [
                Some(format!(
                    "{studio} invites you to send your files. The button below opens the upload page, no account needed: large files are fine, and a cut upload resumes where it stopped."
                )),
                has_pin.then(|| "The page is protected by an access code, which the studio gives you separately.".to_owned()),
                until.map(|d| format!("The link works until {d}.")),
            ]
            .into_iter()
            .flatten()
            .collect(),
            "Send my files",
            "You are receiving this because the studio asks you for files at this address. Do not forward this link: whoever holds it can send files to the studio.",
        )
    }

    fn guest_batch(&self, guest: &str, link_label: &str, files: Files<'_>) -> Words {
        let (n, total) = (files.count, files.total);
        let s = s(count(n));
        Words::new(
            format!("{guest} sent {n} file{s} through “{link_label}”"),
            vec![
                format!("{guest} finished sending files through the link “{link_label}”: {n} file{s}, {total} in all."),
                "These files wait for the studio to review them.".to_owned(),
            ],
            "See the files",
            "Notification from an upload link.",
        )
    }

    fn guest_receipt(&self, studio: &str, link_label: &str, files: Files<'_>) -> Words {
        let (n, total) = (files.count, files.total);
        let s = s(count(n));
        Words::new(
            format!("{studio} received your {n} file{s}"),
            vec![format!(
                "{studio} received what you sent through “{link_label}”: {n} file{s}, {total} in all, each checked to the byte."
            )],
            "Visit the studio's site",
            "You are receiving this receipt because you gave this address when sending your files.",
        )
    }

    fn selection_submitted(&self, who: &str, list: &str, n: usize, title: &str) -> Words {
        let s = s(count(n));
        Words::new(
            format!("{who} submitted their selection “{list}” ({n} file{s})"),
            vec![format!(
                "{who} finished their selection “{list}” in “{title}”: {n} file{s}. The list is locked; you can reopen it from the delivery."
            )],
            "See the selection",
            "Notification of a selection.",
        )
    }

    fn backup_failed(&self, target: &str) -> Words {
        Words::new(
            "Last night's backup failed".into(),
            vec![
                format!(
                    "The backup to {target} did not complete. Your files are safe, but they are not being copied while the problem lasts."
                ),
                WHAT_HAPPENED.into(),
            ],
            "Open the dashboard",
            "You will get no other message until backups work again.",
        )
    }

    fn restore_drill_failed(&self, target: &str) -> Words {
        Words::new(
            "This week's restore drill failed".into(),
            vec![
                format!(
                    "The latest backup on {target} could not be read back in full: it might not restore everything."
                ),
                WHAT_HAPPENED.into(),
            ],
            "Open the dashboard",
            "You will get no other message until a drill succeeds.",
        )
    }

    fn daily_digest(&self) -> Words {
        Words::new(
            "Your clients in the last 24 hours".into(),
            vec!["Here is what your clients did since the last digest:".into()],
            "See the activity",
            "This digest goes every day at the set time (digest.at), only when something happened.",
        )
    }

    fn digest_line(&self, line: DigestLine<'_>) -> String {
        match line {
            DigestLine::Opened { client, title } => format!("{client} opened “{title}”"),
            DigestLine::Downloads { client, title, count } => {
                format!("{client}: {count} download{} in “{title}”", s(count))
            }
            DigestLine::Sent { client, title, count } => {
                format!("{client} sent you {count} file{} (“{title}”)", s(count))
            }
        }
    }

    fn appointment_reminder(&self, studio: &str, a: Appointment<'_>) -> Words {
        let mut w = Words::new(
            format!("Reminder: {} — {}", a.kind, a.when),
            vec![format!(
                "A reminder of your appointment with {studio}: {}, {}.",
                a.kind, a.when
            )],
            "See my appointments",
            "The attached file adds this appointment to your calendar.",
        );
        w.items.extend(a.place.map(|p| format!("Place: {p}")));
        w.items.extend(a.notes.map(|n| format!("Note: {n}")));
        w
    }

    fn confirm_subscription(&self, studio: &str, imported: bool, valid_days: u64) -> Words {
        let why = if imported {
            format!("{studio} would like to send you its newsletter: news now and then, recent weddings and sessions.")
        } else {
            format!("You (or someone with your address) asked to receive {studio}'s newsletter.")
        };
        Words::new(
            format!("Confirm your subscription to {studio}'s newsletter"),
            vec![
                why,
                format!(
                    "Confirm by opening the link below (valid for {valid_days} days). Without confirmation you will receive nothing."
                ),
            ],
            "Confirm my subscription",
            "If you did not ask for this, ignore this message.",
        )
    }

    fn newsletter_why(&self, studio: &str) -> String {
        format!("You receive this letter because you subscribed to {studio}'s newsletter.")
    }

    fn unsubscribe(&self) -> &'static str {
        "Unsubscribe"
    }

    fn test_subject(&self, subject: &str) -> String {
        format!("[Test] {subject}")
    }
}
