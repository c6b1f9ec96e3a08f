use reqwest::Method;

use crate::helpers::tus::Tus;
use crate::helpers::{Answer, spawn_app};

#[tokio::test]
async fn clients_create_and_see_only_their_own_inbound_transfers() {
    let app = spawn_app().await;
    let (anne, anne_user) = Tus::client(&app, "anne@example.fr").await;
    let (bob, _) = Tus::client(&app, "bob@example.fr").await;

    let created = Answer::of(
        anne.request(Method::POST, "/api/v1/transfers")
            .json(&serde_json::json!({"title": "Musique pour le film"}))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["direction"], "inbound");
    assert_eq!(created.body["client"], anne_user.id.to_string().as_str());
    let id = created.body["id"].as_str().expect("id").to_owned();

    let delivery = Answer::of(
        anne.request(Method::POST, "/api/v1/transfers")
            .json(&serde_json::json!({"title": "x", "direction": "delivery"}))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(
        (delivery.status, delivery.body["errors"][0]["field"].as_str()),
        (422, Some("direction"))
    );

    let shown = Answer::of(
        anne.request(Method::GET, &format!("/api/v1/transfers/{id}"))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(
        (shown.status, shown.body["files"].as_array().map(Vec::len)),
        (200, Some(0))
    );
    let peek = Answer::of(
        bob.request(Method::GET, &format!("/api/v1/transfers/{id}"))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(peek.status, 404, "another client's transfer does not exist for Bob");
    let bobs = Answer::of(
        bob.request(Method::GET, &format!("/api/v1/transfers?client={}", anne_user.id))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(
        bobs.body.as_array().map(Vec::len),
        Some(0),
        "a client cannot list someone else's transfers"
    );
}

#[tokio::test]
async fn the_studio_creates_deliveries_for_a_client_and_sees_everything() {
    let app = spawn_app().await;
    let (anne, anne_user) = Tus::client(&app, "anne@example.fr").await;
    let (studio_account, _) = app.create_studio("studio@example.fr", "correct horse battery").await;
    let (_, studio_token) = relais::accounts::issue_token(&app.state, studio_account.user.id, "studio")
        .await
        .expect("token");
    let studio = Tus {
        app: &app,
        token: studio_token,
    };

    let missing_client = Answer::of(
        studio
            .request(Method::POST, "/api/v1/transfers")
            .json(&serde_json::json!({"title": "Photos du mariage"}))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(missing_client.status, 422);
    let delivery = Answer::of(
        studio
            .request(Method::POST, "/api/v1/transfers")
            .json(&serde_json::json!({"title": "Photos du mariage", "client": anne_user.id}))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(
        (delivery.status, delivery.body["direction"].as_str()),
        (201, Some("delivery"))
    );

    let anne_sees = Answer::of(
        anne.request(Method::GET, "/api/v1/transfers")
            .send()
            .await
            .expect("request"),
    )
    .await;
    // Until the studio publishes it, the delivery is the studio's draft (see lifecycle.rs).
    assert!(
        !anne_sees
            .body
            .as_array()
            .expect("list")
            .iter()
            .any(|t| t["title"] == "Photos du mariage")
    );
    let studio_sees = Answer::of(
        studio
            .request(Method::GET, &format!("/api/v1/transfers?client={}", anne_user.id))
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(studio_sees.body.as_array().map(Vec::len), Some(1));

    // A client cannot upload into a delivery.
    let into_delivery = Answer::of(
        anne.request(Method::POST, "/api/v1/uploads")
            .header("tus-resumable", "1.0.0")
            .header("upload-length", 3)
            .header(
                "upload-metadata",
                crate::helpers::tus::meta(&[
                    ("filename", "x"),
                    ("transfer", delivery.body["id"].as_str().expect("id")),
                ]),
            )
            .send()
            .await
            .expect("request"),
    )
    .await;
    assert_eq!(into_delivery.status, 400);
}
