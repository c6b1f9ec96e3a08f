//! The studio's API: clients, activity log; and the forgotten-password flow.

use reqwest::Method;

use crate::helpers::tus::{Tus, pattern};
use crate::helpers::{Answer, read_emails, spawn_app};

#[tokio::test]
async fn the_studio_creates_searches_disables_and_reinvites_clients() {
    let app = spawn_app().await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;
    let (anne, anne_user) = Tus::client(&app, "anne@example.fr").await;
    anne.upload("a.mp3", &pattern(2500, 1), None).await;

    let created = studio
        .call(
            Method::POST,
            "/api/v1/clients",
            Some(serde_json::json!({"email": "claire@example.fr", "name": "Claire Martin", "locale": "en"})),
        )
        .await;
    assert_eq!((created.status, created.body["locale"].as_str()), (201, Some("en")));
    let taken = studio
        .call(
            Method::POST,
            "/api/v1/clients",
            Some(serde_json::json!({"email": "CLAIRE@example.fr", "name": "Claire"})),
        )
        .await;
    assert_eq!((taken.status, taken.code()), (409, "email_taken"));
    let bad = studio
        .call(
            Method::POST,
            "/api/v1/clients",
            Some(serde_json::json!({"email": "claire", "name": ""})),
        )
        .await;
    assert_eq!(
        (bad.status, bad.body["errors"][0]["field"].as_str()),
        (422, Some("email"))
    );

    let found = studio.call(Method::GET, "/api/v1/clients?q=MARTIN", None).await;
    let found = found.body.as_array().expect("list");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["invitation_pending"], true);
    let all = studio.call(Method::GET, "/api/v1/clients", None).await;
    let anne_row = all
        .body
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["email"] == "anne@example.fr")
        .cloned();
    assert_eq!(anne_row.expect("anne")["stored_bytes"].as_u64(), Some(2500));

    // Invite again: a second invitation email with a new link.
    let claire = created.body["id"].as_str().expect("id");
    app.run_jobs().await;
    let before = app.outbox().len();
    let again = studio
        .call(Method::POST, &format!("/api/v1/clients/{claire}/invitation"), None)
        .await;
    assert_eq!(again.status, 202);
    app.run_jobs().await;
    assert_eq!(app.outbox().len(), before + 1);

    // Disabled: the client's token stops working at once; enabled again, it works.
    let off = studio
        .call(
            Method::PATCH,
            &format!("/api/v1/clients/{}", anne_user.id),
            Some(serde_json::json!({"disabled": true})),
        )
        .await;
    assert_eq!((off.status, off.body["disabled"].as_bool()), (200, Some(true)));
    assert_eq!(anne.call(Method::GET, "/api/v1/transfers", None).await.status, 401);
    studio
        .call(
            Method::PATCH,
            &format!("/api/v1/clients/{}", anne_user.id),
            Some(serde_json::json!({"disabled": false})),
        )
        .await;
    assert_eq!(anne.call(Method::GET, "/api/v1/transfers", None).await.status, 200);

    // The activity log tells the story, filterable by client and kind.
    let log = studio
        .call(Method::GET, &format!("/api/v1/activity?client={}", anne_user.id), None)
        .await;
    let kinds: Vec<&str> = log
        .body
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    for kind in ["client_enabled", "client_disabled", "upload", "client_created"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    let uploads = studio.call(Method::GET, "/api/v1/activity?kind=upload", None).await;
    let uploads = uploads.body.as_array().expect("list");
    assert_eq!(uploads.len(), 1);
    assert_eq!(
        (uploads[0]["detail"].as_str(), uploads[0]["client_name"].as_str()),
        (Some("a.mp3"), Some("Client Test"))
    );
    let bad_kind = studio.call(Method::GET, "/api/v1/activity?kind=nope", None).await;
    assert_eq!(bad_kind.status, 422);
}

