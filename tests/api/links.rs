//! Account links die when they are used, superseded or point at an address the account
//! left; tokens die with the password; the outbox keeps no usable link. Each case attacks
//! the app the way a stale email in the wrong hands would.

use reqwest::Method;

use crate::helpers::tus::Tus;
use crate::helpers::{Answer, TestApp, link_token, spawn_app};

/// The newest email of the outbox sent to `address` that holds `path`.
fn newest(app: &TestApp, address: &str, path: &str) -> String {
    app.outbox()
        .into_iter()
        .rev()
        .find(|m| m.lines().any(|l| l.starts_with("To:") && l.contains(address)) && m.contains(path))
        .expect("such an email")
}

async fn post(app: &TestApp, path: &str, body: serde_json::Value) -> Answer {
    Answer::of(app.http.post(app.url(path)).json(&body).send().await.expect("request")).await
}

#[tokio::test]
async fn an_invitation_dies_when_a_newer_one_is_sent_and_once_the_account_has_a_password() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let claire = app.create_client("claire@example.fr", "Claire").await;
    app.run_jobs().await;
    let first = link_token(&newest(&app, "claire@example.fr", "/invitation/"), "/invitation/");
    let again = studio
        .call(Method::POST, &format!("/api/v1/clients/{}/invitation", claire.id), None)
        .await;
    assert_eq!(again.status, 202);
    app.run_jobs().await;
    let second = link_token(&newest(&app, "claire@example.fr", "/invitation/"), "/invitation/");
    assert_ne!(first, second);

    // The older invitation no longer sets a password.
    let stale = post(
        &app,
        "/api/v1/invitations/accept",
        serde_json::json!({"token": first, "password": "an attacker's password"}),
    )
    .await;
    assert_eq!((stale.status, stale.code()), (400, "invalid_link"));
    let accepted = post(
        &app,
        "/api/v1/invitations/accept",
        serde_json::json!({"token": second, "password": "claire's own password"}),
    )
    .await;
    assert_eq!(accepted.status, 204);
    assert_eq!(
        app.login("claire@example.fr", "claire's own password", None)
            .await
            .status,
        201
    );

    // An invitation sent after the account has a password takes nothing over, and the
    // owner's session lives on.
    studio
        .call(Method::POST, &format!("/api/v1/clients/{}/invitation", claire.id), None)
        .await;
    app.run_jobs().await;
    let late = link_token(&newest(&app, "claire@example.fr", "/invitation/"), "/invitation/");
    let takeover = post(
        &app,
        "/api/v1/invitations/accept",
        serde_json::json!({"token": late, "password": "an attacker's password"}),
    )
    .await;
    assert_eq!((takeover.status, takeover.code()), (400, "invalid_link"));
    let session = Answer::of(
        app.request(Method::GET, "/api/v1/session")
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(session.status, 200, "the owner's session is untouched");
    app.forget_csrf();
    assert_eq!(
        app.login("claire@example.fr", "an attacker's password", None)
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn reset_links_die_when_superseded_or_when_the_account_moves_and_tokens_die_with_the_password() {
    let app = spawn_app().await;
    let (client, _) = Tus::client(&app, "anne@example.fr").await;
    let ask_reset = || {
        post(
            &app,
            "/api/v1/password/forgot",
            serde_json::json!({"email": "anne@example.fr"}),
        )
    };
    assert_eq!(ask_reset().await.status, 202);
    app.run_jobs().await;
    let older = link_token(&newest(&app, "anne@example.fr", "/password/reset/"), "/password/reset/");
    assert_eq!(ask_reset().await.status, 202);
    app.run_jobs().await;
    let newer = link_token(&newest(&app, "anne@example.fr", "/password/reset/"), "/password/reset/");
    let reset = |token: String| {
        post(
            &app,
            "/api/v1/password/reset",
            serde_json::json!({"token": token, "password": "a brand new password"}),
        )
    };
    let superseded = reset(older).await;
    assert_eq!((superseded.status, superseded.code()), (400, "invalid_link"));

    // The client moves to a new address: the reset mailed to the old one dies, and the
    // old address is told.
    assert_eq!(
        app.login("anne@example.fr", "correct horse battery", None).await.status,
        201
    );
    let change = Answer::of(
        app.request(Method::POST, "/api/v1/me/email")
            .json(&serde_json::json!({"email": "anne@new.example", "current_password": "correct horse battery"}))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(change.status, 202, "{:?}", change.body);
    app.run_jobs().await;
    let confirm = link_token(&newest(&app, "anne@new.example", "/email/confirm/"), "/email/confirm/");
    assert_eq!(
        post(&app, "/api/v1/email/confirm", serde_json::json!({"token": confirm}))
            .await
            .status,
        204
    );
    app.run_jobs().await;
    let moved_away = reset(newer).await;
    assert_eq!((moved_away.status, moved_away.code()), (400, "invalid_link"));
    let told = newest(&app, "anne@example.fr", "anne@new.example");
    assert!(
        told.contains("L’adresse de votre espace a changé") || told.contains("Subject: =?utf-8?"),
        "{told}"
    );

    // A token stops with a change of password…
    assert_eq!(client.call(Method::GET, "/api/v1/me", None).await.status, 200);
    let changed = Answer::of(
        app.request(Method::POST, "/api/v1/me/password")
            .json(&serde_json::json!({"current_password": "correct horse battery", "new_password": "another good password"}))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(changed.status, 204, "{:?}", changed.body);
    assert_eq!(client.call(Method::GET, "/api/v1/me", None).await.status, 401);

    // …and with a reset.
    let user = relais::accounts::find_by_email(&app.state, "anne@new.example")
        .await
        .expect("user");
    let (_, token) = relais::accounts::issue_token(&app.state, user.id, "script")
        .await
        .expect("token");
    let bearer = |t: &str| app.http.get(app.url("/api/v1/me")).bearer_auth(t.to_owned()).send();
    assert_eq!(bearer(&token).await.expect("request").status(), 200);
    assert_eq!(
        post(
            &app,
            "/api/v1/password/forgot",
            serde_json::json!({"email": "anne@new.example"})
        )
        .await
        .status,
        202
    );
    app.run_jobs().await;
    let fresh = link_token(
        &newest(&app, "anne@new.example", "/password/reset/"),
        "/password/reset/",
    );
    assert_eq!(reset(fresh).await.status, 204);
    assert_eq!(bearer(&token).await.expect("request").status(), 401);
}

#[tokio::test]
async fn the_outbox_keeps_no_usable_link_once_a_message_is_sent() {
    let app = spawn_app().await;
    app.create_client("claire@example.fr", "Claire").await;
    app.run_jobs().await;
    let sent = newest(&app, "claire@example.fr", "/invitation/");
    let token = link_token(&sent, "/invitation/");
    assert!(token.len() > 20);
    let rows: Vec<(String, String, Option<i64>)> =
        sqlx::query_as("SELECT text_body, html_body, sent_at FROM emails WHERE kind = 'invitation'")
            .fetch_all(app.state.db.pool())
            .await
            .expect("emails");
    assert_eq!(rows.len(), 1);
    let (text, html, sent_at) = &rows[0];
    assert!(sent_at.is_some());
    assert!(
        !text.contains(&token) && !html.contains(&token),
        "the stored copy holds the token"
    );
    assert!(
        text.contains("/invitation/…"),
        "the stored copy still shows where the link led: {text}"
    );
    // The link itself, from the message as delivered, still works.
    let accepted = post(
        &app,
        "/api/v1/invitations/accept",
        serde_json::json!({"token": token, "password": "claire's own password"}),
    )
    .await;
    assert_eq!(accepted.status, 204);
}
