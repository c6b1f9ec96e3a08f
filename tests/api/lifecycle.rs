//! A transfer changing hands: the studio is told once when a client finishes sending; a
//! delivery is invisible until published, its client is emailed once, reminded once
//! before it expires, and loses it at expiry.

use std::time::Duration;

use relais::domain::DAY;
use reqwest::Method;

use crate::helpers::spawn_app;
use crate::helpers::tus::{Tus, pattern};

#[tokio::test]
async fn finishing_an_inbound_transfer_emails_the_studio_once_with_what_is_new() {
    let app = spawn_app().await;
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    let (bob, _) = Tus::client(&app, "bob@example.fr").await;
    Tus::studio(&app, "studio@example.fr").await;
    app.run_jobs().await;
    let before = app.outbox().len();

    anne.upload("danse d'ouverture.mp3", &pattern(3000, 1), None).await;
    anne.upload("plan de table.pdf", &pattern(1000, 2), None).await;
    let transfer = anne.transfer_ids().await.remove(0);

    // Someone else's transfer cannot be completed (nor seen).
    let other = bob
        .call(Method::POST, &format!("/api/v1/transfers/{transfer}/complete"), None)
        .await;
    assert_eq!(other.status, 404);

    let done = anne
        .call(Method::POST, &format!("/api/v1/transfers/{transfer}/complete"), None)
        .await;
    assert_eq!((done.status, done.body["notified_files"].as_u64()), (200, Some(2)));
    app.run_jobs().await;
    let mails = app.outbox();
    assert_eq!(mails.len(), before + 1, "one email, not one per file");
    let mail = mails.last().expect("mail");
    assert!(
        mail.contains("studio@example.fr") && mail.contains("2 fichiers"),
        "{mail}"
    );
    assert!(mail.contains("danse d'ouverture.mp3") && mail.contains("plan de table.pdf"));
    assert!(mail.contains(&format!("/studio/transfers/{transfer}")));

    // Nothing new: no email. A new file: an email listing only it.
    let again = anne
        .call(Method::POST, &format!("/api/v1/transfers/{transfer}/complete"), None)
        .await;
    assert_eq!(again.body["notified_files"].as_u64(), Some(0));
    app.clock().advance(Duration::from_secs(1));
    anne.upload("oubli.mp3", &pattern(500, 3), None).await;
    let third = anne
        .call(Method::POST, &format!("/api/v1/transfers/{transfer}/complete"), None)
        .await;
    assert_eq!(third.body["notified_files"].as_u64(), Some(1));
    app.run_jobs().await;
    let mails = app.outbox();
    assert_eq!(mails.len(), before + 2);
    let last = mails.last().expect("mail");
    assert!(
        last.contains("oubli.mp3") && !last.contains("plan de table.pdf"),
        "{last}"
    );
}