#[tokio::test]
async fn clients_get_403_on_every_studio_route() {
    let app = spawn_app().await;
    let (anne, anne_user) = Tus::client(&app, "anne@example.fr").await;
    let id = anne_user.id;
    let some_file = "0190f0e0-0000-7000-8000-000000000000";
    let routes = [
        (Method::GET, "/api/v1/clients".to_owned(), None),
        (
            Method::POST,
            "/api/v1/clients".to_owned(),
            Some(serde_json::json!({"email": "x@example.fr", "name": "X"})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/clients/{id}"),
            Some(serde_json::json!({"disabled": true})),
        ),
        (Method::POST, format!("/api/v1/clients/{id}/invitation"), None),
        (Method::GET, "/api/v1/activity".to_owned(), None),
        (
            Method::PUT,
            format!("/api/v1/transfers/{some_file}/publication"),
            Some(serde_json::json!({})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/transfers/{some_file}/publication"),
            None,
        ),
        (Method::GET, format!("/api/v1/files/{some_file}/downloads"), None),
        (Method::POST, format!("/api/v1/files/{some_file}/process"), None),
        (Method::GET, "/api/v1/integrations".to_owned(), None),
        (
            Method::POST,
            "/api/v1/integrations".to_owned(),
            Some(serde_json::json!({"name": "X"})),
        ),
        (Method::GET, "/api/v1/integrations/calls".to_owned(), None),
        (Method::POST, format!("/api/v1/integrations/{some_file}/rotation"), None),
        (Method::DELETE, format!("/api/v1/integrations/{some_file}"), None),
        (
            Method::PUT,
            format!("/api/v1/transfers/{some_file}/order"),
            Some(serde_json::json!({"files": []})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/transfers/{some_file}"),
            Some(serde_json::json!({"cover": null})),
        ),
        (Method::GET, "/api/v1/studio".to_owned(), None),
        (
            Method::PATCH,
            "/api/v1/studio".to_owned(),
            Some(serde_json::json!({"name": "X"})),
        ),
        (Method::DELETE, "/api/v1/studio/logo".to_owned(), None),
    ];
    for (method, path, body) in routes {
        let answer = anne.call(method.clone(), &path, body).await;
        assert_eq!((answer.status, answer.code()), (403, "forbidden"), "{method} {path}");
    }
}

#[tokio::test]
async fn a_forgotten_password_is_reset_through_a_single_use_link_without_revealing_accounts() {
    let running = spawn_app().await;
    let app = &running;
    app.create_active_client("anne@example.fr", "correct horse battery")
        .await;
    assert_eq!(
        app.login("anne@example.fr", "correct horse battery", None).await.status,
        201
    );
    let before = app.outbox().len();

    let ask = |email: &'static str| async move {
        Answer::of(
            app.request(Method::POST, "/api/v1/password/forgot")
                .json(&serde_json::json!({ "email": email }))
                .send()
                .await
                .expect("request"),
        )
        .await
    };
    let known = ask("anne@example.fr").await;
    let unknown = ask("nobody@example.fr").await;
    assert_eq!((known.status, unknown.status), (202, 202));
    assert_eq!(known.body, unknown.body, "the same answer either way");
    app.run_jobs().await;
    let mails = read_emails(&app.outbox_dir());
    assert_eq!(mails.len(), before + 1, "only the real account gets an email");
    let mail = mails.last().expect("mail").replace("=\r\n", "").replace("=\n", "");
    let start = mail.find("/password/reset/").expect("link") + "/password/reset/".len();
    let token: String = mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();

    let reset = |password: &'static str| {
        let token = token.clone();
        async move {
            Answer::of(
                app.request(Method::POST, "/api/v1/password/reset")
                    .json(&serde_json::json!({ "token": token, "password": password }))
                    .send()
                    .await
                    .expect("request"),
            )
            .await
        }
    };
    let short = reset("short").await;
    assert_eq!(
        (short.status, short.body["errors"][0]["field"].as_str()),
        (422, Some("password"))
    );
    assert_eq!(reset("a brand new passphrase").await.status, 204);
    let reused = reset("another new passphrase").await;
    assert_eq!((reused.status, reused.code()), (400, "invalid_link"));

    // The old session ended with the reset; the new password works, the old does not.
    assert_eq!(
        app.request(Method::GET, "/api/v1/session")
            .send()
            .await
            .expect("get")
            .status(),
        401
    );
    assert_eq!(
        app.login("anne@example.fr", "correct horse battery", None).await.status,
        401
    );
    assert_eq!(
        app.login("anne@example.fr", "a brand new passphrase", None)
            .await
            .status,
        201
    );
}

#[tokio::test]
async fn people_change_their_password_and_clients_may_turn_on_two_step_verification() {
    let running = spawn_app().await;
    let app = &running;
    app.create_active_client("anne@example.fr", "correct horse battery")
        .await;
    assert_eq!(
        app.login("anne@example.fr", "correct horse battery", None).await.status,
        201
    );
    let call = |method: Method, path: &'static str, body: serde_json::Value| async move {
        Answer::of(app.request(method, path).json(&body).send().await.expect("request")).await
    };

    let wrong = call(
        Method::POST,
        "/api/v1/me/password",
        serde_json::json!({"current_password": "nope", "new_password": "a new long passphrase"}),
    )
    .await;
    assert_eq!(
        (wrong.status, wrong.body["errors"][0]["field"].as_str()),
        (422, Some("current_password"))
    );
    let changed = call(
        Method::POST,
        "/api/v1/me/password",
        serde_json::json!({"current_password": "correct horse battery", "new_password": "a new long passphrase"}),
    )
    .await;
    assert_eq!(changed.status, 204);
    // This session goes on; the old password no longer works.
    assert_eq!(
        app.request(Method::GET, "/api/v1/me")
            .send()
            .await
            .expect("me")
            .status(),
        200
    );
    let other = reqwest::Client::new();
    let old = other
        .post(app.url("/api/v1/session"))
        .json(&serde_json::json!({"email": "anne@example.fr", "password": "correct horse battery"}))
        .send()
        .await
        .expect("login");
    assert_eq!(old.status(), 401);

    let renamed = call(
        Method::PATCH,
        "/api/v1/me",
        serde_json::json!({"name": "Anne D.", "locale": "en"}),
    )
    .await;
    assert_eq!(
        (renamed.body["name"].as_str(), renamed.body["locale"].as_str()),
        (Some("Anne D."), Some("en"))
    );
    let bad = call(Method::PATCH, "/api/v1/me", serde_json::json!({"locale": "de"})).await;
    assert_eq!(bad.status, 422);

    let started = call(Method::POST, "/api/v1/me/totp", serde_json::json!({})).await;
    assert_eq!(started.status, 200, "{:?}", started.body);
    let secret = started.body["totp_secret"].as_str().expect("secret").to_owned();
    let wrong_code = call(
        Method::POST,
        "/api/v1/me/totp/confirm",
        serde_json::json!({"totp": "000000"}),
    )
    .await;
    assert_eq!(wrong_code.status, 401);
    let confirmed = call(
        Method::POST,
        "/api/v1/me/totp/confirm",
        serde_json::json!({"totp": app.totp_code(&secret, 0)}),
    )
    .await;
    assert_eq!(confirmed.body["recovery_codes"].as_array().map(Vec::len), Some(10));
    let again = call(Method::POST, "/api/v1/me/totp", serde_json::json!({})).await;
    assert_eq!(again.status, 422, "already on");

    // From now on a login needs the code.
    app.forget_csrf();
    let without = app.login("anne@example.fr", "a new long passphrase", None).await;
    assert_eq!((without.status, without.code()), (401, "totp_required"));
    let with = app
        .login(
            "anne@example.fr",
            "a new long passphrase",
            Some(&app.totp_code(&secret, 1)),
        )
        .await;
    assert_eq!(with.status, 201);
}

