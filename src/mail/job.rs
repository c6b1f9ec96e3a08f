//! The job that delivers one queued email.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::dialog::Delivered;
use super::{MailError, Mailer, SendPayload};
use crate::clock::Clock;
use crate::db::{self, Db};
use crate::jobs::{JobError, JobHandler};

pub const KIND: &str = "send_email";

pub struct SendEmail {
    pub db: Db,
    pub mailer: Arc<Mailer>,
    /// The sender's display name is the studio's name at the time of sending.
    pub studio: Arc<crate::studio::Directory>,
    pub clock: Clock,
    /// Milliseconds between two paced messages (`newsletter.rate_per_minute`).
    pub pace_interval: i64,
}

/// A paced message this late missed its slot while no node was running: it takes a new
/// one rather than leaving with every other late one at once.
const MISSED_AFTER: Duration = Duration::from_secs(30);

impl SendEmail {
    /// Bulk mail: the sending is recorded just before the server can accept the message
    /// (see `dialog`), so a crash at any moment sends it at most once; a refusal after the
    /// record undoes it.
    async fn send_recorded(&self, email: &db::emails::OutgoingEmail, sender: &str) -> Result<(), MailError> {
        let now = self.clock.now();
        // Only one worker may record it: a second one (whose lease was taken over) drops
        // its connection before the dot.
        let record = async {
            match db::emails::record_sending(self.db.pool(), &email.id, now).await {
                Ok(true) => Ok(()),
                Ok(false) => Err("another worker is sending this message".to_owned()),
                Err(e) => Err(e.to_string()),
            }
        };
        match self.mailer.send_recorded(email, sender, record).await? {
            Delivered::Accepted => Ok(()),
            Delivered::Unknown(why) => {
                // Sent, as far as anyone can tell: trying again could make a second copy.
                tracing::warn!(email = %email.id, %why, "no answer after the message; counted as sent");
                Ok(())
            }
            Delivered::Refused(e) => {
                db::emails::undo_sending(self.db.pool(), &email.id, now)
                    .await
                    .map_err(|db| MailError::Transient(db.to_string()))?;
                Err(e)
            }
        }
    }

    /// For bulk mail: waits for the message's slot, taking one first if it has none yet
    /// (or if it missed its own by more than `MISSED_AFTER`, so that a restart does not
    /// send a backlog in a burst). `Ok` means: send now.
    async fn wait_for_slot(&self, email: &db::emails::OutgoingEmail) -> Result<(), JobError> {
        let now = self.clock.now();
        match email.slot_at {
            Some(slot) if slot > now => return Err(JobError::Later(slot)),
            // Its slot came (a job runs a little after its time): go.
            Some(slot) if slot >= now - MISSED_AFTER => return Ok(()),
            _ => {}
        }
        let mut tx = self.db.begin().await?;
        let slot = db::emails::take_slot(&mut tx, &email.id, "newsletter", self.pace_interval, now).await?;
        tx.commit().await.map_err(db::DbError::from)?;
        if slot > now { Err(JobError::Later(slot)) } else { Ok(()) }
    }
}

#[async_trait]
impl JobHandler for SendEmail {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn max_attempts(&self) -> i64 {
        super::MAX_ATTEMPTS
    }

    async fn run(&self, payload: &str) -> Result<(), JobError> {
        let payload: SendPayload =
            serde_json::from_str(payload).map_err(|e| JobError::Fatal(format!("bad payload: {e}")))?;
        let Some(email) = db::emails::find(self.db.pool(), &payload.email_id).await? else {
            return Err(JobError::Fatal(format!("email {} no longer exists", payload.email_id)));
        };
        if email.sent_at.is_some() {
            // Sent by an earlier attempt whose outcome was not recorded.
            return Ok(());
        }
        let newsletter = email.kind == "newsletter";
        if newsletter && !db::newsletter::delivery_wanted(self.db.pool(), &email.id).await? {
            // Left (or refused) after the issue was fanned out: nothing goes.
            db::emails::record_error(self.db.pool(), &email.id, "skipped: no longer subscribed").await?;
            return Ok(());
        }
        let paced = super::PACED_KINDS.contains(&email.kind.as_str());
        if paced {
            self.wait_for_slot(&email).await?;
        }
        let sender = self.studio.name().await?;
        let sent = if paced {
            self.send_recorded(&email, &sender).await
        } else {
            self.mailer.send(&email, &sender).await
        };
        match sent {
            Ok(()) => {
                let (text, html) = (
                    super::scrub_links(&email.text_body),
                    super::scrub_links(&email.html_body),
                );
                db::emails::mark_sent(self.db.pool(), &email.id, &text, &html, self.clock.now()).await?;
                tracing::info!(email = %email.id, kind = %email.kind, "email sent");
                Ok(())
            }
            Err(e) => {
                let _ = db::emails::record_error(self.db.pool(), &email.id, &e.to_string()).await;
                if newsletter && let MailError::MailboxRefused(reason) = &e {
                    // The address is refused for good: no later issue is sent to it.
                    let now = self.clock.now();
                    let _ = db::newsletter::mark_refused_by_email(self.db.pool(), &email.id, reason, now).await;
                }
                Err(match e {
                    MailError::Permanent(m) | MailError::MailboxRefused(m) | MailError::Build(m) => JobError::Fatal(m),
                    MailError::Transient(m) => JobError::Retry(m),
                })
            }
        }
    }
}