#[tokio::test]
async fn a_delivery_is_invisible_until_published_and_its_client_is_emailed_once() {
    let app = spawn_app().await;
    let (anne, anne_user) = Tus::client(&app, "anne@example.fr").await;
    let (bob, _) = Tus::client(&app, "bob@example.fr").await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    app.run_jobs().await;
    let before = app.outbox().len();

    let created = studio
        .call(
            Method::POST,
            "/api/v1/transfers",
            Some(serde_json::json!({"title": "Photos du mariage", "client": anne_user.id})),
        )
        .await;
    let id = created.body["id"].as_str().expect("id").to_owned();
    let publication = format!("/api/v1/transfers/{id}/publication");

    let empty = studio
        .call(Method::PUT, &publication, Some(serde_json::json!({})))
        .await;
    assert_eq!(
        (empty.status, empty.body["errors"][0]["field"].as_str()),
        (422, Some("transfer"))
    );
    let upload = studio.upload("IMG_0001.jpg", &pattern(4000, 7), Some(&id)).await;
    assert!(upload.starts_with("/api/v1/uploads/"));
    let file = studio.files(&id).await.remove(0);
    let file_id = file["id"].as_str().expect("id");

    // Not yet published: the client does not see it, its files or its archive.
    assert!(anne.transfer_ids().await.iter().all(|t| *t != id));
    for path in [
        format!("/api/v1/transfers/{id}"),
        format!("/api/v1/files/{file_id}/content"),
        format!("/api/v1/transfers/{id}/archive"),
    ] {
        assert_eq!(anne.call(Method::GET, &path, None).await.status, 404, "{path}");
    }
    // Clients cannot publish.
    assert_eq!(
        anne.call(Method::PUT, &publication, Some(serde_json::json!({})))
            .await
            .status,
        403
    );

    let now = app.clock().now();
    let expires = now + 10 * DAY;
    let published = studio
        .call(
            Method::PUT,
            &publication,
            Some(serde_json::json!({"expires_at": expires})),
        )
        .await;
    assert_eq!(published.status, 200, "{:?}", published.body);
    assert_eq!(published.body["expires_at"].as_i64(), Some(expires.as_millis()));
    assert!(anne.transfer_ids().await.contains(&id));
    let content = anne
        .request(Method::GET, &format!("/api/v1/files/{file_id}/content"))
        .send()
        .await
        .expect("get");
    assert_eq!(content.status(), 200);
    assert_eq!(
        bob.call(Method::GET, &format!("/api/v1/transfers/{id}"), None)
            .await
            .status,
        404
    );

    app.run_jobs().await;
    let mails = app.outbox();
    assert_eq!(mails.len(), before + 1);
    let mail = mails.last().expect("mail");
    assert!(
        mail.contains("anne@example.fr")
            && mail.contains("Photos du mariage")
            && mail.contains(&format!("/deliveries/{id}"))
    );

    // Unpublish hides it; publishing again does not email again.
    assert_eq!(studio.call(Method::DELETE, &publication, None).await.status, 200);
    assert!(!anne.transfer_ids().await.contains(&id));
    studio
        .call(
            Method::PUT,
            &publication,
            Some(serde_json::json!({"expires_at": expires})),
        )
        .await;
    app.run_jobs().await;
    assert_eq!(app.outbox().len(), before + 1, "the client is told once");

    // Three days before expiry: one reminder, whatever the number of sweeps.
    app.clock().advance(Duration::from_secs(8 * 24 * 3600));
    let swept = relais::jobs::housekeeping::sweep(&app.state).await.expect("sweep");
    assert_eq!(swept.reminders, 1);
    assert_eq!(
        relais::jobs::housekeeping::sweep(&app.state)
            .await
            .expect("sweep")
            .reminders,
        0
    );
    app.run_jobs().await;
    let reminder = app.outbox().last().cloned().expect("mail");
    assert!(reminder.contains("Dernier rappel"), "{reminder}");

    // After expiry the client no longer sees it; the studio still does.
    app.clock().advance(Duration::from_secs(3 * 24 * 3600));
    assert!(!anne.transfer_ids().await.contains(&id));
    assert_eq!(
        anne.call(Method::GET, &format!("/api/v1/transfers/{id}"), None)
            .await
            .status,
        404
    );
    assert_eq!(
        studio
            .call(Method::GET, &format!("/api/v1/transfers/{id}"), None)
            .await
            .status,
        200
    );
    // Receipts: the client's one complete download is on record for the studio.
    let receipts = studio
        .call(Method::GET, &format!("/api/v1/files/{file_id}/downloads"), None)
        .await;
    assert_eq!(receipts.body.as_array().map(Vec::len), Some(1), "{:?}", receipts.body);
    assert_eq!(
        anne.call(Method::GET, &format!("/api/v1/files/{file_id}/downloads"), None)
            .await
            .status,
        403
    );
}

