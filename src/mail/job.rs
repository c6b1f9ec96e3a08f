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
                Err(match e {
                    MailError::Permanent(m) | MailError::Build(m) => JobError::Fatal(m),
                    MailError::Transient(m) => JobError::Retry(m),
                })
            }
        }
    }
}
