use crate::helpers::{Answer, invitation_token, spawn_app};

#[tokio::test]
async fn creating_a_client_queues_one_invitation_email_with_text_and_html() {
    let app = spawn_app().await;
    app.create_client("claire@example.fr", "Claire et Louis").await;
    assert!(
        app.outbox().is_empty(),
        "the email is sent by the job queue, not inline"
    );

    let outcomes = app.run_jobs().await;
    assert_eq!(outcomes.len(), 1, "{outcomes:?}");
    let outbox = app.outbox();
    assert_eq!(outbox.len(), 1);
    let email = &outbox[0];
    assert!(
        email.contains("To: \"Claire et Louis\" <claire@example.fr>")
            || email.contains("To: Claire et Louis <claire@example.fr>"),
        "{email}"
    );
    // Until the studio names itself, mail comes from "Studio", never from "Relais".
    assert!(email.contains("From: Studio <no-reply@localhost>"), "{email}");
    assert!(
        email.contains("Message-ID: <") && email.contains("@localhost>"),
        "Message-ID on the sender's domain"
    );
    assert!(email.contains("multipart/alternative") && email.contains("text/plain") && email.contains("text/html"));
    assert!(
        email.contains("Subject: =?utf-8?") || email.contains("Subject: Studio vous invite"),
        "French subject: {email}"
    );
    assert!(!invitation_token(email).is_empty());

    assert!(app.run_jobs().await.is_empty(), "sent exactly once");
    assert_eq!(app.outbox().len(), 1);
}

#[tokio::test]
async fn an_invitation_link_sets_the_password_once() {
    let app = spawn_app().await;
    app.create_client("claire@example.fr", "Claire").await;
    app.run_jobs().await;
    let token = invitation_token(&app.outbox()[0]);

    let accept = |password: &'static str| {
        let token = token.clone();
        let app = &app;
        async move {
            Answer::of(
                app.http
                    .post(app.url("/api/v1/invitations/accept"))
                    .json(&serde_json::json!({"token": token, "password": password}))
                    .send()
                    .await
                    .expect("request"),
            )
            .await
        }
    };
    let short = accept("short").await;
    assert_eq!(
        (short.status, short.body["errors"][0]["field"].as_str()),
        (422, Some("password"))
    );

    assert_eq!(accept("a long enough password").await.status, 204);
    assert_eq!(
        app.login("claire@example.fr", "a long enough password", None)
            .await
            .status,
        201
    );

    let again = accept("another long password").await;
    assert_eq!((again.status, again.code()), (400, "invalid_link"));
    assert_eq!(
        app.login("claire@example.fr", "another long password", None)
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn an_expired_invitation_link_no_longer_works() {
    let app = spawn_app().await;
    app.create_client("claire@example.fr", "Claire").await;
    app.run_jobs().await;
    let token = invitation_token(&app.outbox()[0]);
    app.clock()
        .advance(relais::accounts::INVITATION_VALIDITY + std::time::Duration::from_secs(1));
    let answer = Answer::of(
        app.http
            .post(app.url("/api/v1/invitations/accept"))
            .json(&serde_json::json!({"token": token, "password": "a long enough password"}))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(answer.code(), "invalid_link");
}

#[tokio::test]
async fn one_address_is_one_account_whatever_its_case() {
    let app = spawn_app().await;
    app.create_client("claire@example.fr", "Claire").await;
    let again = relais::accounts::create_client(
        &app.state,
        None,
        "CLAIRE@example.fr",
        "Claire",
        relais::domain::Locale::En,
    )
    .await;
    assert!(
        matches!(again, Err(relais::accounts::AccountError::EmailTaken)),
        "{again:?}"
    );
    let bad = relais::accounts::create_client(&app.state, None, "claire", "Claire", relais::domain::Locale::En).await;
    assert!(matches!(
        bad,
        Err(relais::accounts::AccountError::Invalid { field: "email", .. })
    ));
    app.run_jobs().await;
    assert_eq!(app.outbox().len(), 1, "a refused account sends nothing");
}