#[tokio::test]
async fn a_delivery_published_close_to_its_expiry_gets_no_separate_reminder() {
    let app = spawn_app().await;
    let (_, anne_user) = Tus::client(&app, "anne@example.fr").await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let created = studio
        .call(
            Method::POST,
            "/api/v1/transfers",
            Some(serde_json::json!({"title": "Dernières photos", "client": anne_user.id})),
        )
        .await;
    let id = created.body["id"].as_str().expect("id").to_owned();
    studio.upload("IMG_0900.jpg", &pattern(3000, 9), Some(&id)).await;
    // Two days before its expiry: the publication email already gives the date.
    let expires = app.clock().now() + 2 * DAY;
    let published = studio
        .call(
            Method::PUT,
            &format!("/api/v1/transfers/{id}/publication"),
            Some(serde_json::json!({"expires_at": expires})),
        )
        .await;
    assert_eq!(published.status, 200);
    let past = studio
        .call(
            Method::PUT,
            &format!("/api/v1/transfers/{id}/publication"),
            Some(serde_json::json!({"expires_at": app.clock().now() - Duration::from_millis(1)})),
        )
        .await;
    assert_eq!(
        (past.status, past.body["errors"][0]["field"].as_str()),
        (422, Some("expires_at"))
    );
    app.run_jobs().await;
    let before = app.outbox().len();
    let swept = relais::jobs::housekeeping::sweep(&app.state).await.expect("sweep");
    assert_eq!(swept.reminders, 0);
    app.run_jobs().await;
    assert_eq!(app.outbox().len(), before);
}

#[tokio::test]
async fn a_delivery_published_silently_is_announced_later_with_a_button_and_only_once() {
    let app = spawn_app().await;
    let (anne, anne_user) = Tus::client(&app, "anne@example.fr").await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    app.run_jobs().await;
    let told = |app: &crate::helpers::TestApp| {
        app.outbox()
            .iter()
            .filter(|m| m.contains("anne@example.fr") && m.contains("/deliveries/"))
            .count()
    };
    let created = studio
        .call(
            Method::POST,
            "/api/v1/transfers",
            Some(serde_json::json!({"title": "Photos du mariage", "client": anne_user.id})),
        )
        .await;
    let id = created.body["id"].as_str().expect("id").to_owned();
    studio.upload("IMG_0001.jpg", &pattern(4000, 7), Some(&id)).await;
    let publication = format!("/api/v1/transfers/{id}/publication");
    let silent = studio
        .call(Method::PUT, &publication, Some(serde_json::json!({"notify": false})))
        .await;
    assert_eq!(silent.status, 200, "{:?}", silent.body);
    app.run_jobs().await;
    assert_eq!(told(&app), 0, "published without an email");
    assert!(anne.transfer_ids().await.contains(&id), "but visible to the client");
    // Saving the publication again (a new expiry, as the page's form does) sends nothing,
    // and the "expires soon" email never goes for a delivery the client was not told of.
    let expires = app.clock().now() + 10 * DAY;
    studio
        .call(
            Method::PUT,
            &publication,
            Some(serde_json::json!({"expires_at": expires})),
        )
        .await;
    app.clock().advance(Duration::from_secs(8 * 24 * 3600));
    relais::jobs::housekeeping::sweep(&app.state).await.expect("sweep");
    app.run_jobs().await;
    assert_eq!(told(&app), 0);
    assert!(
        !app.outbox()
            .iter()
            .any(|m| m.contains("anne@example.fr") && m.contains("Photos du mariage")),
        "no expiry reminder either"
    );

    // The studio's page says so, with the button that tells the client.
    let (_, secret) = app.create_studio("owner@example.fr", "correct horse battery").await;
    let browser = crate::pages::Browser::new(&app);
    browser
        .login(
            "owner@example.fr",
            "correct horse battery",
            Some(app.totp_code(&secret, 0)),
        )
        .await;
    let page = browser.get(&format!("/studio/transfers/{id}"), Some("fr")).await;
    assert!(
        page.body.contains("le client ne le sait pas encore")
            && page
                .body
                .contains(&format!("data-action=\"POST /api/v1/transfers/{id}/announcement\"")),
        "{}",
        page.body
    );
    let announcement = format!("/api/v1/transfers/{id}/announcement");
    assert_eq!(anne.call(Method::POST, &announcement, None).await.status, 403);
    assert_eq!(studio.call(Method::POST, &announcement, None).await.status, 204);
    app.run_jobs().await;
    assert_eq!(told(&app), 1, "the publication email, now");
    let again = studio.call(Method::POST, &announcement, None).await;
    assert_eq!((again.status, again.code()), (409, "already_announced"));
    studio
        .call(Method::PUT, &publication, Some(serde_json::json!({})))
        .await;
    app.run_jobs().await;
    assert_eq!(told(&app), 1, "never twice");
    let page = browser.get(&format!("/studio/transfers/{id}"), Some("fr")).await;
    assert!(!page.body.contains("data-unannounced"), "told: no banner any more");
}

