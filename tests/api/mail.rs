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

/// A fresh 2048-bit RSA key in PEM, made by openssl (scripts/test.sh makes sure it is there).
pub fn dkim_key_pem() -> String {
    let out = std::process::Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"])
        .output()
        .expect("openssl runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("pem")
}

#[tokio::test]
async fn mail_is_dkim_signed_and_verifies_against_the_published_record() {
    let dir = tempfile::tempdir().expect("dir");
    let sink = SmtpSink::start(dir.path());
    let key = relais::mail::dkim::DkimKey::from_pem(&dkim_key_pem()).expect("an RSA key");
    let record = key.txt_record();
    let url = sink.url();
    let app = spawn_app_with(move |cfg| {
        cfg.mail.transport = MailTransport::Smtp(SmtpConfig {
            url: SecretString::from(url),
            username: None,
            password: None,
        });
        cfg.mail.from = "Studio Lumière <contact@studio-lumiere.fr>".parse().expect("mailbox");
        cfg.mail.dkim = Some(relais::config::DkimConfig {
            selector: "relais2026".into(),
            key,
        });
    })
    .await;
    app.create_client("claire@example.fr", "Claire Dupont").await;
    app.run_jobs().await;
    let received = sink.messages();
    assert_eq!(received.len(), 1);
    assert!(received[0].contains("DKIM-Signature:"), "{}", received[0]);
    assert!(!format!("{:?}", app.state.cfg.mail).contains("PRIVATE KEY"));

    // dkimpy (PyPI), an independent verifier, checks the message as received, looking the
    // key up at the record `relais check` tells the studio to publish.
    let message = dir.path().join("received.eml");
    std::fs::write(&message, &received[0]).expect("written");
    let python = std::env::var("TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let verify = |path: &std::path::Path| {
        std::process::Command::new(&python)
            .args([
                "-c",
                "import sys, dkim\n\
                 record = sys.argv[2].encode()\n\
                 def dns(name, timeout=5):\n\
                 \x20   return record if name == b'relais2026._domainkey.studio-lumiere.fr.' else None\n\
                 ok = dkim.verify(open(sys.argv[1], 'rb').read(), dnsfunc=dns)\n\
                 sys.exit(0 if ok else 1)",
                path.to_str().expect("utf-8"),
                &record,
            ])
            .output()
            .expect("python runs (scripts/test.sh installs dkimpy)")
    };
    let good = verify(&message);
    assert!(good.status.success(), "{}", String::from_utf8_lossy(&good.stderr));
    // A changed subject no longer verifies.
    let tampered = dir.path().join("tampered.eml");
    std::fs::write(&tampered, received[0].replacen("Subject: ", "Subject: Re: ", 1)).expect("written");
    assert!(!verify(&tampered).status.success());
}
