//! The quote site signs with the official `standardwebhooks` Python library (installed by
//! scripts/test.sh): what it signs, Relais accepts, and a changed byte it refuses.

use relais::integration::signature::{Secret, Signed, verify};

use crate::helpers::spawn_app;

/// Signs `body` as the quote site would; returns the `webhook-signature` value.
fn python_sign(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    let python = std::env::var("TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let out = std::process::Command::new(python)
        .args([
            "-c",
            "import sys, datetime\nfrom standardwebhooks import Webhook\n\
             ts = datetime.datetime.fromtimestamp(int(sys.argv[3]), tz=datetime.timezone.utc)\n\
             print(Webhook(sys.argv[1]).sign(sys.argv[2], ts, sys.argv[4]))",
            secret,
            id,
            &timestamp.to_string(),
            body,
        ])
        .output()
        .expect("python runs (scripts/test.sh installs standardwebhooks)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("utf-8").trim().to_owned()
}

#[tokio::test]
async fn a_request_signed_by_the_official_library_is_accepted_and_a_changed_one_refused() {
    let app = spawn_app().await;
    let (_, secret) = relais::integration::create(&app.state, "Site de devis")
        .await
        .expect("created");
    let stored = relais::db::integrations::active_secrets(&app.state.db, app.clock().now_ms())
        .await
        .expect("secrets");
    let secrets: Vec<Secret> = stored.iter().filter_map(|s| Secret::parse(s)).collect();
    assert_eq!(secrets.len(), 1);

    let now = app.clock().now_secs() as i64;
    let body = r#"{"email":"anne@example.fr","name":"Anne Dupont","version":3}"#;
    let signature = python_sign(&secret.expose(), "msg_2ZxQ", now, body);
    let signed = Signed {
        id: "msg_2ZxQ",
        timestamp: &now.to_string(),
        signature: &signature,
    };
    assert_eq!(verify(&secrets, &signed, body.as_bytes(), now), Ok(()));
    let changed = body.replace("Anne", "Anna");
    assert!(verify(&secrets, &signed, changed.as_bytes(), now).is_err());
    let other_id = Signed {
        id: "msg_other",
        ..signed
    };
    assert!(verify(&secrets, &other_id, body.as_bytes(), now).is_err());
}
