//! The authorisation sweep: every route that takes an id, called by client A with client
//! B's ids, answers 404 (the id does not exist for A) and changes nothing; every studio
//! route answers 403 to clients (see studio.rs and pages.rs for the pages).

use reqwest::Method;

use crate::helpers::spawn_app;
use crate::helpers::tus::{Tus, pattern, sha256_hex};

#[tokio::test]
async fn a_client_using_another_clients_ids_gets_404_everywhere() {
    let app = spawn_app().await;
    let (anne, _) = Tus::client(&app, "anne@example.fr").await;
    let (bob, bob_user) = Tus::client(&app, "bob@example.fr").await;
    let (studio, _) = Tus::studio(&app, "studio@example.fr").await;

    // Bob's things: an inbound transfer with a file, an upload in progress, a published
    // delivery with a file.
    let bob_bytes = pattern(3000, 5);
    bob.upload("bob.mp3", &bob_bytes, None).await;
    let bob_inbound = bob.transfer_ids().await.remove(0);
    let bob_file = bob.files(&bob_inbound).await.remove(0)["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let bob_upload = bob
        .create(5000, &crate::helpers::tus::meta(&[("filename", "half.mp3")]))
        .await;
    let delivery = studio
        .call(
            Method::POST,
            "/api/v1/transfers",
            Some(serde_json::json!({"title": "Pour Bob", "client": bob_user.id})),
        )
        .await;
    let delivery = delivery.body["id"].as_str().expect("id").to_owned();
    studio.upload("bob.jpg", &pattern(2000, 6), Some(&delivery)).await;
    studio
        .call(
            Method::PUT,
            &format!("/api/v1/transfers/{delivery}/publication"),
            Some(serde_json::json!({})),
        )
        .await;
    let delivery_file = studio.files(&delivery).await.remove(0)["id"]
        .as_str()
        .expect("id")
        .to_owned();

    // Bob's quote-site records: the quote site links his existing account by address and
    // sends him a contract.
    let (_, secret) = relais::integration::create(&app.state, "Site de devis")
        .await
        .expect("integration");
    let signed_put = |path: &'static str, id: &'static str, body: Vec<u8>| {
        let now = app.clock().now_secs() as i64;
        app.http
            .put(app.url(path))
            .header("webhook-id", id)
            .header("webhook-timestamp", now.to_string())
            .header("webhook-signature", secret.sign(id, now, &body))
            .body(body)
    };
    let linked = signed_put(
        "/api/v1/integration/clients/bob",
        "msg_1",
        serde_json::to_vec(&serde_json::json!({"email": "bob@example.fr", "name": "Bob", "version": 1})).expect("json"),
    )
    .send()
    .await
    .expect("request");
    assert_eq!(linked.status(), 201);
    let contract = signed_put(
        "/api/v1/integration/documents/bob-contract?kind=other&owner=bob&version=1",
        "msg_2",
        b"%PDF-1.4\n% contrat\n%%EOF\n".to_vec(),
    )
    .send()
    .await
    .expect("request");
    assert_eq!(contract.status(), 201);
    let bob_statement = bob.call(Method::GET, "/api/v1/billing", None).await;
    assert_eq!(bob_statement.body["documents"][0]["id"], "bob-contract");

    let calls: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::GET, format!("/api/v1/billing?client={}", bob_user.id), None),
        (Method::GET, "/api/v1/documents/bob-contract/content".to_owned(), None),
        (Method::GET, format!("/api/v1/transfers/{bob_inbound}"), None),
        (Method::GET, format!("/api/v1/transfers/{delivery}"), None),
        (Method::GET, format!("/api/v1/transfers/{bob_inbound}/files"), None),
        (Method::GET, format!("/api/v1/transfers/{delivery}/files?limit=1"), None),
        (Method::GET, format!("/api/v1/transfers/{bob_inbound}/archive"), None),
        (Method::GET, format!("/api/v1/transfers/{delivery}/archive"), None),
        (Method::POST, format!("/api/v1/transfers/{bob_inbound}/complete"), None),
        (Method::GET, format!("/api/v1/files/{bob_file}"), None),
        (Method::GET, format!("/api/v1/files/{bob_file}/content"), None),
        (Method::GET, format!("/api/v1/files/{delivery_file}"), None),
        (Method::GET, format!("/api/v1/files/{delivery_file}/content"), None),
        (Method::HEAD, bob_upload.clone(), None),
        (Method::DELETE, bob_upload.clone(), None),
    ];
    for (method, path, body) in calls {
        let answer = anne.call(method.clone(), &path, body).await;
        assert_eq!(answer.status, 404, "{method} {path}: {:?}", answer.body);
    }
    let patch = anne.patch(&bob_upload, 0, b"intrusion").await;
    assert_eq!(patch.status, 404);
    // Uploading into Bob's transfer is refused before a byte is stored.
    let into = anne
        .request(Method::POST, "/api/v1/uploads")
        .header("upload-length", 3)
        .header(
            "upload-metadata",
            crate::helpers::tus::meta(&[("filename", "x"), ("transfer", bob_inbound.as_str())]),
        )
        .send()
        .await
        .expect("request");
    assert!(matches!(into.status().as_u16(), 400 | 404), "{}", into.status());
    // Listing with Bob's id shows Anne her own transfers only.
    let listed = anne
        .call(Method::GET, &format!("/api/v1/transfers?client={}", bob_user.id), None)
        .await;
    assert!(
        listed
            .body
            .as_array()
            .expect("list")
            .iter()
            .all(|t| t["id"] != bob_inbound.as_str())
    );

    // Nothing of Bob's changed.
    assert_eq!(bob.offset(&bob_upload).await, 0);
    let content = bob
        .request(Method::GET, &format!("/api/v1/files/{bob_file}/content"))
        .send()
        .await
        .expect("get");
    assert_eq!(
        sha256_hex(&content.bytes().await.expect("bytes")),
        sha256_hex(&bob_bytes)
    );
}
