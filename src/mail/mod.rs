//! Email: notices in one shape, the persistent outbox and the transports that deliver it.
//!
//! An email is written to the `emails` table, with a `send_email` job, in the same
//! transaction as the event that causes it. The job delivers it and retries with backoff,
//! so an SMTP outage delays mail but never loses it.

pub mod dialog;
pub mod dkim;
pub mod dns_check;
pub mod job;
pub mod notices;

mod transport;

use sqlx::{Any, Executor};

pub use transport::{MailError, Mailer};

use crate::db::{self, DbError};
use crate::domain::{Timestamp, UserId};

/// Paths whose last segment is a secret (the tokens of single-use links).
const SECRET_LINKS: &[&str] = &[
    "/invitation/",
    "/password/reset/",
    "/email/confirm/",
    "/newsletter/confirm/",
    "/newsletter/unsubscribe/",
    // A guest's link: the token is its whole credential.
    "/l/",
];

/// The body with every secret link's token replaced by "…", for the copy kept after
/// sending: the link still shows where it led, but opens nothing.
pub fn scrub_links(body: &str) -> String {
    let mut out = body.to_owned();
    for prefix in SECRET_LINKS {
        let mut from = 0;
        while let Some(found) = out[from..].find(prefix) {
            let start = from + found + prefix.len();
            let len = out[start..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .unwrap_or(out.len() - start);
            if len > 0 {
                out.replace_range(start..start + len, "…");
            }
            from = start;
        }
    }
    out
}

/// Attempts before an email is given up: with the queue's backoff, about ten hours.
pub const MAX_ATTEMPTS: i64 = 15;

/// An email ready to be queued.
#[derive(Debug, Clone)]
pub struct Composed {
    /// The template it came from, for the studio's records.
    pub kind: &'static str,
    pub to_address: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The one-click unsubscribe URL of bulk mail (RFC 8058), sent as `List-Unsubscribe`.
    pub list_unsubscribe: Option<String>,
    /// An iCalendar file attached (`invitation.ics`), for appointment reminders.
    pub calendar: Option<String>,
}

/// Kinds of bulk mail: each message waits for its slot at `newsletter.rate_per_minute`.
pub const PACED_KINDS: &[&str] = &["newsletter", "newsletter_import"];

#[derive(serde::Serialize, serde::Deserialize)]
pub struct SendPayload {
    pub email_id: String,
}

/// Writes the email and its delivery job. `tx` must be the transaction of the event that
/// causes the email (`&mut *tx`); both become visible at its commit, or neither.
pub async fn queue(
    tx: &mut sqlx::AnyConnection,
    mailer: &Mailer,
    email: &Composed,
    user: Option<UserId>,
    now: Timestamp,
) -> Result<String, DbError> {
    let id = uuid::Uuid::now_v7().to_string();
    let message_id = mailer.new_message_id();
    let row = db::emails::NewEmail {
        id: &id,
        kind: email.kind,
        user_id: user,
        to_address: &email.to_address,
        to_name: email.to_name.as_deref(),
        subject: &email.subject,
        text_body: &email.text,
        html_body: &email.html,
        message_id: &message_id,
        list_unsubscribe: email.list_unsubscribe.as_deref(),
        calendar: email.calendar.as_deref(),
    };
    db::emails::insert(&mut *tx, row, now).await?;
    enqueue_send(&mut *tx, &id, now).await?;
    Ok(id)
}

async fn enqueue_send<'e>(ex: impl Executor<'e, Database = Any>, id: &str, now: Timestamp) -> Result<String, DbError> {
    crate::jobs::enqueue(
        ex,
        job::KIND,
        &SendPayload {
            email_id: id.to_owned(),
        },
        MAX_ATTEMPTS,
        now,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_links_are_blanked_and_the_rest_is_kept() {
        let body = "Ouvrez https://studio.fr/invitation/Ab3_x-9?x=1 ou <a href=\"https://studio.fr/password/reset/QQ\">ici</a>. \
                    https://studio.fr/deliveries/123 reste.";
        let scrubbed = scrub_links(body);
        assert!(!scrubbed.contains("Ab3_x-9") && !scrubbed.contains("QQ"), "{scrubbed}");
        assert!(scrubbed.contains("/invitation/…?x=1") && scrubbed.contains("/password/reset/…\""));
        assert!(scrubbed.contains("/deliveries/123 reste."));
        assert_eq!(scrub_links("no links"), "no links");
    }
}
