//! Periodic clean-up of what expires: sessions, single-use links, finished jobs. Every
//! node runs it; the deletes are idempotent, so running it twice costs nothing.

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::clock::Clock;
use crate::db::{self, Db, DbError};

const EVERY: Duration = Duration::from_secs(600);
/// Finished jobs stay visible this long, for the studio and for diagnosis.
const KEEP_FINISHED_JOBS: Duration = Duration::from_secs(7 * 24 * 3600);
/// Expired or used links are kept a while so "this link was already used" stays true.
const KEEP_SPENT_LINKS: Duration = Duration::from_secs(30 * 24 * 3600);

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub links: u64,
    pub jobs: u64,
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

pub async fn sweep(db: &Db, clock: &Clock) -> Result<Swept, DbError> {
    let now = clock.now_ms();
    Ok(Swept {
        sessions: db::sessions::purge_expired(db.pool(), now).await?,
        links: db::links::purge(db.pool(), now - ms(KEEP_SPENT_LINKS)).await?,
        jobs: db::jobs::purge_finished(db.pool(), now - ms(KEEP_FINISHED_JOBS)).await?,
    })
}

pub async fn run(db: Db, clock: Clock, shutdown: CancellationToken) {
    loop {
        match sweep(&db, &clock).await {
            Ok(swept) if swept != Swept::default() => tracing::info!(?swept, "housekeeping"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "housekeeping failed; will try again"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(EVERY) => {}
        }
    }
}
