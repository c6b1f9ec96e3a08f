//! A forgotten-password request, done in the background: the request itself only queues
//! this job, so its answer takes the same time whether or not the address has an account
//! (the lookup, the link and the email all happen here).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{JobError, JobHandler};
use crate::accounts::{self, AccountError};
use crate::db::DbError;
use crate::state::AppState;

pub const KIND: &str = "password_reset_request";

#[derive(Serialize, Deserialize)]
struct Payload {
    email: String,
}

/// Queues the request; the caller answers 202 whatever happens next.
pub async fn queue(state: &AppState, email: &str) -> Result<(), DbError> {
    let payload = Payload {
        email: email.trim().to_owned(),
    };
    super::enqueue(state.db.pool(), KIND, &payload, 3, state.clock.now()).await?;
    state.jobs_queued();
    Ok(())
}

pub struct RequestReset {
    pub state: AppState,
}

#[async_trait]
impl JobHandler for RequestReset {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn max_attempts(&self) -> i64 {
        3
    }

    async fn run(&self, payload: &str) -> Result<(), JobError> {
        let payload: Payload =
            serde_json::from_str(payload).map_err(|e| JobError::Fatal(format!("bad payload: {e}")))?;
        accounts::request_password_reset(&self.state, &payload.email)
            .await
            .map_err(|e| match e {
                AccountError::Db(db) => JobError::Retry(db.to_string()),
                other => JobError::Fatal(other.to_string()),
            })
    }
}
