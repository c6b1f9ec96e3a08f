use reqwest::Method;

use crate::helpers::{Answer, spawn_app};

const PASSWORD: &str = "correct horse battery";

async fn me_with(app: &crate::helpers::TestApp, token: &str) -> Answer {
    Answer::of(
        reqwest::Client::new()
            .get(app.url("/api/v1/me"))
            .bearer_auth(token)
            .send()
            .await
            .expect("request"),
    )
    .await
}

#[tokio::test]
async fn a_personal_token_authenticates_api_calls_until_it_is_revoked() {
    let app = spawn_app().await;
    let user = app.create_active_client("anne@example.fr", PASSWORD).await;
    let (id, token) = relais::accounts::issue_token(&app.state, user.id, "laptop script")
        .await
        .expect("token");
    assert!(token.starts_with("rls_"));

    let me = me_with(&app, &token).await;
    assert_eq!((me.status, me.body["email"].as_str()), (200, Some("anne@example.fr")));

    // Bearer calls need no CSRF token: no browser sends them on its own.
    let list = Answer::of(
        reqwest::Client::new()
            .get(app.url("/api/v1/tokens"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(list.body[0]["name"], "laptop script");
    assert!(
        list.body[0]["last_used_at"].is_i64(),
        "use is recorded: {:?}",
        list.body
    );
    assert!(!list.body.to_string().contains(&token), "the secret is never listed");

    let revoked = reqwest::Client::new()
        .delete(app.url(&format!("/api/v1/tokens/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(revoked.status(), 204);
    let after = me_with(&app, &token).await;
    assert_eq!((after.status, after.code()), (401, "authentication_required"));
}

#[tokio::test]
async fn unknown_or_malformed_bearer_tokens_are_refused() {
    let app = spawn_app().await;
    for token in ["rls_doesnotexist", "", "garbage with spaces"] {
        assert_eq!(me_with(&app, token).await.status, 401, "{token:?}");
    }
    let basic = reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .basic_auth("a", Some("b"))
        .send()
        .await
        .expect("request");
    assert_eq!(basic.status(), 401);
}

#[tokio::test]
async fn nobody_can_revoke_or_see_another_persons_token() {
    let app = spawn_app().await;
    let anne = app.create_active_client("anne@example.fr", PASSWORD).await;
    let bob = app.create_active_client("bob@example.fr", PASSWORD).await;
    let (anne_token_id, anne_token) = relais::accounts::issue_token(&app.state, anne.id, "anne")
        .await
        .expect("token");
    let (_, bob_token) = relais::accounts::issue_token(&app.state, bob.id, "bob")
        .await
        .expect("token");

    let attempt = reqwest::Client::new()
        .delete(app.url(&format!("/api/v1/tokens/{anne_token_id}")))
        .bearer_auth(&bob_token)
        .send()
        .await
        .expect("request");
    assert_eq!(attempt.status(), 404, "answers as if the token did not exist");
    assert_eq!(me_with(&app, &anne_token).await.status, 200, "Anne's token still works");

    let bobs = Answer::of(
        reqwest::Client::new()
            .get(app.url("/api/v1/tokens"))
            .bearer_auth(&bob_token)
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(bobs.body.as_array().map(Vec::len), Some(1));
    assert_eq!(bobs.body[0]["name"], "bob");
}

#[tokio::test]
async fn a_logged_in_person_creates_a_token_from_their_session() {
    let app = spawn_app().await;
    app.create_active_client("anne@example.fr", PASSWORD).await;
    assert_eq!(app.login("anne@example.fr", PASSWORD, None).await.status, 201);
    let created = Answer::of(
        app.request(Method::POST, "/api/v1/tokens")
            .json(&serde_json::json!({"name": "rsync"}))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let token = created.body["token"].as_str().expect("token shown once");
    assert_eq!(me_with(&app, token).await.status, 200);

    let empty_name = Answer::of(
        app.request(Method::POST, "/api/v1/tokens")
            .json(&serde_json::json!({"name": "  "}))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(
        (empty_name.status, empty_name.body["errors"][0]["field"].as_str()),
        (422, Some("name"))
    );
}

#[tokio::test]
async fn every_token_ends_when_its_maker_said_and_the_list_says_when() {
    let app = spawn_app().await;
    app.create_active_client("anne@example.fr", PASSWORD).await;
    assert_eq!(app.login("anne@example.fr", PASSWORD, None).await.status, 201);
    let create = |body: serde_json::Value| {
        let app = &app;
        async move {
            Answer::of(
                app.request(Method::POST, "/api/v1/tokens")
                    .json(&body)
                    .send()
                    .await
                    .expect("request"),
            )
            .await
        }
    };
    // The wire's milliseconds.
    let now = app.clock().now().as_millis();
    let day = 86_400_000;
    let yearly = create(serde_json::json!({"name": "backup"})).await;
    assert_eq!(yearly.status, 201);
    let yearly_end = yearly.body["expires_at"].as_i64().expect("end");
    assert!(
        (now + 365 * day..now + 365 * day + 60_000).contains(&yearly_end),
        "one year by default"
    );
    let short = create(serde_json::json!({"name": "once", "expires_in_days": 1})).await;
    assert_eq!(short.status, 201);
    let short_token = short.body["token"].as_str().expect("token").to_owned();
    let short_end = short.body["expires_at"].as_i64().expect("end");
    for bad in [0, 3651] {
        let refused = create(serde_json::json!({"name": "", "expires_in_days": bad})).await;
        assert_eq!(refused.status, 422);
        let fields: Vec<_> = refused.body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert_eq!(fields, ["name", "expires_in_days"]);
    }
    let listed = Answer::of(
        app.request(Method::GET, "/api/v1/tokens")
            .send()
            .await
            .expect("request"),
    )
    .await;
    let ends: Vec<_> = listed
        .body
        .as_array()
        .expect("list")
        .iter()
        .map(|t| t["expires_at"].as_i64())
        .collect();
    assert_eq!(ends, [Some(yearly_end), Some(short_end)]);

    assert_eq!(me_with(&app, &short_token).await.status, 200);
    app.clock().advance(std::time::Duration::from_secs(2 * 86_400));
    assert_eq!(me_with(&app, &short_token).await.status, 401, "past its end");
    let yearly_token = yearly.body["token"].as_str().expect("token");
    assert_eq!(me_with(&app, yearly_token).await.status, 200);
}