#[tokio::test]
async fn the_daily_digest_tells_the_studio_what_clients_did_once_a_day_and_nothing_on_a_quiet_day() {
    // Due five minutes from now (UTC), whatever the time the test runs.
    let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(5);
    let at = soon.to_zoned(jiff::tz::TimeZone::UTC);
    let app = crate::helpers::spawn_app_with(move |cfg| {
        cfg.digest_at = Some((at.hour() as u8, at.minute() as u8));
    })
    .await;
    let (anne, anne_user) = Tus::client(&app, "anne@example.fr").await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let created = studio
        .call(
            Method::POST,
            "/api/v1/transfers",
            Some(serde_json::json!({"title": "Photos du mariage", "client": anne_user.id})),
        )
        .await;
    let id = created.body["id"].as_str().expect("id").to_owned();
    studio.upload("IMG_0001.jpg", &pattern(4000, 7), Some(&id)).await;
    studio
        .call(
            Method::PUT,
            &format!("/api/v1/transfers/{id}/publication"),
            Some(serde_json::json!({})),
        )
        .await;
    // Anne opens it, downloads its photo twice and sends two files of her own.
    let transfer =
        relais::db::transfers::find(app.state.db.pool(), relais::domain::TransferId::parse(&id).expect("id"))
            .await
            .expect("db")
            .expect("transfer");
    let anne_account = relais::db::users::find(app.state.db.pool(), anne_user.id)
        .await
        .expect("db")
        .expect("user");
    relais::digest::opened(&app.state, &anne_account, &transfer)
        .await
        .expect("opened");
    relais::digest::opened(&app.state, &anne_account, &transfer)
        .await
        .expect("once a day");
    let file = studio.files(&id).await.remove(0);
    let content = format!("/api/v1/files/{}/content", file["id"].as_str().expect("id"));
    for _ in 0..2 {
        let got = anne.request(Method::GET, &content).send().await.expect("download");
        assert_eq!(got.status(), 200);
        got.bytes().await.expect("body");
    }
    anne.upload("musique.mp3", &pattern(3000, 1), None).await;
    anne.upload("plan.pdf", &pattern(2000, 2), None).await;
    app.run_jobs().await;

    let digests = |app: &crate::helpers::TestApp| {
        app.outbox()
            .into_iter()
            .filter(|m| m.contains("ces derni=C3=A8res 24 heures") || m.contains("ces dernières 24 heures"))
            .collect::<Vec<_>>()
    };
    assert!(
        !relais::digest::send_if_due(&app.state).await.expect("digest"),
        "not before its time"
    );
    app.clock().advance(Duration::from_secs(6 * 60));
    assert!(relais::digest::send_if_due(&app.state).await.expect("digest"));
    assert!(
        !relais::digest::send_if_due(&app.state).await.expect("digest"),
        "once a day"
    );
    app.run_jobs().await;
    let sent = digests(&app);
    assert_eq!(sent.len(), 1);
    let text = sent[0].replace("=\r\n", "").replace("=\n", "");
    assert!(
        text.contains("2 t=C3=A9l=C3=A9chargements") || text.contains("2 téléchargements"),
        "{text}"
    );
    assert!(text.contains("a ouvert"), "{text}");
    assert!(text.contains("2 fichiers"), "{text}");

    // The next day nothing happened: no email.
    app.clock().advance(Duration::from_secs(24 * 3600));
    assert!(!relais::digest::send_if_due(&app.state).await.expect("digest"));
    app.run_jobs().await;
    assert_eq!(digests(&app).len(), 1);
}
