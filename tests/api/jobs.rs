use std::collections::HashSet;
use std::time::Duration;

use relais::db;
use relais::jobs::RunOutcome;

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_job_whose_worker_died_runs_again_once_its_lease_expires() {
    let app = spawn_app().await;
    app.create_client("claire@example.fr", "Claire").await;

    // A worker takes the email job and dies without a word: no heartbeat, no outcome.
    let now = app.clock().now();
    let taken = db::jobs::claim(&app.state.db, "worker-that-dies", now + Duration::from_secs(60), now)
        .await
        .expect("claim")
        .expect("a job");
    assert_eq!(taken.kind, "send_email");

    assert!(
        app.run_jobs().await.is_empty(),
        "a live lease keeps the job away from other workers"
    );
    assert!(app.outbox().is_empty());

    app.clock().advance(Duration::from_secs(61));
    let outcomes = app.run_jobs().await;
    assert!(
        matches!(outcomes.as_slice(), [RunOutcome::Done { id, .. }] if *id == taken.id),
        "{outcomes:?}"
    );
    assert_eq!(app.outbox().len(), 1);
    let record = db::jobs::find(app.state.db.pool(), &taken.id)
        .await
        .expect("query")
        .expect("job");
    assert_eq!((record.status.as_str(), record.attempts), ("done", 2));

    // The dead worker's late report changes nothing: it no longer holds the lease.
    let late = db::jobs::complete(app.state.db.pool(), &taken.id, "worker-that-dies", app.clock().now())
        .await
        .expect("query");
    assert!(!late);
}

#[tokio::test]
async fn concurrent_workers_never_claim_the_same_job() {
    let app = spawn_app().await;
    for i in 0..12 {
        app.create_client(&format!("client{i}@example.fr"), "Client").await;
    }
    let now = app.clock().now();
    let mut tasks = Vec::new();
    for w in 0..6 {
        let db = app.state.db.clone();
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            while let Some(job) = db::jobs::claim(&db, &format!("worker-{w}"), now + Duration::from_secs(60), now)
                .await
                .expect("claim")
            {
                mine.push(job.id);
            }
            mine
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.expect("worker"));
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 12, "every job claimed");
    assert_eq!(unique.len(), 12, "no job claimed twice");
}

#[tokio::test]
async fn a_job_that_keeps_killing_its_workers_is_given_up() {
    let app = spawn_app().await;
    app.create_client("claire@example.fr", "Claire").await;
    let mut id = None;
    for attempt in 0..relais::mail::MAX_ATTEMPTS {
        let now = app.clock().now();
        let job = db::jobs::claim(
            &app.state.db,
            &format!("doomed-{attempt}"),
            now + Duration::from_secs(1),
            now,
        )
        .await
        .expect("claim")
        .expect("job");
        id = Some(job.id);
        app.clock().advance(Duration::from_secs(2));
    }
    let outcomes = app.run_jobs().await;
    assert!(
        matches!(outcomes.as_slice(), [RunOutcome::Failed { id: failed, error, .. }] if Some(failed) == id.as_ref() && error.contains("gave up")),
        "{outcomes:?}"
    );
    assert!(app.outbox().is_empty());
}

#[tokio::test]
async fn housekeeping_forgets_expired_sessions_and_old_finished_jobs() {
    let app = spawn_app().await;
    app.create_active_client("anne@example.fr", "correct horse battery")
        .await;
    assert_eq!(
        app.login("anne@example.fr", "correct horse battery", None).await.status,
        201
    );

    let nothing = relais::jobs::housekeeping::sweep(&app.state).await.expect("sweep");
    assert_eq!(
        nothing,
        relais::jobs::housekeeping::Swept::default(),
        "nothing is due yet"
    );

    app.clock().advance(Duration::from_secs(31 * 24 * 3600));
    let swept = relais::jobs::housekeeping::sweep(&app.state).await.expect("sweep");
    assert_eq!(
        (swept.sessions, swept.links, swept.jobs, swept.uploads),
        (1, 1, 1, 0),
        "{swept:?}"
    );
    assert_eq!(
        app.request(reqwest::Method::GET, "/api/v1/me")
            .send()
            .await
            .expect("request")
            .status(),
        401
    );
}
