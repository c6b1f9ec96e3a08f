use relais::config::{MailTransport, SmtpConfig};
use relais::jobs::RunOutcome;
use secrecy::SecretString;

use crate::helpers::smtp::SmtpSink;
use crate::helpers::{TestApp, invitation_token, spawn_app_with};

async fn app_with_smtp(sink: &SmtpSink) -> TestApp {
    let url = sink.url();
    spawn_app_with(move |cfg| {
        cfg.mail.transport = MailTransport::Smtp(SmtpConfig {
            url: SecretString::from(url),
            username: None,
            password: None,
        });
        cfg.mail.from = "Studio Lumière <contact@studio-lumiere.fr>".parse().expect("mailbox");
    })
    .await
}

#[tokio::test]
async fn an_invitation_reaches_a_real_smtp_server() {
    let dir = tempfile::tempdir().expect("dir");
    let sink = SmtpSink::start(dir.path());
    let app = app_with_smtp(&sink).await;
    app.create_client("claire@example.fr", "Claire").await;

    let outcomes = app.run_jobs().await;
    assert!(matches!(outcomes.as_slice(), [RunOutcome::Done { .. }]), "{outcomes:?}");
    let received = sink.messages();
    assert_eq!(received.len(), 1);
    assert!(received[0].contains("Message-ID: <") && received[0].contains("@studio-lumiere.fr>"));
    assert!(received[0].contains("claire@example.fr"));
    assert!(!invitation_token(&received[0]).is_empty());
}

#[tokio::test]
async fn an_smtp_outage_delays_mail_but_loses_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let mut sink = SmtpSink::start(dir.path());
    let app = app_with_smtp(&sink).await;
    sink.stop();

    app.create_client("claire@example.fr", "Claire").await;
    let outcomes = app.run_jobs().await;
    assert!(
        matches!(outcomes.as_slice(), [RunOutcome::Retrying { .. }]),
        "{outcomes:?}"
    );
    assert!(app.run_jobs().await.is_empty(), "the retry waits for its backoff");

    // Still down at the second attempt.
    app.clock().advance(std::time::Duration::from_secs(3600));
    let outcomes = app.run_jobs().await;
    assert!(
        matches!(outcomes.as_slice(), [RunOutcome::Retrying { .. }]),
        "{outcomes:?}"
    );

    sink.resume();
    app.clock().advance(std::time::Duration::from_secs(3600));
    let outcomes = app.run_jobs().await;
    assert!(matches!(outcomes.as_slice(), [RunOutcome::Done { .. }]), "{outcomes:?}");
    assert_eq!(sink.messages().len(), 1, "delivered exactly once");
}

#[tokio::test]
async fn mail_that_can_never_be_delivered_ends_failed_after_its_attempts() {
    let dir = tempfile::tempdir().expect("dir");
    let mut sink = SmtpSink::start(dir.path());
    let app = app_with_smtp(&sink).await;
    sink.stop();
    app.create_client("claire@example.fr", "Claire").await;
    let mut last = Vec::new();
    for _ in 0..relais::mail::MAX_ATTEMPTS {
        last = app.run_jobs().await;
        app.clock().advance(std::time::Duration::from_secs(2 * 3600));
    }
    assert!(matches!(last.as_slice(), [RunOutcome::Failed { .. }]), "{last:?}");
    assert!(app.run_jobs().await.is_empty(), "a failed job stays failed");
}