#[tokio::test]
async fn a_new_email_address_takes_effect_only_once_confirmed_from_that_address() {
    let running = spawn_app().await;
    let app = &running;
    app.create_active_client("anne@example.fr", "correct horse battery")
        .await;
    app.create_active_client("bob@example.fr", "correct horse battery")
        .await;
    assert_eq!(
        app.login("anne@example.fr", "correct horse battery", None).await.status,
        201
    );
    let ask = |email: &'static str, password: &'static str| async move {
        Answer::of(
            app.request(Method::POST, "/api/v1/me/email")
                .json(&serde_json::json!({"email": email, "current_password": password}))
                .send()
                .await
                .expect("request"),
        )
        .await
    };
    let wrong = ask("anne.dupont@example.fr", "not it").await;
    assert_eq!(wrong.body["errors"][0]["field"].as_str(), Some("current_password"));
    let taken = ask("bob@example.fr", "correct horse battery").await;
    assert_eq!((taken.status, taken.code()), (409, "email_taken"));
    let asked = ask("anne.dupont@example.fr", "correct horse battery").await;
    assert_eq!(asked.status, 202);
    app.run_jobs().await;
    let mail = read_emails(&app.outbox_dir())
        .into_iter()
        .rev()
        .find(|m| m.contains("To: ") && m.contains("anne.dupont@example.fr"))
        .expect("confirmation sent to the new address")
        .replace("=\r\n", "")
        .replace("=\n", "");
    let start = mail.find("/email/confirm/").expect("link") + "/email/confirm/".len();
    let token: String = mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();

    // Not yet: the old address still logs in.
    app.forget_csrf();
    assert_eq!(
        app.login("anne@example.fr", "correct horse battery", None).await.status,
        201
    );
    let confirm = |token: String| async move {
        Answer::of(
            app.http
                .post(app.url("/api/v1/email/confirm"))
                .json(&serde_json::json!({ "token": token }))
                .send()
                .await
                .expect("request"),
        )
        .await
    };
    assert_eq!(confirm(token.clone()).await.status, 204);
    assert_eq!(confirm(token).await.code(), "invalid_link", "the link works once");
    assert_eq!(
        app.login("anne@example.fr", "correct horse battery", None).await.status,
        401
    );
    assert_eq!(
        app.login("anne.dupont@example.fr", "correct horse battery", None)
            .await
            .status,
        201
    );
}
