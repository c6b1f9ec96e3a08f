//! The job that delivers one queued email.

use std::sync::Arc;

use async_trait::async_trait;

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

impl SendEmail {
    /// For bulk mail: waits for the message's slot, taking one first if it has none yet
    /// (or if it missed its own while no node was running, so that a restart does not
    /// send a backlog in a burst). `Ok` means: send now.
    async fn wait_for_slot(&self, email: &db::emails::OutgoingEmail) -> Result<(), JobError> {
        let now = self.clock.now_ms();
        match email.slot_at {
            Some(slot) if slot > now => return Err(JobError::Later(slot)),
            Some(slot) if slot >= now - self.pace_interval => return Ok(()),
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
        if super::PACED_KINDS.contains(&email.kind.as_str()) {
            self.wait_for_slot(&email).await?;
        }
        let sender = self.studio.name().await?;
        match self.mailer.send(&email, &sender).await {
            Ok(()) => {
                let (text, html) = (
                    super::scrub_links(&email.text_body),
                    super::scrub_links(&email.html_body),
                );
                db::emails::mark_sent(self.db.pool(), &email.id, &text, &html, self.clock.now_ms()).await?;
                tracing::info!(email = %email.id, kind = %email.kind, "email sent");
                Ok(())
            }
            Err(e) => {
                let _ = db::emails::record_error(self.db.pool(), &email.id, &e.to_string()).await;
                if newsletter && let MailError::Permanent(reason) = &e {
                    // The address is refused for good: no later issue is sent to it.
                    let now = self.clock.now_ms();
                    let _ = db::newsletter::mark_refused_by_email(self.db.pool(), &email.id, reason, now).await;
                }
                Err(match e {
                    MailError::Permanent(m) | MailError::Build(m) => JobError::Fatal(m),
                    MailError::Transient(m) => JobError::Retry(m),
                })
            }
        }
    }
}
